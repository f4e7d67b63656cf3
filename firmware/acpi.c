// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI table builder. Section numbers refer to the ACPI 6.4 specification:
 * RSDP 5.2.5, SDT header 5.2.6, XSDT 5.2.8, FADT 5.2.9, FACS 5.2.10,
 * DSDT 5.2.11.1, MADT 5.2.12, GAS 5.2.3.2. MCFG is the PCI Firmware Spec 3.0.
 *
 * Layout in the blob, in this order: RSDP (first, so the 16-byte-aligned
 * scan of 0xe0000-0xfffff finds it), XSDT, FADT, FACS (64-byte aligned),
 * DSDT, MADT, MCFG. No RSDT: a revision 2 RSDP with an XSDT is enough for
 * every OS that uses ACPI 2.0 or later.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firmware/acpi.h"
#include "firmware/aml.h"
#include "firmware/table.h"

#define RSDP_SIZE		36
#define SDT_HEADER_SIZE		36
#define FADT_SIZE		276	/* revision 6 */
#define FACS_SIZE		64
#define MADT_HEADER_SIZE	(SDT_HEADER_SIZE + 8)
#define MCFG_HEADER_SIZE	(SDT_HEADER_SIZE + 8)
#define MCFG_ENTRY_SIZE		16
#define XSDT_MAX_ENTRIES	3	/* FADT, MADT, MCFG */

#define FADT_REVISION		6
#define FADT_MINOR_REVISION	0

/* FADT Flags (5.2.9, table 5.10). */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_PWR_BUTTON		(1u << 4)	/* no fixed-feature power button */
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed-feature sleep button */
#define FADT_FIX_RTC		(1u << 6)	/* no RTC wake status in PM1 */
#define FADT_RESET_REG_SUP	(1u << 10)

/* FADT IA-PC boot architecture flags (5.2.9.3). */
#define BOOT_ARCH_LEGACY_DEVICES	(1u << 0)
#define BOOT_ARCH_8042			(1u << 1)
#define BOOT_ARCH_NO_VGA		(1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC		(1u << 5)

/* Generic Address Structure. */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1
#define GAS_ACCESS_WORD		2

/* MADT (5.2.12). */
#define MADT_PCAT_COMPAT	(1u << 0)
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_ISO		2
#define MADT_LAPIC_NMI		4
#define MADT_X2APIC		9
#define MADT_X2APIC_NMI		10
#define MADT_LAPIC_SIZE		8
#define MADT_IOAPIC_SIZE	12
#define MADT_ISO_SIZE		10
#define MADT_LAPIC_NMI_SIZE	6
#define MADT_X2APIC_SIZE	16
#define MADT_X2APIC_NMI_SIZE	12
#define MADT_ENABLED		(1u << 0)
#define MADT_ALL_CPUS		0xff
#define MADT_ALL_X2CPUS		0xffffffffu
/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_ACTIVE_HIGH		0x1
#define MPS_LEVEL		(0x3 << 2)
/* APIC id 0xff is the xAPIC broadcast: cpus from there on need x2APIC. */
#define XAPIC_MAX_ID		0xfe

#define ACPI_MAX_MMIO_DEVS	256	/* DSDT names VR00..VRFF */

#define PCI_SLOTS		32	/* devices per bus */
#define PCI_PINS		4	/* INTA# .. INTD# */
#define PCI_ECAM_BUS_SIZE	(1u << 20)	/* 32 devices x 8 functions x 4 KiB */
#define PCI_CAM_PORTS		8	/* 0xcf8 address, 0xcfc-0xcff data */

struct acpi_blob {
	u8 *buf;
	size_t size;
	size_t len;
	u64 gpa;
};

/* Reserves len bytes whose guest address is align-aligned; offset or error. */
static long blob_alloc(struct acpi_blob *b, size_t len, size_t align)
{
	size_t off = b->len;

	while ((b->gpa + off) % align)
		off++;
	if (off > b->size || len > b->size - off)
		return -ENOSPC;
	/* Zero the padding too: the output depends only on the inputs. */
	memset(b->buf + b->len, 0, off + len - b->len);
	b->len = off + len;
	return off;
}

static u64 blob_gpa(const struct acpi_blob *b, long off)
{
	return b->gpa + off;
}

static void sdt_header(u8 *p, const char *sig, u32 len, u8 rev)
{
	char table_id[9];

	snprintf(table_id, sizeof(table_id), "VMM%.4s", sig);
	memcpy(p + 0, sig, 4);
	table_put32(p + 4, len);
	table_put8(p + 8, rev);
	table_put_id(p + 10, ACPI_OEM_ID, 6);
	table_put_id(p + 16, table_id, 8);
	table_put32(p + 24, 1);			/* OEM revision */
	memcpy(p + 28, "VMM ", 4);		/* creator id */
	table_put32(p + 32, 1);			/* creator revision */
}

/* Call last: the checksum covers the whole table (header length field). */
static void sdt_checksum(u8 *p)
{
	u32 len = p[4] | p[5] << 8 | p[6] << 16 | (u32)p[7] << 24;

	p[9] = 0;
	p[9] = table_checksum(p, len);
}

static void gas_io(u8 *p, u16 port, u8 bits, u8 access)
{
	table_put8(p + 0, GAS_SYSTEM_IO);
	table_put8(p + 1, bits);
	table_put8(p + 2, 0);		/* bit offset */
	table_put8(p + 3, access);
	table_put64(p + 4, port);
}

static u64 pci_ecam_size(const struct acpi_pci_host *pci)
{
	return (u64)(pci->bus_end - pci->bus_start + 1) * PCI_ECAM_BUS_SIZE;
}

static int acpi_check_pci(const struct acpi_pci_host *pci)
{
	if (pci->bus_start > pci->bus_end || !pci->intx_lines)
		return -EINVAL;
	/* Memory32Fixed and DWordMemory: everything below 4 GiB. */
	if (pci->ecam_base % PCI_ECAM_BUS_SIZE ||
	    pci->ecam_base + pci_ecam_size(pci) > (1ULL << 32))
		return -EINVAL;
	if (!pci->mem_size || (u64)pci->mem_base + pci->mem_size > (1ULL << 32))
		return -EINVAL;
	if (pci->io_size && pci->io_base + pci->io_size > 0x10000)
		return -EINVAL;
	if (pci->cam_port > 0x10000 - PCI_CAM_PORTS)
		return -EINVAL;
	/* GSI 0-15 are ISA IRQs: the ISA overrides and PIC wiring own them. */
	if (pci->intx_gsi < 16)
		return -EINVAL;
	return 0;
}

/*
 * The IOAPIC's ID is 8 bits, in the xAPIC ID space (ACPI 6.5 5.2.12.3; MP
 * spec 1.4 3.6.8 wants APIC ids unique). Cpus 0-254 have xAPIC entries with
 * ids 0-254, 0xff is the broadcast and no cpu's; cpus from 255 on have x2APIC
 * entries (5.2.12.12), 32-bit ids the IOAPIC's is no part of. So the first id
 * after the cpus', and from 255 cpus on 0xff, the one 8-bit id left. (x86-64
 * Linux only wants IOAPIC ids unique among IOAPICs, io_apic_unique_id(), and
 * KVM's IOAPIC keeps 4 id bits; other guests may check against the cpus.)
 */
u8 acpi_ioapic_id(u32 nr_cpus)
{
	return MIN(nr_cpus, (u32)XAPIC_MAX_ID + 1);
}

static int acpi_check_info(const struct acpi_info *info)
{
	if (!info || info->nr_cpus == 0 || info->nr_cpus > ACPI_MAX_CPUS)
		return -EINVAL;
	/* Not one of the cpus' xAPIC ids. */
	if (info->ioapic_id < MIN(info->nr_cpus, (u32)XAPIC_MAX_ID + 1))
		return -EINVAL;
	/* Not hardware-reduced: the PM1a blocks are mandatory. */
	if (!info->pm1a_evt_port || !info->pm1a_cnt_port)
		return -EINVAL;
	/* The SCI is an ISA IRQ with its own override; 0 and 2 are taken. */
	if (info->sci_irq == 0 || info->sci_irq == 2 || info->sci_irq > 15)
		return -EINVAL;
	if (info->s5_slp_typ > ACPI_S5_SLP_TYP_MAX)
		return -EINVAL;
	if (info->com1_port && info->com1_irq > 15)
		return -EINVAL;
	if (info->nr_mmio_devs > ACPI_MAX_MMIO_DEVS ||
	    (info->nr_mmio_devs && !info->mmio_devs))
		return -EINVAL;
	for (u32 i = 0; i < info->nr_mmio_devs; i++) {
		const struct acpi_mmio_dev *d = &info->mmio_devs[i];

		/* Memory32Fixed: the window must be non-empty and below 4 GiB. */
		if (!d->size || d->base + d->size > (1ULL << 32))
			return -EINVAL;
	}
	if (info->nr_ecams && !info->ecams)
		return -EINVAL;
	for (u32 i = 0; i < info->nr_ecams; i++)
		if (info->ecams[i].bus_start > info->ecams[i].bus_end)
			return -EINVAL;
	return info->pci ? acpi_check_pci(info->pci) : 0;
}

static void dsdt_crs_begin(struct aml *a)
{
	aml_name(a, "_CRS");
	aml_buffer_begin(a);
}

static void dsdt_crs_end(struct aml *a)
{
	aml_res_end(a);
	aml_end(a);
}

/*
 * The PCI host bridge as Linux's acpi_pci_root driver reads it (PCI
 * Firmware Spec 3.0 4.1.1; ACPI 6.4 6.2.13 _PRT), and the motherboard
 * resource that makes Linux trust the MCFG's ECAM (mmconfig-shared.c).
 */
static void dsdt_pci(struct aml *a, const struct acpi_pci_host *pci)
{
	aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");	/* PCI Express root */
	aml_name_eisaid(a, "_CID", "PNP0A03");	/* PCI root, for older OSes */
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", pci->bus_start);
	aml_name_integer(a, "_UID", 0);

	/*
	 * The windows the bridge forwards. The config ports are listed as
	 * on PCs; Linux drops them from the windows (resource_is_pcicfg_ioport).
	 */
	dsdt_crs_begin(a);
	aml_res_word_bus(a, pci->bus_start, pci->bus_end);
	if (pci->cam_port)
		aml_res_io(a, pci->cam_port, PCI_CAM_PORTS);
	if (pci->io_size)
		aml_res_word_io(a, pci->io_base, pci->io_base + pci->io_size - 1);
	aml_res_dword_mem(a, false, pci->mem_base, pci->mem_base + pci->mem_size - 1);
	dsdt_crs_end(a);

	/*
	 * _PRT: {address 0xSSSSFFFF (any function), pin, source 0, GSI}. A
	 * zero source means a hard-wired GSI, which Linux (pci_irq.c) sets up
	 * level-triggered and active low.
	 */
	aml_name(a, "_PRT");
	aml_package_begin(a, PCI_SLOTS * PCI_PINS);
	for (u32 slot = 0; slot < PCI_SLOTS; slot++) {
		for (u32 pin = 0; pin < PCI_PINS; pin++) {
			aml_package_begin(a, 4);
			aml_integer(a, slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, pci->intx_gsi + (slot + pin) % pci->intx_lines);
			aml_end(a);
		}
	}
	aml_end(a);
	aml_end(a);	/* PCI0 */

	aml_device_begin(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_integer(a, "_UID", 0);
	dsdt_crs_begin(a);
	aml_res_mem32_fixed(a, true, pci->ecam_base, pci_ecam_size(pci));
	dsdt_crs_end(a);
	aml_end(a);
}

static int dsdt_build(u8 *p, size_t size, const struct acpi_info *info)
{
	struct aml a;
	char name[5];
	int len;

	aml_init(&a, p + SDT_HEADER_SIZE, size - SDT_HEADER_SIZE);

	/* \_S5: {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved} (7.4.2). */
	aml_name(&a, "\\_S5");
	aml_package_begin(&a, 4);
	aml_integer(&a, info->s5_slp_typ);
	aml_integer(&a, info->s5_slp_typ);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a);

	aml_scope_begin(&a, "\\_SB");

	/* Processor devices (8.4); _UID matches the MADT processor UID. */
	for (u32 i = 0; i < info->nr_cpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		aml_device_begin(&a, name);
		aml_name_string(&a, "_HID", "ACPI0007");
		aml_name_integer(&a, "_UID", i);
		aml_end(&a);
	}

	if (info->com1_port) {
		aml_device_begin(&a, "COM1");
		aml_name_eisaid(&a, "_HID", "PNP0501");
		aml_name_integer(&a, "_UID", 1);
		dsdt_crs_begin(&a);
		aml_res_io(&a, info->com1_port, 8);
		aml_res_irq_noflags(&a, info->com1_irq);
		dsdt_crs_end(&a);
		aml_end(&a);
	}

	/* QEMU's pvpanic ISA device: the guest writes 1 to the port on panic. */
	if (info->pvpanic_port) {
		aml_device_begin(&a, "PEVT");
		aml_name_string(&a, "_HID", "QEMU0001");
		dsdt_crs_begin(&a);
		aml_res_io(&a, info->pvpanic_port, 1);
		dsdt_crs_end(&a);
		aml_name_integer(&a, "_STA", 0x0f);
		aml_end(&a);
	}

	/* virtio-mmio, as Linux's virtio_mmio driver matches it over ACPI. */
	for (u32 i = 0; i < info->nr_mmio_devs; i++) {
		const struct acpi_mmio_dev *d = &info->mmio_devs[i];

		snprintf(name, sizeof(name), "VR%02X", i & 0xff);
		aml_device_begin(&a, name);
		aml_name_string(&a, "_HID", "LNRO0005");
		aml_name_integer(&a, "_UID", i);
		dsdt_crs_begin(&a);
		aml_res_mem32_fixed(&a, true, d->base, d->size);
		aml_res_interrupt(&a, d->level, d->gsi);
		dsdt_crs_end(&a);
		aml_end(&a);
	}

	if (info->pci)
		dsdt_pci(&a, info->pci);

	aml_end(&a);	/* \_SB */

	len = aml_finish(&a);
	if (len < 0)
		return len;
	/* Revision 2: AML integers are 64-bit. */
	sdt_header(p, "DSDT", SDT_HEADER_SIZE + len, 2);
	sdt_checksum(p);
	return SDT_HEADER_SIZE + len;
}

static void fadt_build(u8 *p, const struct acpi_info *info, u64 facs,
		       u64 dsdt)
{
	u16 boot_arch = BOOT_ARCH_NO_VGA;
	u32 flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC;

	if (info->com1_port || info->i8042 || info->cmos_rtc)
		boot_arch |= BOOT_ARCH_LEGACY_DEVICES;
	if (info->i8042)
		boot_arch |= BOOT_ARCH_8042;
	if (!info->cmos_rtc)
		boot_arch |= BOOT_ARCH_NO_CMOS_RTC;
	if (info->reset_port)
		flags |= FADT_RESET_REG_SUP;
	if (!info->power_button)
		flags |= FADT_PWR_BUTTON;

	sdt_header(p, "FACP", FADT_SIZE, FADT_REVISION);
	/* X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set (5.2.9). */
	table_put32(p + 36, facs);		/* FIRMWARE_CTRL */
	table_put32(p + 40, dsdt);		/* DSDT */
	table_put16(p + 46, info->sci_irq);	/* SCI_INT */
	/* SMI_CMD 0: no SMM, the platform is always in ACPI mode. */
	table_put32(p + 56, info->pm1a_evt_port);	/* PM1a_EVT_BLK */
	table_put32(p + 64, info->pm1a_cnt_port);	/* PM1a_CNT_BLK */
	table_put8(p + 88, 4);			/* PM1_EVT_LEN */
	table_put8(p + 89, 2);			/* PM1_CNT_LEN */
	/* No PM timer, no GPE blocks: their lengths stay 0. */
	/* C2/C3 latencies above 100/1000 us mean "not supported". */
	table_put16(p + 96, 101);		/* P_LVL2_LAT */
	table_put16(p + 98, 1001);		/* P_LVL3_LAT */
	table_put16(p + 109, boot_arch);	/* IAPC_BOOT_ARCH */
	table_put32(p + 112, flags);
	if (info->reset_port) {
		gas_io(p + 116, info->reset_port, 8, GAS_ACCESS_BYTE);
		table_put8(p + 128, info->reset_value);
	}
	table_put8(p + 131, FADT_MINOR_REVISION);
	table_put64(p + 140, dsdt);		/* X_DSDT */
	gas_io(p + 148, info->pm1a_evt_port, 32, GAS_ACCESS_WORD);
	gas_io(p + 172, info->pm1a_cnt_port, 16, GAS_ACCESS_WORD);
	memcpy(p + 268, "VMM", 3);		/* hypervisor vendor identity */
	sdt_checksum(p);
}

static void facs_build(u8 *p)
{
	memcpy(p + 0, "FACS", 4);
	table_put32(p + 4, FACS_SIZE);
	/* Hardware signature, waking vector, global lock, flags all 0. */
	table_put8(p + 32, 2);			/* version */
}

static size_t madt_size(const struct acpi_info *info)
{
	u32 nr_xapic = MIN(info->nr_cpus, XAPIC_MAX_ID + 1);
	u32 nr_x2apic = info->nr_cpus - nr_xapic;

	return MADT_HEADER_SIZE + nr_xapic * MADT_LAPIC_SIZE +
	       nr_x2apic * MADT_X2APIC_SIZE + MADT_IOAPIC_SIZE +
	       2 * MADT_ISO_SIZE + MADT_LAPIC_NMI_SIZE +
	       (nr_x2apic ? MADT_X2APIC_NMI_SIZE : 0);
}

static u8 *madt_iso(u8 *e, u8 irq, u32 gsi, u16 flags)
{
	table_put8(e + 0, MADT_ISO);
	table_put8(e + 1, MADT_ISO_SIZE);
	table_put8(e + 2, 0);			/* bus: ISA */
	table_put8(e + 3, irq);
	table_put32(e + 4, gsi);
	table_put16(e + 8, flags);
	return e + MADT_ISO_SIZE;
}

static void madt_build(u8 *p, size_t len, const struct acpi_info *info)
{
	u8 *e = p + MADT_HEADER_SIZE;
	bool x2apic = false;

	/* Revision 5 layout (ACPI 6.x) without the newer subtables. */
	sdt_header(p, "APIC", len, 5);
	table_put32(p + 36, info->lapic_addr);
	table_put32(p + 40, MADT_PCAT_COMPAT);	/* there is a legacy 8259 */

	for (u32 i = 0; i < info->nr_cpus; i++) {
		if (i <= XAPIC_MAX_ID) {
			table_put8(e + 0, MADT_LAPIC);
			table_put8(e + 1, MADT_LAPIC_SIZE);
			table_put8(e + 2, i);	/* ACPI processor UID */
			table_put8(e + 3, i);	/* APIC id */
			table_put32(e + 4, MADT_ENABLED);
			e += MADT_LAPIC_SIZE;
		} else {
			table_put8(e + 0, MADT_X2APIC);
			table_put8(e + 1, MADT_X2APIC_SIZE);
			table_put32(e + 4, i);	/* x2APIC id */
			table_put32(e + 8, MADT_ENABLED);
			table_put32(e + 12, i);	/* ACPI processor UID */
			e += MADT_X2APIC_SIZE;
			x2apic = true;
		}
	}

	table_put8(e + 0, MADT_IOAPIC);
	table_put8(e + 1, MADT_IOAPIC_SIZE);
	table_put8(e + 2, info->ioapic_id);
	table_put32(e + 4, info->ioapic_addr);
	table_put32(e + 8, 0);			/* GSI base */
	e += MADT_IOAPIC_SIZE;

	/* As on PCs: the PIT (IRQ0) is IOAPIC pin 2; the SCI is level-high. */
	e = madt_iso(e, 0, 2, 0);
	e = madt_iso(e, info->sci_irq, info->sci_irq,
		     MPS_ACTIVE_HIGH | MPS_LEVEL);

	/* NMI on LINT1 of every cpu, as in the MP table's virtual wire mode. */
	table_put8(e + 0, MADT_LAPIC_NMI);
	table_put8(e + 1, MADT_LAPIC_NMI_SIZE);
	table_put8(e + 2, MADT_ALL_CPUS);
	table_put16(e + 3, 0);			/* flags: conform to the bus */
	table_put8(e + 5, 1);			/* LINT1 */
	e += MADT_LAPIC_NMI_SIZE;
	if (x2apic) {
		table_put8(e + 0, MADT_X2APIC_NMI);
		table_put8(e + 1, MADT_X2APIC_NMI_SIZE);
		table_put32(e + 4, MADT_ALL_X2CPUS);
		table_put8(e + 8, 1);		/* LINT1 */
	}
	sdt_checksum(p);
}

static void mcfg_build(u8 *p, size_t len, const struct acpi_info *info)
{
	u8 *e = p + MCFG_HEADER_SIZE;

	sdt_header(p, "MCFG", len, 1);
	for (u32 i = 0; i < info->nr_ecams; i++, e += MCFG_ENTRY_SIZE) {
		table_put64(e + 0, info->ecams[i].base);
		table_put16(e + 8, info->ecams[i].segment);
		table_put8(e + 10, info->ecams[i].bus_start);
		table_put8(e + 11, info->ecams[i].bus_end);
	}
	sdt_checksum(p);
}

static void rsdp_build(u8 *p, u64 xsdt)
{
	memcpy(p + 0, "RSD PTR ", 8);
	table_put_id(p + 9, ACPI_OEM_ID, 6);
	table_put8(p + 15, 2);			/* revision: ACPI 2.0+ */
	table_put32(p + 16, 0);			/* no RSDT */
	table_put32(p + 20, RSDP_SIZE);
	table_put64(p + 24, xsdt);
	/* The first checksum covers the ACPI 1.0 part, the second all. */
	table_put8(p + 8, table_checksum(p, 20));
	table_put8(p + 32, table_checksum(p, RSDP_SIZE));
}

int acpi_build(void *buf, size_t size, u64 gpa, const struct acpi_info *info,
	       u64 *rsdp_gpa)
{
	struct acpi_blob b = { .buf = buf, .size = size, .gpa = gpa };
	u64 entries[XSDT_MAX_ENTRIES];
	long rsdp, xsdt, fadt, facs, dsdt, madt, mcfg;
	size_t nr_entries = 2 + (info && info->nr_ecams ? 1 : 0);
	size_t xsdt_len = SDT_HEADER_SIZE + 8 * nr_entries;
	size_t mlen;
	int ret;

	ret = acpi_check_info(info);
	if (ret)
		return ret;
	/* RSDP scan alignment; FADT and RSDP hold 32-bit pointers. */
	if (gpa % 16 || gpa >= (1ULL << 32))
		return -EINVAL;

	rsdp = blob_alloc(&b, RSDP_SIZE, 16);
	if (rsdp < 0)
		return rsdp;
	xsdt = blob_alloc(&b, xsdt_len, 16);
	if (xsdt < 0)
		return xsdt;
	fadt = blob_alloc(&b, FADT_SIZE, 16);
	if (fadt < 0)
		return fadt;
	facs = blob_alloc(&b, FACS_SIZE, 64);	/* FACS must be 64-byte aligned */
	if (facs < 0)
		return facs;

	/*
	 * The DSDT's size is known once its AML is encoded: build it in place
	 * in the rest of the buffer, then allocate what it used.
	 */
	dsdt = blob_alloc(&b, SDT_HEADER_SIZE, 16);
	if (dsdt < 0)
		return dsdt;
	ret = dsdt_build(b.buf + dsdt, b.size - dsdt, info);
	if (ret < 0)
		return ret;
	b.len = dsdt + ret;

	mlen = madt_size(info);
	madt = blob_alloc(&b, mlen, 16);
	if (madt < 0)
		return madt;
	madt_build(b.buf + madt, mlen, info);
	entries[0] = blob_gpa(&b, fadt);
	entries[1] = blob_gpa(&b, madt);

	if (info->nr_ecams) {
		mlen = MCFG_HEADER_SIZE + MCFG_ENTRY_SIZE * info->nr_ecams;
		mcfg = blob_alloc(&b, mlen, 16);
		if (mcfg < 0)
			return mcfg;
		mcfg_build(b.buf + mcfg, mlen, info);
		entries[2] = blob_gpa(&b, mcfg);
	}

	if (gpa + b.len > (1ULL << 32))
		return -EINVAL;

	facs_build(b.buf + facs);
	fadt_build(b.buf + fadt, info, blob_gpa(&b, facs), blob_gpa(&b, dsdt));

	sdt_header(b.buf + xsdt, "XSDT", xsdt_len, 1);
	for (size_t i = 0; i < nr_entries; i++)
		table_put64(b.buf + xsdt + SDT_HEADER_SIZE + 8 * i, entries[i]);
	sdt_checksum(b.buf + xsdt);

	rsdp_build(b.buf + rsdp, blob_gpa(&b, xsdt));
	if (rsdp_gpa)
		*rsdp_gpa = blob_gpa(&b, rsdp);
	return b.len;
}
