// SPDX-License-Identifier: GPL-2.0
/* The test registry, result lines, and the small tests that need no file of their own. */
#include "guest.h"

int tests_passed, tests_failed;
const char *current_test;

static void result(const char *name, const char *verdict, const char *fmt, __builtin_va_list ap)
{
	char detail[256];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	printf("TEST %s %s %s\n", name, verdict, detail);
}

void test_pass(const char *name, const char *fmt, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, fmt);
	result(name, "PASS", fmt, ap);
	__builtin_va_end(ap);
	tests_passed++;
}

void test_fail(const char *name, const char *fmt, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, fmt);
	result(name, "FAIL", fmt, ap);
	__builtin_va_end(ap);
	tests_failed++;
}

void test_skip(const char *name, const char *fmt, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, fmt);
	result(name, "SKIP", fmt, ap);
	__builtin_va_end(ap);
}

static u64 rd64(const u8 *p) { return *(const u64 *)p; }

/* boot_params.e820_table: sorted, non-overlapping, and as much RAM as expect_mem. */
static void test_e820(const char *name)
{
	const u8 *bp = boot_params();
	int n = bp[0x1e8];
	u64 low_top = 0, high = 0, prev_end = 0, want = expect_mem_mib(), total;
	bool sorted = true, grown;

	if (n == 0 || n > 128)
		return test_fail(name, "entries=%d", n);
	for (int i = 0; i < n; i++) {
		const u8 *e = bp + 0x2d0 + 20 * i;
		u64 start = rd64(e), size = rd64(e + 8), end = start + size;
		u32 type = *(const u32 *)(e + 16);

		printf("E820 0x%016llx-0x%016llx %u\n", start, end - 1, type);
		if (!size || start < prev_end)
			sorted = false;
		prev_end = end;
		if (type == 1 || type == 3 || type == 4) {
			if (end <= 0x100000000ULL && end > low_top)
				low_top = end;
			else if (start >= 0x100000000ULL)
				high += size;
		}
	}
	/* Firmware may reserve the top of low RAM (QEMU/SeaBIOS does): it is still RAM. */
	do {
		grown = false;
		for (int i = 0; i < n; i++) {
			const u8 *e = bp + 0x2d0 + 20 * i;

			if (rd64(e) == low_top && *(const u32 *)(e + 16) == 2 &&
			    rd64(e) + rd64(e + 8) <= 0x100000000ULL) {
				low_top += rd64(e + 8);
				grown = true;
			}
		}
	} while (grown);
	total = low_top + high;
	if (!sorted)
		return test_fail(name, "entries=%d not sorted or overlapping", n);
	if (want && (total + (1 << 20) < (want << 20) || total > (want << 20) + (1 << 20)))
		return test_fail(name, "entries=%d ram=%lluKiB (low_top=0x%llx above_4g=0x%llx) expected=%lluMiB",
				 n, total >> 10, low_top, high, want);
	test_pass(name, "entries=%d ram=%lluKiB low_top=0x%llx above_4g=0x%llx", n, total >> 10, low_top, high);
}

static void test_cmdline(const char *name)
{
	const char *c = cmdline();
	u32 max = cmdline_size(), len = 0;

	if (!c)
		return test_fail(name, "cmd_line_ptr=0");
	while (len <= max && c[len])
		len++;
	if (len > max)
		return test_fail(name, "no NUL within cmdline_size=%u", max);
	printf("CMDLINE %s\n", c);
	if (!len)
		return test_fail(name, "empty");
	test_pass(name, "len=%u cmdline_size=%u", len, max);
}

static void test_cpuid(const char *name)
{
	u32 r[4], max, apic, x2apic = ~0u, lid = lapic_id();
	char vendor[13], hv[13] = "none";

	cpuid(0, 0, r);
	max = r[0];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = '\0';
	cpuid(1, 0, r);
	apic = r[1] >> 24;
	if (max >= 0xb) {
		cpuid(0xb, 0, r);
		if (r[1])
			x2apic = r[3];
	}
	cpuid(0x40000000, 0, r);		/* hypervisor signature, if any */
	if (r[1] || r[2] || r[3]) {
		memcpy(hv, &r[1], 4);
		memcpy(hv + 4, &r[2], 4);
		memcpy(hv + 8, &r[3], 4);
		hv[12] = '\0';
		for (int i = 0; i < 12; i++)
			if (hv[i] && (hv[i] <= 0x20 || hv[i] > 0x7e))
				hv[i] = '_';
	}
	printf("CPUID vendor=%s max_leaf=0x%x apic=%u x2apic=%d lapic_reg=%u hypervisor=%s kvm=%s\n", vendor,
	       max, apic, (int)x2apic, lid, hv, strncmp(hv, "KVMKVMKVM", 9) ? "no" : "yes");
	if (apic != (lid & 0xff) || (x2apic != ~0u && x2apic != lid))
		return test_fail(name, "apic=%u x2apic=%d lapic_reg=%u disagree", apic, (int)x2apic, lid);
	test_pass(name, "vendor=%s apic=%u x2apic=%d hypervisor=%s", vendor, apic, (int)x2apic, hv);
}

/* The result line itself is sent with rep outsb: seeing it proves the path. */
static void test_serial(const char *name)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "TEST %s PASS rep-outsb bytes=", name);

	n += snprintf(line + n, sizeof(line) - n, "%d\r\n", n + 5);
	serial_write_outsb(line, n);
	tests_passed++;
}

static void test_serial_in(const char *name)
{
	char line[81];
	u32 n = 0;
	u64 t0 = rdtsc();

	for (;;) {
		u64 spent = tsc_to_us(rdtsc() - t0) / 1000;
		int c = spent >= 10000 ? -1 : serial_getc_timeout(10000 - spent);

		if (c < 0) {
			line[n] = '\0';
			return test_fail(name, "timeout got=%s", line);
		}
		if (c == '\n' || c == '\r') {
			if (!n)
				continue;
			break;
		}
		if (n < sizeof(line) - 1)
			line[n++] = c;
	}
	line[n] = '\0';
	test_pass(name, "got=%s", line);
}

/* COM1 THRE interrupt -> IOAPIC pin of ISA IRQ 4 -> LAPIC -> ring-0 counter. */
void test_ioapic(const char *name)
{
	u32 gsi = acpi_get()->irq_gsi[4];
	u64 before = irq_count_uart, t0, got;

	pic_disable();
	lapic_enable();
	ioapic_route(gsi, VEC_UART, lapic_id(), false, false);
	outb(COM1 + 4, 0x0b);		/* MCR: DTR, RTS, OUT2 (IRQ enable on PCs) */
	sti();
	outb(COM1 + 1, 0x02);		/* IER: transmitter holding register empty */
	t0 = rdtsc();
	while (irq_count_uart == before && tsc_to_us(rdtsc() - t0) < 200000)
		cpu_relax();
	outb(COM1 + 1, 0);
	cli();
	ioapic_mask(gsi);
	outb(COM1 + 4, 0x03);
	got = irq_count_uart - before;
	if (!got)
		return test_fail(name, "no COM1 interrupt in 200 ms on gsi=%u", gsi);
	test_pass(name, "uart_irqs=%llu gsi=%u", got, gsi);
}

static void bench_print(const char *name, const char *what, u64 n, u64 cycles)
{
	u64 ns = cycles * 1000000 / tsc_khz() / n;

	printf("BENCH %s exits=%llu cycles=%llu ns_per_exit=%llu tsc=%s\n", what, n, cycles, ns,
	       tsc_khz_from_cpuid() ? "cpuid" : "pit");
	test_pass(name, "exits=%llu ns_per_exit=%llu", n, ns);
}

static void test_bench_pio(const char *name)
{
	const u64 n = 1000000;
	u64 t0 = rdtsc();

	for (u64 i = 0; i < n; i++)
		outb(0x80, 0);
	bench_print(name, "pio", n, rdtsc() - t0);
}

static void test_bench_mmio(const char *name)
{
	const u64 n = 1000000;
	u64 t0 = rdtsc();

	for (u64 i = 0; i < n; i++)
		(void)mmio_read32(NULL_MMIO);
	bench_print(name, "mmio", n, rdtsc() - t0);
}

const struct test tests[] = {
	{ "cmdline", true, test_cmdline },
	{ "e820", true, test_e820 },
	{ "acpi", true, test_acpi },
	{ "mptable", true, test_mptable },
	{ "cpuid", true, test_cpuid },
	{ "serial", true, test_serial },
	{ "smp", true, test_smp },
	{ "pit", true, test_pit },
	{ "ioapic", true, test_ioapic },
	{ "serial_in", false, test_serial_in },
	{ "multiboot", false, test_multiboot },
	{ "bench_pio", false, test_bench_pio },
	{ "bench_mmio", false, test_bench_mmio },
	{ "virtio_blk", false, test_virtio_blk },
	{ "virtio_blk_ro", false, test_virtio_blk_ro },
	{ "virtio_rng", false, test_virtio_rng },
	{ "virtio_irq", false, test_virtio_irq },
	{ "virtio_net", false, test_virtio_net },
	{ "virtio_msix", false, test_virtio_msix },
	{ "virtio_console", false, test_virtio_console },
	{ "hvc_panic_reset", false, test_hvc_panic_reset },
	{ "pci", false, test_pci },
	{ "bench_blk", false, test_bench_blk },
	{ "bench_blk_exits", false, test_bench_blk_exits },
	{ "bench_net_tx", false, test_bench_net_tx },
	{ "bench_net_rx", false, test_bench_net_rx },
	{ NULL, false, NULL },
};

static void run_one(const struct test *t)
{
	current_test = t->name;
	t->fn(t->name);
	current_test = NULL;
}

/* list: comma-separated names, "all" = every test with in_all. */
void run_tests(const char *list)
{
	while (*list) {
		const char *end = list;
		size_t len;
		bool found = false;

		while (*end && *end != ',' && *end != ' ')
			end++;
		len = end - list;
		if (len == 3 && !strncmp(list, "all", 3)) {
			for (const struct test *t = tests; t->name; t++)
				if (t->in_all)
					run_one(t);
			found = true;
		}
		for (const struct test *t = tests; !found && t->name; t++) {
			if (strlen(t->name) == len && !strncmp(t->name, list, len)) {
				run_one(t);
				found = true;
			}
		}
		if (!found && len) {
			char bad[32];

			snprintf(bad, sizeof(bad) < len + 1 ? sizeof(bad) : len + 1, "%s", list);
			test_fail(bad, "unknown test");
		}
		list = *end == ',' ? end + 1 : end;
		if (*end == ' ')
			break;
	}
}
