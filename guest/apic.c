// SPDX-License-Identifier: GPL-2.0
/* Local APIC (xAPIC MMIO), IOAPIC and 8259 PIC, all reached from ring 3. */
#include "guest.h"

#define LAPIC_ID	0x20
#define LAPIC_TPR	0x80
#define LAPIC_EOI	0xb0
#define LAPIC_SVR	0xf0
#define IOREGSEL	0x00
#define IOWIN		0x10

u32 lapic_read(u32 reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(u32 reg, u32 v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

void lapic_enable(void)
{
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

/* The Interrupt Request Register: accepted by the LAPIC, not yet delivered to the cpu. */
bool lapic_irr(u8 vector)
{
	return lapic_read(0x200 + 0x10 * (vector / 32)) >> (vector % 32) & 1;
}

static void ioapic_write(u32 reg, u32 v)
{
	u64 base = acpi_get()->ioapic_addr;

	mmio_write32(base + IOREGSEL, reg);
	mmio_write32(base + IOWIN, v);
}

/* GSI numbering assumes one IOAPIC with GSI base 0 (true for vmm and QEMU). */
void ioapic_route(u32 gsi, u8 vector, u32 dest_apic, bool level, bool low)
{
	ioapic_write(0x11 + 2 * gsi, dest_apic << 24);
	ioapic_write(0x10 + 2 * gsi, vector | (low ? 1 << 13 : 0) | (level ? 1 << 15 : 0));
}

void ioapic_mask(u32 gsi)
{
	ioapic_write(0x10 + 2 * gsi, 1 << 16);
}

/* Mask every 8259 line: ISA interrupts go through the IOAPIC only. */
void pic_disable(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}
