// SPDX-License-Identifier: GPL-2.0
/*
 * MP table builder, after the Intel MultiProcessor Specification 1.4
 * (chapter 4: floating pointer, configuration table header and base
 * entries). Layout: floating pointer (16 bytes) then the configuration
 * table right after it.
 */
#include <errno.h>
#include <string.h>

#include "firmware/mptable.h"
#include "firmware/table.h"

#define MPF_SIZE		16
#define MPC_HEADER_SIZE		44
#define MPC_CPU_SIZE		20
#define MPC_ENTRY_SIZE		8	/* bus, ioapic, io and local interrupt */

#define MPC_TYPE_CPU		0
#define MPC_TYPE_BUS		1
#define MPC_TYPE_IOAPIC		2
#define MPC_TYPE_IOINT		3
#define MPC_TYPE_LINT		4

#define MP_INT			0	/* vectored interrupt (from the IOAPIC) */
#define MP_NMI			1
#define MP_EXTINT		3	/* 8259A-compatible */

#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02
#define MP_IOAPIC_ENABLED	0x01

#define MP_ISA_IRQS		16
#define MP_ALL_LAPICS		0xff
/*
 * Linux takes a PCI bus's MP id for its bus number (mpparse.c, io_apic.c
 * IO_APIC_get_PCI_irq_vector), so PCI bus 0 is id 0 and ISA follows, as
 * SeaBIOS does.
 */
#define MP_PCI_BUS_ID		0
#define MP_PCI_SLOTS		32
#define MP_PCI_INTA		0

/* I/O interrupt flags (MP spec 4.3.4): polarity bits 1:0, trigger 3:2. */
#define MP_IRQ_CONFORMS		0x0
#define MP_IRQ_ACTIVE_LOW	0x3
#define MP_IRQ_LEVEL		(0x3 << 2)

/* Family 6 and CPUID.1:EDX FPU|APIC; informational, Linux only prints it. */
#define MP_CPU_SIGNATURE	0x600
#define MP_CPU_FEATURES		((1u << 0) | (1u << 9))

/* ISA IRQs 0-15 minus IRQ2 (the 8259 cascade): 15 I/O interrupt entries. */
#define MP_NR_IOINTS		(MP_ISA_IRQS - 1)
#define MP_NR_LINTS		2
#define MP_FIXED_SIZE		(MPF_SIZE + MPC_HEADER_SIZE + MPC_ENTRY_SIZE * \
				 (2 + MP_NR_IOINTS + MP_NR_LINTS))
/* The PCI bus entry and INTA# of slots 1-31. */
#define MP_PCI_SIZE		(MPC_ENTRY_SIZE * (1 + MP_PCI_SLOTS - 1))

size_t mptable_size(u32 nr_cpus, bool pci)
{
	if (nr_cpus == 0 || nr_cpus > MPTABLE_MAX_CPUS)
		return 0;
	return MP_FIXED_SIZE + (size_t)MPC_CPU_SIZE * nr_cpus + (pci ? MP_PCI_SIZE : 0);
}

static u8 *mp_put_bus(u8 *p, u8 id, const char *type)
{
	table_put8(p + 0, MPC_TYPE_BUS);
	table_put8(p + 1, id);
	table_put_id(p + 2, type, 6);
	return p + MPC_ENTRY_SIZE;
}

static u8 *mp_put_int(u8 *p, u8 type, u8 irqtype, u16 flags, u8 srcbus, u8 srcirq,
		      u8 dst_id, u8 dst_pin)
{
	table_put8(p + 0, type);
	table_put8(p + 1, irqtype);
	table_put16(p + 2, flags);
	table_put8(p + 4, srcbus);
	table_put8(p + 5, srcirq);
	table_put8(p + 6, dst_id);
	table_put8(p + 7, dst_pin);
	return p + MPC_ENTRY_SIZE;
}

int mptable_build(void *buf, size_t size, u64 gpa,
		  const struct mptable_info *info)
{
	u8 *mpf = buf, *mpc, *p;
	size_t total;
	u16 nr_entries = 0;
	u8 isa_bus;

	/* The IOAPIC's id must not be a cpu's: MP spec 1.4 3.6.8, APIC ids are unique. */
	if (!info || info->ioapic_id < info->nr_cpus)
		return -EINVAL;
	if (info->pci && (!info->pci->intx_lines ||
			  info->pci->intx_gsi + info->pci->intx_lines > 0xff))
		return -EINVAL;
	total = mptable_size(info->nr_cpus, info->pci != NULL);
	/* Pointers in the tables are 32-bit; the scan wants 16-byte alignment. */
	if (!total || gpa % 16 || gpa + total > (1ULL << 32))
		return -EINVAL;
	if (size < total)
		return -ENOSPC;

	memset(buf, 0, total);
	mpc = mpf + MPF_SIZE;
	p = mpc + MPC_HEADER_SIZE;

	for (u32 i = 0; i < info->nr_cpus; i++) {
		table_put8(p + 0, MPC_TYPE_CPU);
		table_put8(p + 1, i);	/* local APIC id */
		table_put8(p + 2, info->lapic_version ?: MPTABLE_LAPIC_VERSION);
		table_put8(p + 3, MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0));
		table_put32(p + 4, MP_CPU_SIGNATURE);
		table_put32(p + 8, MP_CPU_FEATURES);
		p += MPC_CPU_SIZE;
		nr_entries++;
	}

	/* Bus entries come in bus id order. */
	isa_bus = info->pci ? MP_PCI_BUS_ID + 1 : 0;
	if (info->pci) {
		p = mp_put_bus(p, MP_PCI_BUS_ID, "PCI");
		nr_entries++;
	}
	p = mp_put_bus(p, isa_bus, "ISA");
	nr_entries++;

	table_put8(p + 0, MPC_TYPE_IOAPIC);
	table_put8(p + 1, info->ioapic_id);
	table_put8(p + 2, info->ioapic_version ?: MPTABLE_IOAPIC_VERSION);
	table_put8(p + 3, MP_IOAPIC_ENABLED);
	table_put32(p + 4, info->ioapic_addr);
	p += MPC_ENTRY_SIZE;
	nr_entries++;

	/* As on PCs: the PIT (IRQ0) is wired to IOAPIC pin 2, pin 0 to the 8259. */
	for (u8 irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;
		p = mp_put_int(p, MPC_TYPE_IOINT, MP_INT, MP_IRQ_CONFORMS, isa_bus, irq,
			       info->ioapic_id, irq == 0 ? 2 : irq);
		nr_entries++;
	}

	/* PCI source bus IRQ: device number in bits 6:2, pin (0 = INTA#) in 1:0. */
	for (u8 slot = 1; info->pci && slot < MP_PCI_SLOTS; slot++) {
		const struct mptable_pci *pci = info->pci;

		p = mp_put_int(p, MPC_TYPE_IOINT, MP_INT, MP_IRQ_ACTIVE_LOW | MP_IRQ_LEVEL,
			       MP_PCI_BUS_ID, slot << 2 | MP_PCI_INTA, info->ioapic_id,
			       pci->intx_gsi + slot % pci->intx_lines);
		nr_entries++;
	}

	/* Virtual wire: the 8259 drives LINT0 as ExtINT, NMI arrives on LINT1. */
	p = mp_put_int(p, MPC_TYPE_LINT, MP_EXTINT, MP_IRQ_CONFORMS, isa_bus, 0,
		       MP_ALL_LAPICS, 0);
	p = mp_put_int(p, MPC_TYPE_LINT, MP_NMI, MP_IRQ_CONFORMS, isa_bus, 0,
		       MP_ALL_LAPICS, 1);
	nr_entries += MP_NR_LINTS;

	/* Configuration table header (MP spec 4.2). */
	memcpy(mpc + 0, "PCMP", 4);
	table_put16(mpc + 4, p - mpc);	/* base table length */
	table_put8(mpc + 6, 4);		/* spec revision 1.4 */
	table_put_id(mpc + 8, "VMM", 8);
	table_put_id(mpc + 16, "VMM", 12);
	table_put16(mpc + 34, nr_entries);
	table_put32(mpc + 36, info->lapic_addr);
	table_put8(mpc + 7, table_checksum(mpc, p - mpc));

	/* Floating pointer (MP spec 4.1); feature bytes 0: table present. */
	memcpy(mpf + 0, "_MP_", 4);
	table_put32(mpf + 4, gpa + MPF_SIZE);
	table_put8(mpf + 8, 1);		/* length in 16-byte units */
	table_put8(mpf + 9, 4);
	table_put8(mpf + 10, table_checksum(mpf, MPF_SIZE));

	return p - mpf;
}
