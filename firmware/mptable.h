/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FIRMWARE_MPTABLE_H
#define VMM_FIRMWARE_MPTABLE_H

#include "util/types.h"

/*
 * Intel MultiProcessor Specification 1.4 tables: the floating pointer
 * ("_MP_") followed by the configuration table ("PCMP"). Guests that run
 * without ACPI (acpi=off, old kernels) find their cpus and IOAPIC here.
 *
 * APIC ids are 8-bit in this format and 0xff is the broadcast id, so at most
 * 255 cpus (ids 0..254) can be described.
 */
#define MPTABLE_MAX_CPUS	255

/* Defaults used when the version fields below are left 0. */
#define MPTABLE_LAPIC_VERSION	0x14	/* integrated local APIC */
#define MPTABLE_IOAPIC_VERSION	0x11	/* 82093AA-style, 24 pins */

/*
 * PCI bus 0 for guests without ACPI (acpi=off): an MP bus entry and the
 * INTA# line of slots 1-31 (slot 0 is the host bridge, which has none).
 * Only INTA#: every vmm device is single-function and uses it, and all four
 * pins of 31 slots would not fit the EBDA.
 */
struct mptable_pci {
	u8 intx_gsi;		/* slot s INTA#: IOAPIC pin intx_gsi + s % intx_lines */
	u8 intx_lines;		/* level-triggered, active low, as PCI INTx# is */
};

struct mptable_info {
	u32 nr_cpus;		/* cpu i gets APIC id i; cpu 0 is the BSP */
	u32 lapic_addr;		/* e.g. 0xfee00000 */
	u8 lapic_version;	/* 0: MPTABLE_LAPIC_VERSION */
	u8 ioapic_id;		/* >= nr_cpus: acpi_ioapic_id() gives one */
	u8 ioapic_version;	/* 0: MPTABLE_IOAPIC_VERSION */
	u32 ioapic_addr;	/* e.g. 0xfec00000 */
	const struct mptable_pci *pci;	/* NULL: an ISA bus only */
};

/*
 * Bytes mptable_build() needs for nr_cpus (with a PCI bus if @pci), or 0 if
 * nr_cpus is 0 or above MPTABLE_MAX_CPUS. It is 212 + 20 * nr_cpus, plus 256
 * with PCI: 1 KiB (the EBDA) holds 40 cpus, 27 with PCI.
 */
size_t mptable_size(u32 nr_cpus, bool pci);

/*
 * Writes the tables into buf, which the caller copies to guest-physical
 * address gpa (16-byte aligned, below 4 GiB; Linux scans 0x9fc00-0x9ffff).
 * Returns the bytes used, -ENOSPC if size is too small, or -EINVAL (also
 * for an ioapic_id that is a cpu's).
 */
int mptable_build(void *buf, size_t size, u64 gpa,
		  const struct mptable_info *info);

#endif
