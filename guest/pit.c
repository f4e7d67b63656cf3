// SPDX-License-Identifier: GPL-2.0
/* Time: TSC frequency (KVM leaf 0x40000010 or PIT calibration) and the PIT test. */
#include "guest.h"

#define PIT_HZ		1193182
#define PIT_CH0		0x40
#define PIT_CMD		0x43

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

static u16 pit_ch0_read(void)
{
	u8 lo, hi;

	outb(PIT_CMD, 0x00);		/* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return lo | hi << 8;
}

/*
 * Channel 0 free-running (mode 2, 65536), read back with latch commands:
 * count 20 ms of PIT ticks against the TSC. Needs no port 0x61 and no IRQ.
 */
static u32 tsc_khz_pit(void)
{
	const u32 ms = 20, want = PIT_HZ * ms / 1000;
	u32 elapsed = 0, spins = 0;
	u16 prev, cur;
	u64 t0, t1;

	outb(PIT_CMD, 0x34);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
	prev = pit_ch0_read();
	t0 = rdtsc();
	while (elapsed < want && ++spins < 1000000) {
		cur = pit_ch0_read();
		elapsed += (u16)(prev - cur);	/* counts down, wraps at 65536 */
		prev = cur;
	}
	t1 = rdtsc();
	outb(PIT_CMD, 0x30);		/* stop: mode 0, no count loaded */
	if (elapsed < want || (t1 - t0) / ms < 100000)
		return 0;		/* no PIT, or below 100 MHz: not believable */
	return (u64)(t1 - t0) * PIT_HZ / 1000 / elapsed;
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
	u32 rate = 0, retried = 0;

	pic_disable();
	lapic_enable();
	ioapic_route(gsi, VEC_TIMER, lapic_id(), false, false);
	outb(PIT_CMD, 0x34);		/* ch0, lobyte/hibyte, mode 2 (rate generator) */
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
	sti();
	udelay(20000);			/* let the first ticks settle */
	for (int attempt = 0; attempt < 2; attempt++) {
		n0 = irq_count_timer;
		t0 = rdtsc();
		while (tsc_to_us(rdtsc() - t0) < 200000)
			syscall0(SYS_IDLE);	/* sti; hlt in ring 0: wakes on each tick */
		n1 = irq_count_timer;
		t1 = rdtsc();
		us = tsc_to_us(t1 - t0);
		rate = us ? (n1 - n0) * 1000000 / us : 0;
		/* A loaded host can stall an emulator's timer thread: measure once more. */
		if (rate >= 800 && rate <= 1200)
			break;
		retried = 1;
	}
	cli();
	ioapic_mask(gsi);
	outb(PIT_CMD, 0x30);		/* ch0 mode 0, count never loaded: stops */
	if (rate >= 800 && rate <= 1200)
		test_pass(name, "ticks=%llu us=%llu rate=%uHz gsi=%u tsc_khz=%u%s retried=%u", n1 - n0, us,
			  rate, gsi, tsc_khz(), khz_cpuid ? "" : "(pit)", retried);
	else
		test_fail(name, "ticks=%llu us=%llu rate=%uHz expected=1000Hz gsi=%u tsc_khz=%u%s retried=%u",
			  n1 - n0, us, rate, gsi, tsc_khz(), khz_cpuid ? "" : "(pit)", retried);
}
