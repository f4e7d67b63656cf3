// SPDX-License-Identifier: GPL-2.0
/*
 * SMP bring-up: INIT-SIPI-SIPI to every enabled MADT cpu, one at a time, with
 * the ICR written from ring 3 (the LAPIC page is user-mapped). Each AP runs
 * trampoline.S -> ap_entry64 -> ap_main (ring 3), reports its ids, and parks
 * in ring 0 with hlt.
 */
#include "guest.h"
#include "cpu.h"

#define ICR_LO		0x300
#define ICR_HI		0x310
#define ICR_BUSY	(1 << 12)
#define ICR_INIT	0x4500	/* INIT, level assert */
#define ICR_SIPI	0x4600	/* start-up */

struct cpu_report cpu_reports[MAX_CPUS];

extern u8 trampoline_start[], trampoline_end[], tramp_rsp[];
extern u64 ap_user_rsp;
extern u16 ap_tss_sel;
static volatile int ap_boot_cpu;

/* Ring 3 on the new AP. */
void ap_main(void)
{
	struct cpu_report *r = &cpu_reports[ap_boot_cpu];
	u32 v[4];

	cpuid(1, 0, v);
	r->apic_id = v[1] >> 24;
	r->x2apic_id = ~0u;
	cpuid(0, 0, v);
	if (v[0] >= 0xb) {
		cpuid(0xb, 0, v);
		if (v[1])
			r->x2apic_id = v[3];
	}
	barrier();
	r->alive = 1;
	syscall0(SYS_PARK);
}

static bool icr_wait(void)
{
	for (int i = 0; i < 100000; i++) {
		if (!(lapic_read(ICR_LO) & ICR_BUSY))
			return true;
		cpu_relax();
	}
	return false;
}

static void send_ipi(u32 apic, u32 cmd)
{
	icr_wait();
	lapic_write(ICR_HI, apic << 24);
	lapic_write(ICR_LO, cmd);
}

static bool trampoline_page_is_ram(void)
{
	const u8 *bp = boot_params();
	u8 n = bp[0x1e8];

	for (int i = 0; i < n && i < 128; i++) {
		const u8 *e = bp + 0x2d0 + 20 * i;
		u64 start = *(const u64 *)e, size = *(const u64 *)(e + 8);
		u32 type = *(const u32 *)(e + 16);

		if (type == 1 && start <= TRAMP_ADDR && start + size >= TRAMP_ADDR + 0x1000)
			return true;
	}
	return false;
}

static bool start_ap(int cpu, u32 apic)
{
	u64 t0;

	cpu_setup_tss(cpu);
	memset(&cpu_reports[cpu], 0, sizeof(cpu_reports[cpu]));
	*(u64 *)(TRAMP_ADDR + (tramp_rsp - trampoline_start)) = (u64)(kstacks[cpu] + KSTACK_SIZE);
	ap_user_rsp = (u64)(ustacks[cpu] + USTACK_SIZE);
	ap_tss_sel = SEL_TSS(cpu);
	ap_boot_cpu = cpu;
	barrier();

	/* Intel SDM 3A 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI. */
	send_ipi(apic, ICR_INIT);
	udelay(10000);
	send_ipi(apic, ICR_SIPI | (TRAMP_ADDR >> 12));
	udelay(200);
	if (!cpu_reports[cpu].alive)
		send_ipi(apic, ICR_SIPI | (TRAMP_ADDR >> 12));
	t0 = rdtsc();
	while (!cpu_reports[cpu].alive) {
		if (tsc_to_us(rdtsc() - t0) > 5000000)
			return false;
		cpu_relax();
	}
	return true;
}

void test_smp(const char *name)
{
	const struct acpi_info *ai = acpi_get();
	int want = expect_cpus(), started = 1, bad = 0, cpu = 1;
	u32 bsp = lapic_id();
	char msg[96] = "";

	if (!ai->have_madt)
		return test_fail(name, "no MADT");
	if (ai->ncpus > MAX_CPUS)
		return test_fail(name, "cpus=%d > MAX_CPUS=%d", ai->ncpus, MAX_CPUS);
	if (want && ai->ncpus != want)
		return test_fail(name, "madt_cpus=%d expected=%d", ai->ncpus, want);
	if (ai->ncpus > 1 && !trampoline_page_is_ram())
		return test_fail(name, "trampoline page 0x%llx is not usable RAM in e820", TRAMP_ADDR);
	memcpy((void *)TRAMP_ADDR, trampoline_start, trampoline_end - trampoline_start);
	lapic_enable();

	for (int i = 0; i < ai->ncpus; i++) {
		u32 apic = ai->apic_ids[i];
		u64 t0 = rdtsc();
		struct cpu_report *r;
		bool ok;

		if (apic == bsp)
			continue;
		ok = start_ap(cpu, apic);
		r = &cpu_reports[cpu];
		if (!ok) {
			printf("SMP cpu=%d apic=%u timeout\n", cpu, apic);
			snprintf(msg, sizeof(msg), " apic %u: no report in 5 s", apic);
			bad++;
		} else {
			printf("SMP cpu=%d apic=%u cpuid_apic=%u x2apic=%d us=%llu\n", cpu, apic, r->apic_id,
			       (int)r->x2apic_id, tsc_to_us(rdtsc() - t0));
			if (r->apic_id != (apic & 0xff) || (r->x2apic_id != ~0u && r->x2apic_id != apic)) {
				snprintf(msg, sizeof(msg), " apic %u reported %u/%d", apic, r->apic_id,
					 (int)r->x2apic_id);
				bad++;
			} else {
				started++;
			}
		}
		cpu++;
	}
	if (bad || started != ai->ncpus)
		test_fail(name, "cpus=%d started=%d bsp=%u%s", ai->ncpus, started, bsp, msg);
	else
		test_pass(name, "cpus=%d started=%d bsp=%u", ai->ncpus, started, bsp);
}
