// SPDX-License-Identifier: GPL-2.0
/* Time: TSC frequency (KVM leaf or PIT channel 2 calibration) and the PIT test. */
#include "guest.h"

#define PIT_HZ		1193182
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_B		0x61	/* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 out */

static u32 khz;
static bool khz_cpuid;

/* KVM's leaf 0x40000010 EAX: TSC frequency in kHz (when the VMM fills it). */
static u32 tsc_khz_cpuid(void)
{
	u32 r[4];

	cpuid(0x40000000, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d || r[0] < 0x40000010)
		return 0;
	cpuid(0x40000010, 0, r);
	return r[0];
}

/* Channel 2, mode 0, 20 ms: count TSC cycles until OUT goes high. */
static u32 tsc_khz_pit(void)
{
	const u32 ms = 20, count = PIT_HZ * ms / 1000;
	u64 t0, t1;
	u32 spins = 0;

	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	outb(PIT_CMD, 0xb0);		/* ch2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_B) & 0x20) && ++spins < 50000000)
		;
	t1 = rdtsc();
	outb(PORT_B, inb(PORT_B) & ~0x03);
	return (t1 - t0) / ms;
}

u32 tsc_khz(void)
{
	if (!khz) {
		khz = tsc_khz_cpuid();
		khz_cpuid = khz != 0;
		if (!khz)
			khz = tsc_khz_pit();
		if (!khz)
			khz = 1000000;	/* no PIT either: assume 1 GHz */
	}
	return khz;
}

bool tsc_khz_from_cpuid(void)
{
	tsc_khz();
	return khz_cpuid;
}

void udelay(u64 us)
{
	u64 start = rdtsc(), cycles = us * tsc_khz() / 1000;

	while (rdtsc() - start < cycles)
		cpu_relax();
}

u64 tsc_to_us(u64 cycles)
{
	return cycles * 1000 / tsc_khz();
}

/* PIT channel 0 at 1000 Hz -> IOAPIC (ISA IRQ 0 after MADT overrides) -> LAPIC -> ring 0 counter. */
void test_pit(const char *name)
{
	const struct acpi_info *ai = acpi_get();
	u32 gsi = ai->irq_gsi[0], div = (PIT_HZ + 500) / 1000;
	u64 t0, t1, n0, n1, us;
	u32 rate;

	pic_disable();
	lapic_enable();
	ioapic_route(gsi, VEC_TIMER, lapic_id(), false, false);
	outb(PIT_CMD, 0x36);		/* ch0, lobyte/hibyte, mode 3 (square wave) */
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
	sti();
	udelay(20000);			/* let the first ticks settle */
	n0 = irq_count_timer;
	t0 = rdtsc();
	udelay(200000);
	n1 = irq_count_timer;
	t1 = rdtsc();
	cli();
	ioapic_mask(gsi);
	outb(PIT_CMD, 0x30);		/* ch0 mode 0, count never loaded: stops */
	us = tsc_to_us(t1 - t0);
	rate = us ? (n1 - n0) * 1000000 / us : 0;
	if (rate >= 800 && rate <= 1200)
		test_pass(name, "ticks=%llu us=%llu rate=%uHz gsi=%u tsc_khz=%u%s", n1 - n0, us, rate,
			  gsi, tsc_khz(), khz_cpuid ? "" : "(pit)");
	else
		test_fail(name, "ticks=%llu us=%llu rate=%uHz expected=1000Hz gsi=%u tsc_khz=%u%s",
			  n1 - n0, us, rate, gsi, tsc_khz(), khz_cpuid ? "" : "(pit)");
}
