// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI: RSDP -> XSDT/RSDT -> MADT (cpus, IOAPIC, overrides), FADT (PM1a_CNT), DSDT (_S5_),
 * MCFG (PCI ECAM).
 */
#include "guest.h"

static struct acpi_info info;
static bool parsed;
static char bad_tables[64];

static u32 rd32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }

/* Everything below 4 GiB is identity mapped; refuse what is not. */
static const u8 *phys(u64 addr, u64 len)
{
	if (!addr || addr >= 0x100000000ULL || addr + len > 0x100000000ULL)
		return NULL;
	return (const u8 *)addr;
}

static u64 rsdp_scan(u64 start, u64 len)
{
	for (u64 a = start; a + 20 <= start + len; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) && !checksum8((const void *)a, 20))
			return a;
	return 0;
}

static u64 rsdp_find(void)
{
	u64 a = *(const u64 *)(boot_params() + 0x070);	/* boot_params.acpi_rsdp_addr */
	u64 ebda = (u64)*(const u16 *)0x40e << 4;

	if (a)
		return a;
	if (ebda >= 0x80000 && ebda < 0xa0000 && (a = rsdp_scan(ebda, 1024)))
		return a;
	return rsdp_scan(0xe0000, 0x20000);
}

static void note_bad(const u8 *t)
{
	size_t n = strlen(bad_tables);

	if (n + 6 < sizeof(bad_tables)) {
		memcpy(bad_tables + n, t, 4);
		bad_tables[n + 4] = ' ';
		bad_tables[n + 5] = '\0';
	}
}

static void parse_madt(const u8 *t, u32 len)
{
	info.have_madt = true;
	info.lapic_addr = rd32(t + 36);
	for (u32 off = 44; off + 2 <= len;) {
		const u8 *e = t + off;
		u8 type = e[0], elen = e[1];

		if (elen < 2 || off + elen > len)
			break;
		if (type == 0 && elen >= 8 && (rd32(e + 4) & 1)) {
			if (info.ncpus < MAX_CPUS)
				info.apic_ids[info.ncpus] = e[3];
			info.ncpus++;
		} else if (type == 9 && elen >= 16 && (rd32(e + 8) & 1)) {
			if (info.ncpus < MAX_CPUS)
				info.apic_ids[info.ncpus] = rd32(e + 4);
			info.ncpus++;
		} else if (type == 1 && elen >= 12 && rd32(e + 8) == 0) {
			info.ioapic_addr = rd32(e + 4);
		} else if (type == 2 && elen >= 10 && e[3] < 16) {
			info.irq_gsi[e[3]] = rd32(e + 4);
			info.irq_flags[e[3]] = e[8] | e[9] << 8;
		} else if (type == 5 && elen >= 12) {
			info.lapic_addr = rd64(e + 4);
		}
		off += elen;
	}
}

/* AML: NameOp? "_S5_" PackageOp PkgLength NumElements <first element>. */
static int dsdt_s5(const u8 *t, u32 len)
{
	for (u32 i = 36; i + 8 < len; i++) {
		const u8 *p = t + i;

		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5;
		p += 1 + (p[0] >> 6);		/* PkgLength: bits 7:6 = extra bytes */
		p++;				/* NumElements */
		switch (p[0]) {
		case 0x0a: return p[1];		/* BytePrefix */
		case 0x0b: return p[1] | p[2] << 8;	/* WordPrefix */
		case 0x00: return 0;		/* ZeroOp */
		case 0x01: return 1;		/* OneOp */
		default: return -1;
		}
	}
	return -1;
}

static void parse_fadt(const u8 *t, u32 len)
{
	u64 dsdt = rd32(t + 40);
	const u8 *d;

	info.have_fadt = true;
	info.pm1a_cnt = rd32(t + 64);
	info.pm1a_evt = rd32(t + 56);
	info.sci_irq = t[46] | t[47] << 8;
	if (len >= 116)
		info.fadt_flags = rd32(t + 112);
	if (len >= 148 && rd64(t + 140))
		dsdt = rd64(t + 140);
	if (!info.pm1a_cnt && len >= 184 && t[172] == 1)
		info.pm1a_cnt = rd64(t + 176);
	if ((d = phys(dsdt, 36)) && !memcmp(d, "DSDT", 4) && phys(dsdt, rd32(d + 4))) {
		info.have_dsdt = true;
		if (checksum8(d, rd32(d + 4)))
			note_bad(d);
		info.s5_slp_typ = dsdt_s5(d, rd32(d + 4));
	}
}

/* MCFG: 8 reserved bytes, then 16-byte entries (base, segment, start bus, end bus). */
static void parse_mcfg(const u8 *t, u32 len)
{
	for (u32 off = 44; off + 16 <= len; off += 16) {
		const u8 *e = t + off;

		if ((e[8] | e[9] << 8) == 0 && e[10] == 0) {
			info.mcfg_base = rd64(e);
			info.mcfg_bus_start = e[10];
			info.mcfg_bus_end = e[11];
		}
	}
}

static void parse(void)
{
	const u8 *rsdp, *root;
	u64 root_addr;
	u32 entry_size, len;

	info.ioapic_addr = IOAPIC_DEFAULT;
	info.lapic_addr = LAPIC_BASE;
	info.s5_slp_typ = -1;
	for (int i = 0; i < 16; i++)
		info.irq_gsi[i] = i;

	info.rsdp = rsdp_find();
	if (!(rsdp = phys(info.rsdp, 36)) || memcmp(rsdp, "RSD PTR ", 8))
		return;
	info.found = true;
	info.rsdp_csum_ok = !checksum8(rsdp, 20) && (rsdp[15] < 2 || !checksum8(rsdp, rd32(rsdp + 20)));
	if (rsdp[15] >= 2 && rd64(rsdp + 24)) {
		root_addr = rd64(rsdp + 24);
		entry_size = 8;
	} else {
		root_addr = rd32(rsdp + 16);
		entry_size = 4;
	}
	if (!(root = phys(root_addr, 36)) || !phys(root_addr, len = rd32(root + 4)))
		return;
	memcpy(info.root_sig, root, 4);
	if (checksum8(root, len))
		note_bad(root);
	for (u32 off = 36; off + entry_size <= len; off += entry_size) {
		u64 a = entry_size == 8 ? rd64(root + off) : rd32(root + off);
		const u8 *t = phys(a, 36);
		u32 tlen;

		if (!t || !phys(a, tlen = rd32(t + 4)) || tlen < 36)
			continue;
		if (checksum8(t, tlen))
			note_bad(t);
		if (!memcmp(t, "APIC", 4))
			parse_madt(t, tlen);
		else if (!memcmp(t, "FACP", 4))
			parse_fadt(t, tlen);
		else if (!memcmp(t, "MCFG", 4))
			parse_mcfg(t, tlen);
	}
}

const struct acpi_info *acpi_get(void)
{
	if (!parsed) {
		parse();
		parsed = true;
	}
	return &info;
}

void test_acpi(const char *name)
{
	const struct acpi_info *ai = acpi_get();
	int want = expect_cpus();

	if (!ai->found)
		return test_fail(name, "no RSDP (boot_params.acpi_rsdp_addr=0, not in EBDA or 0xe0000-0xfffff)");
	printf("ACPI cpus=%d rsdp=0x%llx root=%s ioapic=0x%llx irq0_gsi=%u pm1a_cnt=0x%x s5_slp_typ=%d\n",
	       ai->ncpus, ai->rsdp, ai->root_sig, ai->ioapic_addr, ai->irq_gsi[0], ai->pm1a_cnt,
	       ai->s5_slp_typ);
	if (!ai->rsdp_csum_ok)
		return test_fail(name, "RSDP checksum bad");
	if (!ai->root_sig[0])
		return test_fail(name, "no XSDT/RSDT");
	if (bad_tables[0])
		return test_fail(name, "bad checksum: %s", bad_tables);
	if (!ai->have_madt || !ai->have_fadt)
		return test_fail(name, "missing %s%s", ai->have_madt ? "" : "MADT ", ai->have_fadt ? "" : "FADT");
	if (ai->ncpus < 1 || (want && ai->ncpus != want))
		return test_fail(name, "cpus=%d expected=%d", ai->ncpus, want);
	if (!ai->have_dsdt || ai->s5_slp_typ < 0)
		return test_fail(name, "no DSDT or no _S5_ package");
	test_pass(name, "cpus=%d root=%s", ai->ncpus, ai->root_sig);
}
