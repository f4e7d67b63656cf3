// SPDX-License-Identifier: GPL-2.0
/* Ring-3 main: command line, tests, then the requested action (or the shell). */
#include "guest.h"
#include "cpu.h"

volatile u64 irq_count_timer, irq_count_uart, irq_count_other, irq_count_virtio;
extern u8 __bss_start[], __bss_end[];

/* Entered through multiboot there is no zero page: tests read zeroes. */
static const u8 no_boot_params[4096];

const u8 *boot_params(void)
{
	return boot_params_ptr ? (const u8 *)boot_params_ptr : no_boot_params;
}

/* The multiboot information's command line (flag 2), or NULL. */
static const char *mb_cmdline(void)
{
	const u32 *info = (const u32 *)(u64)mb_info;

	return info && (info[0] & 4) && info[4] ? (const char *)(u64)info[4] : NULL;
}

const char *cmdline(void)
{
	const u8 *bp = boot_params();
	u64 p = *(const u32 *)(bp + 0x228) | (u64)*(const u32 *)(bp + 0x0c8) << 32;

	if (mb_magic == MB_BOOT_MAGIC)
		return mb_cmdline();
	return p ? (const char *)p : NULL;
}

u32 cmdline_size(void)
{
	u32 n = *(const u32 *)(boot_params() + 0x238);

	if (mb_magic == MB_BOOT_MAGIC)
		return 4095;	/* multiboot sets no limit: the guest's own */
	return n ? n : 255;	/* boot.rst: before 2.06 the limit was 255 */
}

/* Finds key=value as a whole word; copies the value (up to the next space). */
bool cmdline_get(const char *key, char *val, size_t len)
{
	const char *c = cmdline();
	size_t klen = strlen(key);

	for (; c && *c; ) {
		while (*c == ' ')
			c++;
		if (!strncmp(c, key, klen) && c[klen] == '=') {
			size_t n = 0;

			for (c += klen + 1; *c && *c != ' ' && n + 1 < len; c++)
				val[n++] = *c;
			val[n] = '\0';
			return true;
		}
		while (*c && *c != ' ')
			c++;
	}
	return false;
}

u64 expect_mem_mib(void)
{
	char v[24];

	return cmdline_get("expect_mem", v, sizeof(v)) ? parse_u64(v, NULL) : 0;
}

int expect_cpus(void)
{
	char v[24];

	return cmdline_get("expect_cpus", v, sizeof(v)) ? (int)parse_u64(v, NULL) : 0;
}

/* Ring 3 spins (hlt would fault); ring 0 (an exception report) halts. */
void hang(void)
{
	u16 cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	if (cs & 3)
		cli();
	else
		__asm__ __volatile__("cli");
	for (;;) {
		if (cs & 3)
			cpu_relax();
		else
			__asm__ __volatile__("hlt");
	}
}

/* pvpanic (QEMU docs/specs/pvpanic.txt): reading the port gives the supported events. */
void do_panic(void)
{
	if (inb(PVPANIC_PORT) & 1)
		outb(PVPANIC_PORT, 1);
	printf("PANIC\n");
	hang();
}

/* ACPI S5: SLP_TYP from \_S5_ in the DSDT, SLP_EN = bit 13, to PM1a_CNT. */
void do_poweroff(void)
{
	const struct acpi_info *ai = acpi_get();

	if (!ai->pm1a_cnt || ai->s5_slp_typ < 0) {
		printf("POWEROFF failed: pm1a_cnt=0x%x s5=%d\n", ai->pm1a_cnt, ai->s5_slp_typ);
		do_panic();
	}
	outw(ai->pm1a_cnt, (ai->s5_slp_typ & 7) << 10 | 1 << 13);
	udelay(1000000);
	printf("POWEROFF failed: still running 1 s after writing PM1a_CNT 0x%x\n", ai->pm1a_cnt);
	do_panic();
}

/* The i8042 pulses the reset line; 0xcf9 as a fallback. */
void do_reset(void)
{
	outb(0x64, 0xfe);
	udelay(100000);
	outb(0xcf9, 0x06);
	udelay(100000);
	printf("RESET failed\n");
	do_panic();
}

void do_triplefault(void)
{
	syscall0(SYS_TRIPLEFAULT);
	printf("TRIPLEFAULT failed\n");
	do_panic();
}

/* Console output forever, 16 bytes an exit: a reader that stalls blocks vmm's output. */
static void do_flood(void)
{
	static const char line[] = "FLOOD 0123456789abcdef0123456789abcdef0123456789abcdef\r\n";

	for (;;)
		serial_write_outsb(line, sizeof(line) - 1);
}

/*
 * action=powerbutton: wait for vmm's ACPI power button (vmm shutdown) as an
 * OS does: the fixed power button's enable bit set and the SCI routed
 * (level, active high) through the IOAPIC. Once PWRBTN_STS is set, the SCI
 * must be pending at the LAPIC (interrupts stay off), and writing 1 must
 * clear the status; then power off.
 */
#define PM1_PWRBTN	(1u << 8)
#define FADT_PWR_BUTTON	(1u << 4)	/* set: no fixed-feature power button */
static void do_powerbutton(void)
{
	const struct acpi_info *ai = acpi_get();
	u16 sts = (u16)ai->pm1a_evt, en = (u16)(ai->pm1a_evt + 2);
	u32 gsi = ai->sci_irq < 16 ? ai->irq_gsi[ai->sci_irq] : ai->sci_irq;
	bool sci = false, cleared;
	u64 t0;

	if (!ai->pm1a_evt || (ai->fadt_flags & FADT_PWR_BUTTON)) {
		printf("POWERBUTTON none: pm1a_evt=0x%x fadt_flags=0x%x\n", ai->pm1a_evt,
		       ai->fadt_flags);
		do_panic();
	}
	pic_disable();
	lapic_enable();
	ioapic_route(gsi, VEC_SCI, lapic_id(), true, false);
	outw(en, inw(en) | PM1_PWRBTN);
	if (lapic_irr(VEC_SCI) || (inw(sts) & PM1_PWRBTN)) {
		printf("POWERBUTTON pressed before anyone did: sts=0x%x\n", inw(sts));
		do_panic();
	}
	printf("POWERBUTTON waiting sci_gsi=%u\n", gsi);
	while (!(inw(sts) & PM1_PWRBTN))
		udelay(1000);
	t0 = rdtsc();
	while (!(sci = lapic_irr(VEC_SCI)) && tsc_to_us(rdtsc() - t0) < 100000)
		cpu_relax();
	outw(sts, PM1_PWRBTN);		/* write 1 to clear */
	cleared = !(inw(sts) & PM1_PWRBTN);
	ioapic_mask(gsi);
	printf("POWERBUTTON pressed sci=%d cleared=%d\n", sci, cleared);
	if (!sci || !cleared)
		do_panic();
	do_poweroff();
}

static void do_action(void)
{
	char act[16] = "poweroff", v[8];

	/* The boot-time marker (vmm's devices/boot_timer.h, Firecracker's convention). */
	if (cmdline_get("boottimer", v, sizeof(v)))
		mmio_write8(NULL_MMIO, 123);
	/* As Linux's pvpanic driver does when it probes: read the capabilities. */
	if (cmdline_get("pvprobe", v, sizeof(v)))
		printf("PVPANIC capabilities=0x%x\n", inb(PVPANIC_PORT));
	cmdline_get("action", act, sizeof(act));
	if (!strcmp(act, "poweroff")) {
		if (tests_failed)
			do_panic();	/* a failed run must not look like a clean exit */
		do_poweroff();
	} else if (!strcmp(act, "reset") || !strcmp(act, "reboot")) {
		do_reset();
	} else if (!strcmp(act, "triplefault")) {
		do_triplefault();
	} else if (!strcmp(act, "panic")) {
		do_panic();
	} else if (!strcmp(act, "emulfail")) {
		syscall0(SYS_EMULFAIL);
		printf("EMULFAIL survived: this host emulates ring 0 fully\n");
		do_poweroff();
	} else if (!strcmp(act, "powerbutton")) {
		do_powerbutton();
	} else if (!strcmp(act, "hang")) {
		hang();
	} else if (!strcmp(act, "flood")) {
		do_flood();
	} else if (!strcmp(act, "fakepanic")) {
		/* What any program can print: not a panic of this guest. */
		printf("Kernel panic - not syncing: printed by a program\n");
		do_poweroff();
	} else {
		printf("unknown action=%s\n", act);
		do_panic();
	}
}

/*
 * early_out=<port>: three bytes to that port before any output, as a kernel
 * built for another machine's UART would print (vmm must say so).
 */
static void early_out(void)
{
	char v[24];

	if (cmdline_get("early_out", v, sizeof(v)))
		for (int i = 0; i < 3; i++)
			outb((u16)parse_u64(v, NULL), 'x');
}

/* Ring 3, cpu 0, interrupts off. Entered from head.S with IOPL 3. */
void guest_main(void)
{
	char list[256];

	memset(__bss_start, 0, __bss_end - __bss_start);
	early_out();
	idt_init();
	serial_init();
	tsc_khz();
	if (cmdline_get("vmmtest", list, sizeof(list))) {
		run_tests(list);
		printf("RESULT passed=%d failed=%d\n", tests_passed, tests_failed);
		do_action();
	}
	printf("vmm test guest: x86-64, ring 3 with IOPL 3, %d cpus in MADT\n", acpi_get()->ncpus);
	run_tests("all");
	printf("RESULT passed=%d failed=%d\n", tests_passed, tests_failed);
	shell();
}
