// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal arm64 test binary with no Image header, as CI test kernels
 * come: vmm must load it at RAM base + 0x80000 and enter it like an Image.
 * It checks what it was given and says so on the 8250 UART (vmm's ttyS0):
 *   FLAT: entry=<where it runs> linked=<where it should> x0=<FDT> magic=<ok|bad>
 *   FLAT: bootargs=<the /chosen/bootargs, exactly>
 *   FLAT: gic=<the GIC node's compatible> sre=<ICC_SRE_EL1.SRE> [pidr2_arch=<GICD_PIDR2.ArchRev, v3>]
 *   FLAT: pmu=<the PMU node's compatible> pmcr_n=<counters> cycles=<delta>
 *     (with flat.pmu=1 on its command line; without, no PMU register is touched)
 *   FLAT: pass, then PSCI SYSTEM_OFF (vmm exit 0); or Linux's panic line
 *   (vmm exit 3) naming the first failed check.
 *   FLAT: its=<the ITS node's compatible|none> (with flat.its=0|1: none expected, or one)
 * flat.gic=2|3 on its command line says which GIC to expect.
 * MMU off: every access is Device memory, so no unaligned access
 * (-mstrict-align) and no FP (-mgeneral-regs-only).
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long u64;

#define UART		0x09000000UL	/* hw/arm64/layout.h */
#define GICD		0x08000000UL
#define FDT_MAGIC	0xd00dfeed

static void putc_(char c)
{
	volatile u8 *u = (volatile u8 *)UART;

	while (!(u[5] & 0x20))		/* LSR.THRE */
		;
	u[0] = c;
}

static void puts_(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s++);
	}
}

static void puthex(u64 v)
{
	char b[19] = "0x";
	int i, n = 2;

	for (i = 60; i > 0 && !(v >> i); i -= 4)
		;
	for (; i >= 0; i -= 4)
		b[n++] = "0123456789abcdef"[(v >> i) & 15];
	b[n] = 0;
	puts_(b);
}

static u32 be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int starts(const char *s, const char *p)
{
	while (*p && *s == *p)
		s++, p++;
	return !*p;
}

/* Does the space-separated @line hold the word @w? */
static int has_word(const char *line, const char *w)
{
	u32 n = 0;

	while (w[n])
		n++;
	for (const char *c = line; c && *c; c++)
		if ((c == line || c[-1] == ' ') && starts(c, w) && (!c[n] || c[n] == ' '))
			return 1;
	return 0;
}

struct found {
	const char *bootargs, *gic, *its, *pmu;
};

/*
 * Walk the structure block: /chosen/bootargs, /intc@.../compatible, its
 * /intc@.../its@.../compatible, /pmu/compatible.
 */
static void fdt_scan(const u8 *fdt, struct found *f)
{
	const u8 *p = fdt + be32(fdt + 8), *strs = (const u8 *)fdt + be32(fdt + 12);
	const char *node = "", *child = "";
	int depth = 0;

	for (;;) {
		u32 tok = be32(p);

		p += 4;
		if (tok == 1) {			/* FDT_BEGIN_NODE: the name, NUL, padding */
			const char *name = (const char *)p;

			if (++depth == 2)
				node = name;
			else if (depth == 3)
				child = name;
			while (*p)
				p++;
			p = (const u8 *)(((u64)p + 4) & ~3UL);
		} else if (tok == 2) {		/* FDT_END_NODE */
			depth--;
		} else if (tok == 3) {		/* FDT_PROP: len, nameoff, value */
			u32 len = be32(p), off = be32(p + 4);
			const char *name = (const char *)strs + off, *val = (const char *)p + 8;

			if (depth == 2 && str_eq(node, "chosen") && str_eq(name, "bootargs"))
				f->bootargs = val;
			if (depth == 2 && starts(node, "intc@") && str_eq(name, "compatible"))
				f->gic = val;
			if (depth == 2 && str_eq(node, "pmu") && str_eq(name, "compatible"))
				f->pmu = val;
			if (depth == 3 && starts(node, "intc@") && starts(child, "its@") &&
			    str_eq(name, "compatible"))
				f->its = val;
			p += 8 + ((len + 3) & ~3U);
		} else if (tok != 4) {		/* FDT_NOP; anything else ends it */
			return;
		}
	}
}

static const char *failed;

static void check(int ok, const char *what)
{
	if (!ok && !failed)
		failed = what;
}

static void pmu_test(const char *compat)
{
	u64 pmcr, c0, c1;

	puts_("FLAT: pmu=");
	puts_(compat ? compat : "none");
	check(compat && str_eq(compat, "arm,armv8-pmuv3"), "no arm,armv8-pmuv3 node");
	__asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
	/* Count cycles at EL0 and EL1 (PMCCFILTR 0), enable PMCCNTR and the PMU. */
	__asm__ volatile("msr pmccfiltr_el0, xzr\n"
			 "msr pmcntenset_el0, %0\n"
			 "msr pmcr_el0, %1\n"
			 "isb" :: "r"(1UL << 31), "r"(pmcr | 1 | 4));	/* E, C (reset) */
	__asm__ volatile("mrs %0, pmccntr_el0" : "=r"(c0));
	for (volatile int i = 0; i < 100000; i++)
		;
	__asm__ volatile("isb\nmrs %0, pmccntr_el0" : "=r"(c1));
	puts_(" pmcr_n=");
	puthex((pmcr >> 11) & 0x1f);
	puts_(" cycles=");
	puthex(c1 - c0);
	puts_("\n");
	check(c1 > c0, "the cycle counter did not count");
}

void flat_main(const u8 *fdt, u64 entry, u64 linked)
{
	struct found f = { 0 };
	int want_gic = 3;
	u64 sre;
	u32 pidr2;

	puts_("FLAT: entry=");
	puthex(entry);
	puts_(" linked=");
	puthex(linked);
	puts_(" x0=");
	puthex((u64)fdt);
	check(entry == linked, "not entered where it was linked");
	if (!fdt || ((u64)fdt & 7) || be32(fdt) != FDT_MAGIC) {
		puts_(" magic=bad\nKernel panic - not syncing: x0 is not a device tree\n");
		return;
	}
	puts_(" magic=ok\n");
	fdt_scan(fdt, &f);
	puts_("FLAT: bootargs=");
	puts_(f.bootargs ? f.bootargs : "(none)");
	puts_("\n");
	check(f.bootargs && !has_word(f.bootargs, "panic=-1"), "vmm added words to the command line");
	if (f.bootargs && has_word(f.bootargs, "flat.gic=2"))
		want_gic = 2;
	/*
	 * The GIC itself: ICC_SRE_EL1.SRE is 1 only with GICv3's system
	 * register interface (KVM answers 0 for a GICv2 guest); a GICv3's
	 * GICD_PIDR2 (at 0xffe8) names ArchRev 3. KVM's GICv2 has no ID
	 * registers to read.
	 */
	__asm__ volatile("mrs %0, S3_0_C12_C12_5" : "=r"(sre));
	puts_("FLAT: gic=");
	puts_(f.gic ? f.gic : "none");
	puts_(" sre=");
	puthex(sre & 1);
	if (want_gic == 3) {
		pidr2 = *(volatile u32 *)(GICD + 0xffe8);
		puts_(" pidr2_arch=");
		puthex((pidr2 >> 4) & 15);
		check(((pidr2 >> 4) & 15) == 3, "GICD_PIDR2 is not a GICv3's");
	}
	puts_("\n");
	check(f.gic && str_eq(f.gic, want_gic == 3 ? "arm,gic-v3" : "arm,cortex-a15-gic"),
	      "the GIC node is not the GIC asked for");
	/* flat.its=0|1: --irqchip gicv3 has no ITS, gicv3-its has one. */
	if (f.bootargs && (has_word(f.bootargs, "flat.its=0") || has_word(f.bootargs, "flat.its=1"))) {
		puts_("FLAT: its=");
		puts_(f.its ? f.its : "none");
		puts_("\n");
		check((f.its == 0) == has_word(f.bootargs, "flat.its=0") &&
		      (!f.its || str_eq(f.its, "arm,gic-v3-its")), "the ITS is not what was asked for");
	}
	check((sre & 1) == (want_gic == 3), "ICC_SRE_EL1.SRE is not the GIC asked for");
	if (f.bootargs && has_word(f.bootargs, "flat.pmu=1"))
		pmu_test(f.pmu);
	else
		check(!f.pmu, "a PMU node without --pmu");
	if (failed) {
		puts_("Kernel panic - not syncing: flat test failed: ");
		puts_(failed);
		puts_("\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	puts_("FLAT: pass\n");
}
