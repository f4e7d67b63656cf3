/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FIRMWARE_ACPI_H
#define VMM_FIRMWARE_ACPI_H

#include "util/types.h"

/*
 * ACPI tables for an x86 PC-like guest (ACPI 6.x): RSDP, XSDT, FADT, FACS,
 * DSDT, MADT and, when asked for, MCFG and a PCI host bridge. The platform
 * is not hardware-reduced: it has a PM1a event/control block and an SCI, an
 * IOAPIC and a legacy PIC.
 */
#define ACPI_MAX_CPUS		4096	/* DSDT cpu devices are C000..CFFF */
#define ACPI_OEM_ID		"VMM   "
#define ACPI_S5_SLP_TYP_MAX	7	/* SLP_TYP is a 3-bit field of PM1_CNT */

/* A virtio-mmio device (Linux binds "LNRO0005") described in the DSDT. */
struct acpi_mmio_dev {
	u64 base;		/* the window must lie below 4 GiB */
	u32 size;
	u32 gsi;
	bool level;		/* level-triggered, else edge */
};

/* A PCI segment's ECAM (MMCONFIG) window, listed in the MCFG. */
struct acpi_pci_ecam {
	u64 base;		/* address of bus 0's config space */
	u16 segment;
	u8 bus_start;
	u8 bus_end;
};

/*
 * A PCI host bridge (\_SB.PCI0, PNP0A08) on segment 0. Linux takes its
 * windows from _CRS and its INTx routing from _PRT; it trusts the MCFG's
 * ECAM only if a motherboard device (PNP0C02) reserves it, which the DSDT
 * gets too. The MCFG entry itself is acpi_info.ecams.
 */
struct acpi_pci_host {
	u64 ecam_base;		/* config space of bus_start; reserved by PNP0C02 */
	u8 bus_start;
	u8 bus_end;
	u32 mem_base;		/* 32-bit memory window for BARs */
	u32 mem_size;
	u16 io_base;		/* I/O window for BARs; io_size 0: none */
	u32 io_size;
	u16 cam_port;		/* 8 ports: mechanism #1 (0xcf8), 0: none */
	/* Slot s, pin p (0 = INTA#): GSI intx_gsi + (s + p) % intx_lines, level, low. */
	u32 intx_gsi;
	u32 intx_lines;
};

struct acpi_info {
	u32 nr_cpus;		/* cpu i: APIC id i, ACPI processor UID i */
	u32 lapic_addr;
	u8 ioapic_id;		/* no cpu's xAPIC id: see acpi_ioapic_id() */
	u32 ioapic_addr;	/* its GSI base is 0 */

	u16 pm1a_evt_port;	/* 4 bytes: PM1 status, PM1 enable */
	u16 pm1a_cnt_port;	/* 2 bytes: PM1 control (SLP_TYP, SLP_EN) */
	u8 sci_irq;		/* ISA IRQ = GSI, level, active high */
	u8 s5_slp_typ;		/* \_S5 value the guest writes for poweroff */
	bool power_button;	/* a fixed-feature power button (PM1 PWRBTN_STS) */

	u16 reset_port;		/* FADT reset register, 0: none (e.g. 0xcf9) */
	u8 reset_value;		/* what the guest writes there (e.g. 0x06) */

	u16 com1_port;		/* 0: no COM1 in the DSDT */
	u8 com1_irq;
	u16 pvpanic_port;	/* 0: no pvpanic device ("QEMU0001") */
	bool i8042;		/* an 8042 keyboard controller is present */
	bool cmos_rtc;		/* a CMOS RTC answers at ports 0x70/0x71 */

	const struct acpi_mmio_dev *mmio_devs;	/* DSDT \_SB.VRnn devices */
	u32 nr_mmio_devs;
	const struct acpi_pci_ecam *ecams;	/* MCFG entries; none: no MCFG */
	u32 nr_ecams;
	const struct acpi_pci_host *pci;	/* NULL: no PCI host in the DSDT */
};

/*
 * An IOAPIC id for nr_cpus cpus (APIC ids 0..nr_cpus-1) that is none of
 * theirs in the 8-bit xAPIC id space, for the MADT and the MP table.
 */
u8 acpi_ioapic_id(u32 nr_cpus);

/*
 * Lays out all tables in buf, to be copied to guest-physical gpa (16-byte
 * aligned, below 4 GiB; the RSDP comes first, so with gpa in
 * 0xe0000-0xfffff the guest's BIOS-area scan finds it). *rsdp_gpa gets the
 * RSDP's address, for boot protocols that pass it (boot_params.acpi_rsdp_addr).
 * Returns the bytes used, -ENOSPC if size is too small, or -EINVAL (also
 * for an ioapic_id that is a cpu's).
 */
int acpi_build(void *buf, size_t size, u64 gpa, const struct acpi_info *info,
	       u64 *rsdp_gpa);

#endif
