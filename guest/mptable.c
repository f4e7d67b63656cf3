// SPDX-License-Identifier: GPL-2.0
/* Intel MP spec 1.4: floating pointer "_MP_" -> configuration table "PCMP" -> processor entries. */
#include "guest.h"

static u64 mpf_scan(u64 start, u64 len)
{
	for (u64 a = start; a + 16 <= start + len; a += 16)
		if (!memcmp((const void *)a, "_MP_", 4) && !checksum8((const void *)a, 16))
			return a;
	return 0;
}

/* Returns the number of enabled processor entries, or -1 with a reason. */
int mptable_count_cpus(u64 *where, char *why, size_t whylen)
{
	u64 ebda = (u64)*(const u16 *)0x40e << 4, mpf = 0;
	const u8 *cfg;
	u32 len, n, cpus = 0;
	u16 count;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		mpf = mpf_scan(ebda, 1024);
	if (!mpf)
		mpf = mpf_scan(0x9fc00, 1024);
	if (!mpf)
		mpf = mpf_scan(0xf0000, 0x10000);
	*where = mpf;
	if (!mpf) {
		snprintf(why, whylen, "no MP floating pointer");
		return -1;
	}
	n = *(const u32 *)(mpf + 4);
	if (!n || n >= 0x100000) {
		snprintf(why, whylen, "MP config table at 0x%x unsupported (default config?)", n);
		return -1;
	}
	cfg = (const u8 *)(u64)n;
	len = *(const u16 *)(cfg + 4);
	count = *(const u16 *)(cfg + 34);
	if (memcmp(cfg, "PCMP", 4) || len < 44 || checksum8(cfg, len)) {
		snprintf(why, whylen, "bad MP config table at 0x%x", n);
		return -1;
	}
	for (u32 off = 44, i = 0; i < count && off < len; i++) {
		const u8 *e = cfg + off;

		if (e[0] == 0) {
			if (e[3] & 1)
				cpus++;
			off += 20;
		} else {
			off += 8;
		}
	}
	return cpus;
}

void test_mptable(const char *name)
{
	char why[80];
	u64 where;
	int n = mptable_count_cpus(&where, why, sizeof(why)), acpi = acpi_get()->ncpus, want = expect_cpus();

	if (n < 0) {
		if (!where || !strncmp(why, "MP config table", 15))
			return test_skip(name, "%s", why);
		return test_fail(name, "%s", why);
	}
	if (n != acpi && acpi_get()->found) {
		/* SeaBIOS lists one cpu per package: accept that, and say so. */
		u32 r[4], per_pkg;

		cpuid(1, 0, r);
		per_pkg = (r[3] & (1 << 28)) ? (r[1] >> 16) & 0xff : 1;
		if (per_pkg > 1 && (acpi + per_pkg - 1) / per_pkg == (u32)n)
			return test_pass(name, "cpus=%d one_per_package=%u acpi_cpus=%d at=0x%llx", n, per_pkg,
					 acpi, where);
		return test_fail(name, "cpus=%d acpi_cpus=%d at=0x%llx", n, acpi, where);
	}
	if (want && n != want)
		return test_fail(name, "cpus=%d expected=%d at=0x%llx", n, want, where);
	test_pass(name, "cpus=%d at=0x%llx", n, where);
}
