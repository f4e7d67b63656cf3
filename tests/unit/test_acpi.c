// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI table builder tests. Two independent checks: a small parser written
 * here from the ACPI spec (it trusts only the bytes and follows pointers
 * from the RSDP the way a guest does), and ACPICA's own tools (iasl
 * disassembles every table and recompiles the DSDT; acpiexec evaluates
 * objects) when they are installed.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/acpi.h"
#include "test.h"

#define GPA		0xe0000ULL	/* where vmm puts it: the BIOS area */
#define BUF_SIZE	(128 * 1024)	/* 0xe0000-0xfffff */

static u8 buf[BUF_SIZE];

static const u32 cpu_counts[] = { 1, 2, 8, 255 };

static const struct acpi_mmio_dev mmio_devs[] = {
	{ .base = 0xd0001000, .size = 0x200, .gsi = 5 },
	{ .base = 0xd0002000, .size = 0x200, .gsi = 10, .level = true },
};

static const struct acpi_pci_ecam ecam = {
	.base = 0xe0000000, .segment = 0, .bus_start = 0, .bus_end = 255,
};

/* The x86 machine's PCI host (hw/x86/layout.h): bus 0, INTx on GSI 16-23. */
static const struct acpi_pci_host pci_host = {
	.ecam_base = 0xe0000000, .bus_start = 0, .bus_end = 0,
	.mem_base = 0xc0000000, .mem_size = 0x10000000,
	.io_base = 0x1000, .io_size = 0xf000,
	.cam_port = 0xcf8, .intx_gsi = 16, .intx_lines = 8,
};

static const struct acpi_pci_ecam ecam_bus0 = { .base = 0xe0000000 };

static u32 rd16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static u32 rd32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u64 rd64(const u8 *p)
{
	return rd32(p) | (u64)rd32(p + 4) << 32;
}

static u8 sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* What vmm passes for a PC-like guest (hw/x86/layout.h values). */
static struct acpi_info info_for(u32 nr_cpus)
{
	return (struct acpi_info){
		.nr_cpus = nr_cpus,
		.lapic_addr = 0xfee00000,
		.ioapic_id = acpi_ioapic_id(nr_cpus),
		.ioapic_addr = 0xfec00000,
		.pm1a_evt_port = 0x600,
		.pm1a_cnt_port = 0x604,
		.sci_irq = 9,
		.s5_slp_typ = 5,
		.com1_port = 0x3f8,
		.com1_irq = 4,
		.pvpanic_port = 0x505,
		.i8042 = true,
	};
}

static struct acpi_info info_with_pci(u32 nr_cpus)
{
	struct acpi_info info = info_for(nr_cpus);

	info.pci = &pci_host;
	info.ecams = &ecam_bus0;
	info.nr_ecams = 1;
	return info;
}

static int build_info(const struct acpi_info *info, u64 *rsdp)
{
	memset(buf, 0xa5, sizeof(buf));
	return acpi_build(buf, sizeof(buf), GPA, info, rsdp);
}

static int build(u32 nr_cpus)
{
	struct acpi_info info = info_for(nr_cpus);
	u64 rsdp;

	return build_info(&info, &rsdp);
}

/*
 * The table at guest address gpa if it lies wholly inside the blob of len
 * bytes and has the given signature; NULL otherwise.
 */
static const u8 *table_at(u64 gpa, int len, const char *sig, size_t min_len)
{
	const u8 *t;
	u32 tlen;

	if (gpa < GPA || gpa + 8 > GPA + (u64)len)
		return NULL;
	t = buf + (gpa - GPA);
	tlen = rd32(t + 4);
	if (memcmp(t, sig, 4) || tlen < min_len || gpa + tlen > GPA + (u64)len)
		return NULL;
	return t;
}

static const u8 *find_xsdt(int len)
{
	if (memcmp(buf, "RSD PTR ", 8) || buf[15] != 2)
		return NULL;
	return table_at(rd64(buf + 24), len, "XSDT", 36);
}

/* Looks a table up through the XSDT, as a guest does. */
static const u8 *find_table(int len, const char *sig)
{
	const u8 *xsdt = find_xsdt(len);

	if (!xsdt)
		return NULL;
	for (u32 off = 36; off + 8 <= rd32(xsdt + 4); off += 8) {
		const u8 *t = table_at(rd64(xsdt + off), len, sig, 36);

		if (t)
			return t;
	}
	return NULL;
}

static const u8 *find_fadt(int len)
{
	const u8 *fadt = find_table(len, "FACP");

	return fadt && rd32(fadt + 4) >= 276 ? fadt : NULL;
}

static const u8 *find_dsdt(int len)
{
	const u8 *fadt = find_fadt(len);

	return fadt ? table_at(rd64(fadt + 140), len, "DSDT", 36) : NULL;
}

struct madt_count {
	u32 lapic, x2apic, ioapic, iso, nmi, x2nmi, other;
	u8 ioapic_id;
	u8 xapic_ids[32];	/* bitmap of the 8-bit (xAPIC) cpu ids */
	bool bad;		/* an entry runs past the table, or ids wrong */
};

/* Walks the MADT's interrupt controller structures. */
static struct madt_count madt_walk(const u8 *madt)
{
	struct madt_count c = { 0 };
	u32 len = rd32(madt + 4), off = 44;

	while (off + 2 <= len) {
		const u8 *e = madt + off;

		if (e[1] < 2 || off + e[1] > len) {
			c.bad = true;
			return c;
		}
		switch (e[0]) {
		case 0:
			/* UID and APIC id follow cpu order; enabled. */
			if (e[2] != c.lapic || e[3] != c.lapic || !(rd32(e + 4) & 1))
				c.bad = true;
			c.xapic_ids[e[3] / 8] |= 1 << e[3] % 8;
			c.lapic++;
			break;
		case 9:
			if (rd32(e + 4) != 255 + c.x2apic || !(rd32(e + 8) & 1))
				c.bad = true;
			c.x2apic++;
			break;
		case 1:
			c.ioapic_id = e[2];
			c.ioapic++;
			break;
		case 2:
			c.iso++;
			break;
		case 4:
			c.nmi++;
			break;
		case 10:
			c.x2nmi++;
			break;
		default:
			c.other++;
		}
		off += e[1];
	}
	if (off != len)
		c.bad = true;
	return c;
}

static const u8 *madt_find_iso(const u8 *madt, u8 irq)
{
	for (u32 off = 44; off + 2 <= rd32(madt + 4); off += madt[off + 1]) {
		if (madt[off + 1] < 2)
			return NULL;
		if (madt[off] == 2 && madt[off + 3] == irq)
			return madt + off;
	}
	return NULL;
}

static const u8 *memfind(const u8 *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

/* ---- ACPICA tools (iasl, acpiexec) ---- */

static bool have_tool(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc(n + 1);
	if (s && fread(s, 1, n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	return s;
}

static bool spew(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Runs a shell command in dir; returns its exit status (-1 if not run). */
static int run_in(const char *dir, const char *cmd)
{
	char line[512];
	int st;

	snprintf(line, sizeof(line), "cd '%s' && %s >tool.log 2>&1", dir, cmd);
	st = system(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("  (could not remove %s)\n", dir);
}

/*
 * Writes the tables (each by its header length) to dir/<SIG>.dat, runs
 * `iasl -d` on each and returns the disassembly of table `sig` (malloc'd),
 * or NULL with *why set.
 */
static char *iasl_disassemble(const char *dir, const u8 *t, const char **why)
{
	char path[256], sig[5] = { 0 };
	char *dsl;

	if (!t) {
		*why = "table not found";
		return NULL;
	}
	memcpy(sig, t, 4);
	snprintf(path, sizeof(path), "%s/%s.dat", dir, sig);
	if (!spew(path, t, rd32(t + 4))) {
		*why = "cannot write table file";
		return NULL;
	}
	snprintf(path, sizeof(path), "iasl -d %s.dat", sig);
	if (run_in(dir, path) != 0) {
		*why = "iasl -d failed";
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, sig);
	dsl = slurp(path);
	if (!dsl)
		*why = "no .dsl output";
	return dsl;
}

/* ---- tests ---- */

TEST(acpi_rsdp_comes_first_with_both_checksums)
{
	struct acpi_info info = info_for(2);
	u64 rsdp = 0;
	int len = build_info(&info, &rsdp);

	TEST_ASSERT(len > 0, "acpi_build=%d", len);
	TEST_ASSERT_EQ(rsdp, GPA);
	TEST_ASSERT(!memcmp(buf, "RSD PTR ", 8), "RSDP signature");
	TEST_ASSERT_EQ(buf[15], 2);			/* revision */
	TEST_ASSERT_EQ(rd32(buf + 20), 36);		/* length */
	TEST_ASSERT_EQ(sum(buf, 20), 0);
	TEST_ASSERT_EQ(sum(buf, 36), 0);
	TEST_ASSERT(!memcmp(buf + 9, "VMM   ", 6), "OEM id");
}

TEST(acpi_every_table_has_a_valid_checksum)
{
	struct acpi_info info = info_for(8);
	static const char *const sigs[] = { "FACP", "APIC", "MCFG" };
	u64 rsdp;
	int len;

	info.mmio_devs = mmio_devs;
	info.nr_mmio_devs = ARRAY_SIZE(mmio_devs);
	info.ecams = &ecam;
	info.nr_ecams = 1;
	len = build_info(&info, &rsdp);
	TEST_ASSERT(len > 0, "acpi_build=%d", len);

	TEST_ASSERT(find_xsdt(len), "no XSDT");
	TEST_ASSERT_EQ(sum(find_xsdt(len), rd32(find_xsdt(len) + 4)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		const u8 *t = find_table(len, sigs[i]);

		TEST_ASSERT(t, "%s not reachable from the XSDT", sigs[i]);
		TEST_ASSERT(sum(t, rd32(t + 4)) == 0, "%s checksum", sigs[i]);
		TEST_ASSERT(!memcmp(t + 10, "VMM   ", 6), "%s OEM id", sigs[i]);
	}
	TEST_ASSERT(find_dsdt(len), "no DSDT");
	TEST_ASSERT_EQ(sum(find_dsdt(len), rd32(find_dsdt(len) + 4)), 0);
}

TEST(acpi_pointers_stay_inside_the_blob)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpu_counts); i++) {
		int len = build(cpu_counts[i]);
		const u8 *fadt, *facs;

		TEST_ASSERT(len > 0 && len <= BUF_SIZE, "acpi_build=%d", len);
		TEST_ASSERT(find_xsdt(len), "RSDP->XSDT");
		TEST_ASSERT_EQ(rd32(find_xsdt(len) + 4), 36 + 2 * 8);
		fadt = find_fadt(len);
		TEST_ASSERT(fadt, "XSDT->FADT");
		TEST_ASSERT(find_table(len, "APIC"), "XSDT->MADT");
		TEST_ASSERT(find_dsdt(len), "FADT X_DSDT->DSDT");
		TEST_ASSERT_EQ(rd32(fadt + 40), rd64(fadt + 140)); /* DSDT */
		facs = table_at(rd32(fadt + 36), len, "FACS", 64);
		TEST_ASSERT(facs, "FADT FIRMWARE_CTRL->FACS");
		TEST_ASSERT_EQ(rd64(fadt + 132), 0);	/* X_FIRMWARE_CTRL */
		TEST_ASSERT_EQ(rd32(fadt + 36) % 64, 0);	/* FACS alignment */
		/* A pure builder: nothing past the returned length is touched. */
		TEST_ASSERT_EQ(buf[len], 0xa5);
	}
}

TEST(acpi_madt_has_one_lapic_per_cpu)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpu_counts); i++) {
		int len = build(cpu_counts[i]);
		const u8 *madt = find_table(len, "APIC");
		struct madt_count c;

		TEST_ASSERT(madt, "no MADT (cpus=%u)", cpu_counts[i]);
		c = madt_walk(madt);
		TEST_ASSERT(!c.bad, "MADT entries malformed (cpus=%u)", cpu_counts[i]);
		TEST_ASSERT_EQ(c.lapic, cpu_counts[i]);
		TEST_ASSERT_EQ(c.x2apic, 0);
		TEST_ASSERT_EQ(c.ioapic, 1);
		TEST_ASSERT_EQ(c.nmi, 1);
		TEST_ASSERT_EQ(c.x2nmi, 0);
		TEST_ASSERT_EQ(c.other, 0);
		TEST_ASSERT_EQ(rd32(madt + 36), 0xfee00000);
		TEST_ASSERT_EQ(rd32(madt + 40) & 1, 1);	/* PCAT_COMPAT */
	}
}

TEST(acpi_madt_uses_x2apic_entries_from_apic_id_255)
{
	int len = build(300);
	const u8 *madt = find_table(len, "APIC");
	struct madt_count c;

	TEST_ASSERT(madt, "no MADT");
	c = madt_walk(madt);
	TEST_ASSERT(!c.bad, "MADT entries malformed");
	TEST_ASSERT_EQ(c.lapic, 255);
	TEST_ASSERT_EQ(c.x2apic, 45);
	TEST_ASSERT_EQ(c.x2nmi, 1);
}

TEST(acpi_madt_overrides_irq0_to_gsi2_and_sci_to_level_high)
{
	int len = build(2);
	const u8 *madt = find_table(len, "APIC");
	const u8 *iso0, *iso9;

	TEST_ASSERT(madt, "no MADT");
	TEST_ASSERT_EQ(madt_walk(madt).iso, 2);
	iso0 = madt_find_iso(madt, 0);
	iso9 = madt_find_iso(madt, 9);
	TEST_ASSERT(iso0 && iso9, "overrides for IRQ0 and the SCI");
	TEST_ASSERT_EQ(rd32(iso0 + 4), 2);
	TEST_ASSERT_EQ(rd16(iso0 + 8), 0);		/* conforms to ISA */
	TEST_ASSERT_EQ(rd32(iso9 + 4), 9);
	TEST_ASSERT_EQ(rd16(iso9 + 8), 0xd);	/* level, active high */
}

TEST(acpi_madt_ioapic_starts_at_gsi_0)
{
	struct acpi_info info = info_for(2);
	u64 rsdp;
	int len;
	const u8 *madt, *e;

	info.ioapic_id = 7;
	len = build_info(&info, &rsdp);
	madt = find_table(len, "APIC");
	TEST_ASSERT(madt, "no MADT");
	e = memfind(madt + 44, rd32(madt + 4) - 44, "\x01\x0c\x07", 3);
	TEST_ASSERT(e, "IOAPIC entry with id 7");
	TEST_ASSERT_EQ(rd32(e + 4), 0xfec00000);
	TEST_ASSERT_EQ(rd32(e + 8), 0);
}

TEST(acpi_fadt_describes_pm1a_blocks_and_sci)
{
	int len = build(2);
	const u8 *fadt = find_fadt(len);

	TEST_ASSERT(fadt, "no FADT");
	TEST_ASSERT_EQ(fadt[8], 6);			/* revision */
	TEST_ASSERT_EQ(rd32(fadt + 4), 276);
	TEST_ASSERT_EQ(rd16(fadt + 46), 9);		/* SCI_INT */
	TEST_ASSERT_EQ(rd32(fadt + 48), 0);		/* no SMI_CMD */
	TEST_ASSERT_EQ(rd32(fadt + 56), 0x600);	/* PM1a_EVT_BLK */
	TEST_ASSERT_EQ(rd32(fadt + 64), 0x604);	/* PM1a_CNT_BLK */
	TEST_ASSERT_EQ(fadt[88], 4);
	TEST_ASSERT_EQ(fadt[89], 2);
	/* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK: system I/O, 32 and 16 bits. */
	TEST_ASSERT_EQ(fadt[148], 1);
	TEST_ASSERT_EQ(fadt[149], 32);
	TEST_ASSERT_EQ(rd64(fadt + 152), 0x600);
	TEST_ASSERT_EQ(fadt[172], 1);
	TEST_ASSERT_EQ(fadt[173], 16);
	TEST_ASSERT_EQ(rd64(fadt + 176), 0x604);
}

TEST(acpi_fadt_is_not_hardware_reduced_and_has_no_vga)
{
	int len = build(2);
	const u8 *fadt = find_fadt(len);
	u32 flags;
	u16 boot;

	TEST_ASSERT(fadt, "no FADT");
	flags = rd32(fadt + 112);
	boot = rd16(fadt + 109);
	TEST_ASSERT_EQ(flags & (1u << 20), 0);		/* HW_REDUCED_ACPI */
	TEST_ASSERT_EQ(flags & 1, 1);			/* WBINVD */
	TEST_ASSERT_EQ(flags & (1u << 10), 0);		/* no reset reg asked */
	TEST_ASSERT_EQ(flags & (1u << 4), 1u << 4);	/* no power button asked */
	TEST_ASSERT_EQ(boot & (1u << 2), 1u << 2);	/* VGA not present */
	TEST_ASSERT_EQ(boot & (1u << 1), 1u << 1);	/* 8042 */
	TEST_ASSERT_EQ(boot & (1u << 0), 1u << 0);	/* legacy devices */
	TEST_ASSERT_EQ(boot & (1u << 5), 1u << 5);	/* no CMOS RTC */
}

TEST(acpi_fadt_follows_i8042_rtc_and_reset_facts)
{
	struct acpi_info info = info_for(1);
	const u8 *fadt;
	u64 rsdp;
	int len;

	info.i8042 = false;
	info.cmos_rtc = true;
	info.reset_port = 0xcf9;
	info.reset_value = 0x06;
	info.power_button = true;
	len = build_info(&info, &rsdp);
	fadt = find_fadt(len);
	TEST_ASSERT(fadt, "no FADT");
	/* PWR_BUTTON clear: the fixed-feature button in PM1 is there. */
	TEST_ASSERT_EQ(rd32(fadt + 112) & (1u << 4), 0);
	TEST_ASSERT_EQ(rd16(fadt + 109) & ((1u << 1) | (1u << 5)), 0);
	TEST_ASSERT_EQ(rd32(fadt + 112) & (1u << 10), 1u << 10);
	TEST_ASSERT_EQ(fadt[116], 1);			/* system I/O */
	TEST_ASSERT_EQ(fadt[117], 8);
	TEST_ASSERT_EQ(rd64(fadt + 120), 0xcf9);
	TEST_ASSERT_EQ(fadt[128], 0x06);
}

TEST(acpi_dsdt_has_s5_package_with_slp_typ)
{
	static const u8 slp_typs[] = { 0, 1, 5, 7 };

	for (size_t i = 0; i < ARRAY_SIZE(slp_typs); i++) {
		struct acpi_info info = info_for(1);
		u8 want[16] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
		size_t n = 7;
		const u8 *dsdt;
		u64 rsdp;
		int len;

		info.s5_slp_typ = slp_typs[i];
		len = build_info(&info, &rsdp);
		dsdt = find_dsdt(len);
		TEST_ASSERT(dsdt, "no DSDT");
		/* Name(\_S5, Package(4) {typ, typ, Zero, Zero}) */
		want[n++] = slp_typs[i] > 1 ? 8 : 6;	/* PkgLength */
		want[n++] = 4;				/* NumElements */
		for (int k = 0; k < 2; k++) {
			if (slp_typs[i] > 1)
				want[n++] = 0x0a;	/* BytePrefix */
			want[n++] = slp_typs[i];
		}
		want[n++] = 0;
		want[n++] = 0;
		TEST_ASSERT(memfind(dsdt + 36, rd32(dsdt + 4) - 36, want, n),
			    "\\_S5 package for SLP_TYP %u", slp_typs[i]);
	}
}

TEST(acpi_dsdt_describes_com1_io_and_irq)
{
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const u8 crs[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
				  0x22, 0x10, 0x00, 0x79, 0x00 };
	int len = build(1);
	const u8 *dsdt = find_dsdt(len);

	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), "COM1", 4), "COM1 device");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), hid, sizeof(hid)), "EisaId PNP0501");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), crs, sizeof(crs)), "_CRS IO 0x3f8/8 IRQ4");
}

TEST(acpi_dsdt_lists_pvpanic_only_when_it_has_a_port)
{
	struct acpi_info info = info_for(1);
	const u8 *dsdt;
	u64 rsdp;
	int len;

	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), "QEMU0001", 9), "pvpanic _HID");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), "\x47\x01\x05\x05\x05\x05\x01\x01", 8),
		    "pvpanic IO 0x505/1");

	info.pvpanic_port = 0;
	info.com1_port = 0;
	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(!memfind(dsdt, rd32(dsdt + 4), "QEMU0001", 8), "pvpanic listed");
	TEST_ASSERT(!memfind(dsdt, rd32(dsdt + 4), "COM1", 4), "COM1 listed");
}

TEST(acpi_dsdt_describes_virtio_mmio_devices)
{
	struct acpi_info info = info_for(1);
	static const u8 res1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x20, 0x00, 0xd0,
				   0x00, 0x02, 0x00, 0x00,
				   0x89, 0x06, 0x00, 0x01, 0x01, 0x0a, 0x00, 0x00, 0x00,
				   0x79, 0x00 };
	const u8 *dsdt;
	u64 rsdp;
	int len;

	info.mmio_devs = mmio_devs;
	info.nr_mmio_devs = ARRAY_SIZE(mmio_devs);
	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), "VR00", 4), "VR00");
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), "VR01", 4), "VR01");
	/* Memory32Fixed(RW, 0xd0002000, 0x200) + level Interrupt {10} */
	TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), res1, sizeof(res1)), "VR01 _CRS");
}

TEST(acpi_dsdt_pci_host_windows_and_ecam_reservation)
{
	/* WordBusNumber 0-0, producer, fixed: 16 bytes, length 1. */
	static const u8 bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00,
				  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00 };
	/* DWordMemory read-write 0xc0000000-0xcfffffff, length 0x10000000. */
	static const u8 mem[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
				  0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xcf,
				  0, 0, 0, 0, 0x00, 0x00, 0x00, 0x10 };
	/* WordIO 0x1000-0xffff, both ISA and non-ISA ranges. */
	static const u8 io[] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00,
				 0x00, 0x10, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf0 };
	/* Memory32Fixed(ReadWrite, 0xe0000000, 1 MiB) then the end tag. */
	static const u8 ecam_res[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe0,
				       0x00, 0x00, 0x10, 0x00, 0x79, 0x00 };
	/* EisaId("PNP0A08"), EisaId("PNP0C02") */
	static const u8 pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const u8 pnp0c02[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x02 };
	struct acpi_info info = info_with_pci(2);
	const u8 *dsdt, *mcfg;
	u64 rsdp;
	u32 n;
	int len;

	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	n = rd32(dsdt + 4);
	TEST_ASSERT(memfind(dsdt, n, "PCI0", 4), "PCI0 device");
	TEST_ASSERT(memfind(dsdt, n, pnp0a08, sizeof(pnp0a08)), "EisaId PNP0A08");
	TEST_ASSERT(memfind(dsdt, n, bus, sizeof(bus)), "WordBusNumber 0-0");
	TEST_ASSERT(memfind(dsdt, n, mem, sizeof(mem)), "DWordMemory BAR window");
	TEST_ASSERT(memfind(dsdt, n, io, sizeof(io)), "WordIO window");
	TEST_ASSERT(memfind(dsdt, n, "\x47\x01\xf8\x0c\xf8\x0c\x01\x08", 8), "IO 0xcf8/8");
	TEST_ASSERT(memfind(dsdt, n, pnp0c02, sizeof(pnp0c02)), "EisaId PNP0C02");
	TEST_ASSERT(memfind(dsdt, n, ecam_res, sizeof(ecam_res)), "ECAM reserved");
	/* The MCFG points at the range the motherboard device reserves. */
	mcfg = find_table(len, "MCFG");
	TEST_ASSERT(mcfg, "no MCFG");
	TEST_ASSERT_EQ(rd64(mcfg + 44), 0xe0000000);
	TEST_ASSERT_EQ(mcfg[54], 0);
	TEST_ASSERT_EQ(mcfg[55], 0);

	/* Without an I/O window there is no WordIO; without a host, no PCI0. */
	{
		struct acpi_pci_host no_io = pci_host;

		no_io.io_size = 0;
		info.pci = &no_io;
		len = build_info(&info, &rsdp);
		dsdt = find_dsdt(len);
		TEST_ASSERT(dsdt, "no DSDT");
		TEST_ASSERT(!memfind(dsdt, rd32(dsdt + 4), io, 6), "WordIO without a window");
		TEST_ASSERT(memfind(dsdt, rd32(dsdt + 4), mem, sizeof(mem)), "DWordMemory");
	}
	info.pci = NULL;
	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(!memfind(dsdt, rd32(dsdt + 4), "PCI0", 4), "PCI0 without a host");
	TEST_ASSERT(!memfind(dsdt, rd32(dsdt + 4), pnp0c02, sizeof(pnp0c02)), "PNP0C02");
}

TEST(acpi_mcfg_is_listed_only_when_ecam_is_given)
{
	struct acpi_info info = info_for(2);
	const u8 *mcfg;
	u64 rsdp;
	int len;

	len = build_info(&info, &rsdp);
	TEST_ASSERT(!find_table(len, "MCFG"), "MCFG without ECAM");

	info.ecams = &ecam;
	info.nr_ecams = 1;
	len = build_info(&info, &rsdp);
	TEST_ASSERT_EQ(rd32(find_xsdt(len) + 4), 36 + 3 * 8);
	mcfg = find_table(len, "MCFG");
	TEST_ASSERT(mcfg, "no MCFG");
	TEST_ASSERT_EQ(rd32(mcfg + 4), 44 + 16);
	TEST_ASSERT_EQ(rd64(mcfg + 44), 0xe0000000);
	TEST_ASSERT_EQ(rd16(mcfg + 52), 0);
	TEST_ASSERT_EQ(mcfg[54], 0);
	TEST_ASSERT_EQ(mcfg[55], 255);
}

TEST(acpi_returns_enospc_on_every_short_buffer)
{
	static u8 small[BUF_SIZE];
	struct acpi_info info = info_with_pci(255);
	u64 rsdp;
	int need = build_info(&info, &rsdp);

	TEST_ASSERT(need > 0, "acpi_build=%d", need);
	for (int size = 0; size < need; size++) {
		int ret = acpi_build(small, size, GPA, &info, &rsdp);

		TEST_ASSERT(ret == -ENOSPC, "size %d of %d: %d", size, need, ret);
	}
	TEST_ASSERT_EQ(acpi_build(small, need, GPA, &info, &rsdp), need);
	TEST_ASSERT(!memcmp(small, buf, need), "same bytes in an exact-size buffer");
}

TEST(acpi_rejects_bad_machine_facts)
{
	struct acpi_info info;
	struct acpi_mmio_dev high = { .base = 0xfffff000, .size = 0x2000, .gsi = 5 };
	u64 rsdp;

	TEST_ASSERT_EQ(acpi_build(buf, sizeof(buf), GPA, NULL, &rsdp), -EINVAL);
	info = info_for(0);
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(ACPI_MAX_CPUS + 1);
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	info.sci_irq = 0;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info.sci_irq = 16;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	info.s5_slp_typ = 8;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	info.pm1a_cnt_port = 0;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	info.com1_irq = 16;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	info.mmio_devs = &high;
	info.nr_mmio_devs = 1;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1);
	TEST_ASSERT_EQ(acpi_build(buf, sizeof(buf), GPA + 8, &info, &rsdp), -EINVAL);
	TEST_ASSERT_EQ(acpi_build(buf, sizeof(buf), 1ULL << 32, &info, &rsdp), -EINVAL);
	TEST_ASSERT_EQ(acpi_build(buf, sizeof(buf), 0xffffff00ULL, &info, &rsdp), -EINVAL);
}

TEST(acpi_rejects_bad_pci_hosts)
{
	struct acpi_info info = info_with_pci(1);
	struct acpi_pci_host h;
	u64 rsdp;

	TEST_ASSERT(build_info(&info, &rsdp) > 0, "the x86 host is fine");
	info.pci = &h;
	h = pci_host;
	h.bus_start = 1;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);	/* start > end */
	h = pci_host;
	h.intx_lines = 0;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.intx_gsi = 11;					/* an ISA IRQ */
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.ecam_base = 0xfff00000;
	h.bus_end = 1;						/* 2 MiB past 4 GiB */
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.ecam_base = 0xe0001000;				/* not 1 MiB aligned */
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.mem_size = 0;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.mem_base = 0xf0000000;
	h.mem_size = 0x20000000;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	h = pci_host;
	h.io_size = 0xf001;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
}

TEST(acpi_tables_disassemble_cleanly_with_iasl)
{
	static const char *const sigs[] = { "FACP", "APIC", "XSDT", "MCFG" };
	char dir[] = "/tmp/vmm-acpi-XXXXXX";
	struct acpi_info info = info_for(8);
	const char *why = NULL;
	char *dsl[ARRAY_SIZE(sigs) + 2] = { 0 };
	const char *iso0;
	const u8 *fadt;
	u64 rsdp;
	int len;
	bool ok = true;

	if (!have_tool("iasl")) {
		printf("  skip: iasl not found (Debian: apt-get install acpica-tools)\n");
		return;
	}
	info.ecams = &ecam;
	info.nr_ecams = 1;
	len = build_info(&info, &rsdp);
	TEST_ASSERT(len > 0, "acpi_build=%d", len);
	fadt = find_fadt(len);
	TEST_ASSERT(fadt, "no FADT");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");

	for (size_t i = 0; i < ARRAY_SIZE(sigs) && ok; i++) {
		const u8 *t = strcmp(sigs[i], "XSDT") ? find_table(len, sigs[i])
						      : find_xsdt(len);

		dsl[i] = iasl_disassemble(dir, t, &why);
		ok = dsl[i] != NULL;
	}
	if (ok)
		ok = (dsl[4] = iasl_disassemble(dir, find_dsdt(len), &why)) != NULL;
	if (ok)
		ok = (dsl[5] = iasl_disassemble(dir, buf + (rd32(fadt + 36) - GPA),
						&why)) != NULL;
	rm_dir(dir);
	TEST_ASSERT(ok, "%s", why);

	for (size_t i = 0; i < ARRAY_SIZE(dsl); i++)
		TEST_ASSERT(!strstr(dsl[i], "Incorrect checksum") &&
			    !strstr(dsl[i], "**** "), "iasl complains:\n%s", dsl[i]);
	/* FADT */
	TEST_ASSERT(strstr(dsl[0], "PM1A Event Block Address : 00000600"), "%s", dsl[0]);
	TEST_ASSERT(strstr(dsl[0], "PM1A Control Block Address : 00000604"), "%s", dsl[0]);
	TEST_ASSERT(strstr(dsl[0], "SCI Interrupt : 0009"), "%s", dsl[0]);
	TEST_ASSERT(strstr(dsl[0], "Hardware Reduced (V5) : 0"), "%s", dsl[0]);
	TEST_ASSERT(strstr(dsl[0], "VGA Not Present (V4) : 1"), "%s", dsl[0]);
	TEST_ASSERT(strstr(dsl[0], "8042 Present on ports 60/64 (V2) : 1"), "%s", dsl[0]);
	/* MADT */
	TEST_ASSERT_EQ(count(dsl[1], "[Processor Local APIC]"), 8);
	TEST_ASSERT_EQ(count(dsl[1], "[I/O APIC]"), 1);
	TEST_ASSERT_EQ(count(dsl[1], "[Interrupt Source Override]"), 2);
	/* The line after the override's "Source : 00" names GSI 2. */
	iso0 = strstr(dsl[1], "Source : 00\n");
	TEST_ASSERT(iso0, "no IRQ0 override:\n%s", dsl[1]);
	iso0 += strlen("Source : 00\n");
	TEST_ASSERT(strstr(iso0, "Interrupt : 00000002\n") &&
		    strstr(iso0, "Interrupt : 00000002\n") < strchr(iso0, '\n'),
		    "IRQ0 -> GSI 2 override:\n%s", dsl[1]);
	TEST_ASSERT(strstr(dsl[1], "PC-AT Compatibility : 1"), "%s", dsl[1]);
	/* XSDT: FADT, MADT, MCFG */
	TEST_ASSERT_EQ(count(dsl[2], "ACPI Table Address"), 3);
	/* MCFG */
	TEST_ASSERT(strstr(dsl[3], "Base Address : 00000000E0000000"), "%s", dsl[3]);
	/* DSDT */
	TEST_ASSERT(strstr(dsl[4], "Name (\\_S5, Package (0x04)"), "%s", dsl[4]);
	TEST_ASSERT(strstr(dsl[4], "Scope (\\_SB)"), "%s", dsl[4]);
	TEST_ASSERT(strstr(dsl[4], "EisaId (\"PNP0501\")"), "%s", dsl[4]);
	TEST_ASSERT(strstr(dsl[4], "Name (_HID, \"QEMU0001\")"), "%s", dsl[4]);
	TEST_ASSERT(strstr(dsl[4], "IRQNoFlags ()\n                    {4}"), "%s", dsl[4]);
	TEST_ASSERT_EQ(count(dsl[4], "\"ACPI0007\""), 8);
	/* FACS */
	TEST_ASSERT(strstr(dsl[5], "Signature : \"FACS\""), "%s", dsl[5]);
	TEST_ASSERT(strstr(dsl[5], "Length : 00000040"), "%s", dsl[5]);

	for (size_t i = 0; i < ARRAY_SIZE(dsl); i++)
		free(dsl[i]);
}

/*
 * iasl decompiles our AML to ASL and compiles it back (optimizations off):
 * a byte-identical result means every opcode, name and PkgLength we encode
 * is exactly what ACPICA's compiler would write. Many cpus, virtio-mmio
 * devices and the PCI host's _PRT make package lengths 2 and 3 bytes long.
 */
TEST(acpi_dsdt_recompiles_identically_with_iasl)
{
	static const u32 nr_cpus[] = { 1, 255, 300, 1000 };

	if (!have_tool("iasl")) {
		printf("  skip: iasl not found (Debian: apt-get install acpica-tools)\n");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nr_cpus); i++) {
		char dir[] = "/tmp/vmm-acpi-XXXXXX";
		struct acpi_info info = info_for(nr_cpus[i]);
		const char *why = NULL;
		char path[256];
		const u8 *dsdt;
		char *dsl, *aml = NULL;
		u64 rsdp;
		int len, rc = -1;
		bool same;

		info.mmio_devs = mmio_devs;
		info.nr_mmio_devs = ARRAY_SIZE(mmio_devs);
		info.pci = &pci_host;
		len = build_info(&info, &rsdp);
		dsdt = find_dsdt(len);
		TEST_ASSERT(dsdt, "no DSDT (cpus=%u)", nr_cpus[i]);
		TEST_ASSERT(mkdtemp(dir), "mkdtemp");

		dsl = iasl_disassemble(dir, dsdt, &why);
		if (dsl) {
			rc = run_in(dir, "iasl -oa -p again DSDT.dsl");
			snprintf(path, sizeof(path), "%s/again.aml", dir);
			aml = slurp(path);
		}
		if (rc != 0) {
			snprintf(path, sizeof(path), "%s/tool.log", dir);
			why = slurp(path);
		}
		rm_dir(dir);
		TEST_ASSERT(dsl, "%s", why);
		TEST_ASSERT(rc == 0 && aml, "iasl could not recompile:\n%s", why);
		/* The header differs (compiler id); the AML must not. */
		same = rd32((const u8 *)aml + 4) == rd32(dsdt + 4) &&
		       !memcmp(aml + 36, dsdt + 36, rd32(dsdt + 4) - 36);
		free(dsl);
		free(aml);
		TEST_ASSERT(same, "recompiled AML differs (cpus=%u)", nr_cpus[i]);
	}
}

TEST(acpi_dsdt_objects_evaluate_in_acpiexec)
{
	char dir[] = "/tmp/vmm-acpi-XXXXXX";
	char path[256];
	const u8 *dsdt;
	char *log = NULL;
	int len, rc = -1;

	if (!have_tool("acpiexec")) {
		printf("  skip: acpiexec not found (Debian: apt-get install acpica-tools)\n");
		return;
	}
	len = build(2);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
	if (spew(path, dsdt, rd32(dsdt + 4))) {
		rc = run_in(dir, "acpiexec -b 'evaluate \\_S5; evaluate "
			    "\\_SB.PEVT._STA; evaluate \\_SB.C001._UID' DSDT.dat");
		snprintf(path, sizeof(path), "%s/tool.log", dir);
		log = slurp(path);
	}
	rm_dir(dir);
	TEST_ASSERT(rc == 0 && log, "acpiexec failed:\n%s", log ? log : "");
	TEST_ASSERT(strstr(log, "[Package] Contains 4 Elements:\n"
			   "    [Integer] = 0000000000000005\n"
			   "    [Integer] = 0000000000000005\n"), "\\_S5:\n%s", log);
	TEST_ASSERT(strstr(log, "[Integer] = 000000000000000F"), "_STA:\n%s", log);
	TEST_ASSERT(strstr(log, "[Integer] = 0000000000000001"), "_UID:\n%s", log);
	TEST_ASSERT(!strstr(log, "ACPI Error"), "%s", log);
	free(log);
}

/* iasl's reading of the PCI host: names, ids, windows, routing, reservation. */
TEST(acpi_pci_host_disassembles_with_iasl)
{
	char dir[] = "/tmp/vmm-acpi-XXXXXX";
	struct acpi_info info = info_with_pci(2);
	const char *why = NULL;
	char *dsl;
	u64 rsdp;
	int len;

	if (!have_tool("iasl")) {
		printf("  skip: iasl not found (Debian: apt-get install acpica-tools)\n");
		return;
	}
	len = build_info(&info, &rsdp);
	TEST_ASSERT(len > 0, "acpi_build=%d", len);
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	dsl = iasl_disassemble(dir, find_dsdt(len), &why);
	rm_dir(dir);
	TEST_ASSERT(dsl, "%s", why);
	TEST_ASSERT(!strstr(dsl, "**** "), "iasl complains:\n%s", dsl);
	TEST_ASSERT(strstr(dsl, "Device (PCI0)"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_HID, EisaId (\"PNP0A08\")"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_CID, EisaId (\"PNP0A03\")"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_SEG, Zero)"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_BBN, Zero)"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,\n"
			   "                    0x0000,             // Granularity\n"
			   "                    0x0000,             // Range Minimum\n"
			   "                    0x0000,             // Range Maximum\n"),
		    "%s", dsl);
	TEST_ASSERT(strstr(dsl, "IO (Decode16,\n"
			   "                    0x0CF8,             // Range Minimum\n"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, "
			   "EntireRange,\n"
			   "                    0x0000,             // Granularity\n"
			   "                    0x1000,             // Range Minimum\n"
			   "                    0xFFFF,             // Range Maximum\n"),
		    "%s", dsl);
	TEST_ASSERT(strstr(dsl, "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, "
			   "NonCacheable, ReadWrite,\n"
			   "                    0x00000000,         // Granularity\n"
			   "                    0xC0000000,         // Range Minimum\n"
			   "                    0xCFFFFFFF,         // Range Maximum\n"
			   "                    0x00000000,         // Translation Offset\n"
			   "                    0x10000000,         // Length\n"),
		    "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_PRT, Package (0x80)"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Name (_HID, EisaId (\"PNP0C02\")"), "%s", dsl);
	TEST_ASSERT(strstr(dsl, "Memory32Fixed (ReadWrite,\n"
			   "                    0xE0000000,         // Address Base\n"
			   "                    0x00100000,         // Address Length\n"),
		    "%s", dsl);
	free(dsl);
}

/* The next "[Integer] = <hex>" in acpiexec's output after *p; -1 if none. */
static long long next_integer(const char **p)
{
	const char *s = strstr(*p, "[Integer] = ");
	char *end;
	long long v;

	if (!s)
		return -1;
	v = strtoll(s + strlen("[Integer] = "), &end, 16);
	*p = end;
	return v;
}

/*
 * acpiexec evaluates _PRT as Linux's pci_irq.c will: 128 entries of
 * {0xSSSSFFFF, pin, 0 (no link device), GSI}, GSI 16 + (slot + pin) % 8.
 */
TEST(acpi_pci_prt_routes_every_slot_and_pin_in_acpiexec)
{
	char dir[] = "/tmp/vmm-acpi-XXXXXX";
	struct acpi_info info = info_with_pci(2);
	char path[256];
	const char *p;
	const u8 *dsdt;
	char *log = NULL;
	long long gsi[32][4];
	u64 rsdp;
	int len, rc = -1;

	if (!have_tool("acpiexec")) {
		printf("  skip: acpiexec not found (Debian: apt-get install acpica-tools)\n");
		return;
	}
	len = build_info(&info, &rsdp);
	dsdt = find_dsdt(len);
	TEST_ASSERT(dsdt, "no DSDT");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
	if (spew(path, dsdt, rd32(dsdt + 4))) {
		rc = run_in(dir, "acpiexec -b 'evaluate \\_SB.PCI0._SEG; evaluate \\_SB.PCI0._BBN; "
			    "evaluate \\_SB.PCI0._PRT' DSDT.dat");
		snprintf(path, sizeof(path), "%s/tool.log", dir);
		log = slurp(path);
	}
	rm_dir(dir);
	TEST_ASSERT(rc == 0 && log, "acpiexec failed:\n%s", log ? log : "");
	TEST_ASSERT(!strstr(log, "ACPI Error"), "%s", log);

	p = strstr(log, "Evaluating \\_SB.PCI0._SEG");
	TEST_ASSERT(p && next_integer(&p) == 0, "_SEG:\n%s", log);
	p = strstr(log, "Evaluating \\_SB.PCI0._BBN");
	TEST_ASSERT(p && next_integer(&p) == 0, "_BBN:\n%s", log);
	p = strstr(log, "Evaluating \\_SB.PCI0._PRT");
	TEST_ASSERT(p && strstr(p, "[Package] Contains 128 Elements:"), "_PRT:\n%s", log);
	for (int slot = 0; slot < 32; slot++) {
		for (int pin = 0; pin < 4; pin++) {
			long long addr = next_integer(&p), got_pin = next_integer(&p);
			long long source = next_integer(&p);

			gsi[slot][pin] = next_integer(&p);
			TEST_ASSERT(addr == (slot << 16 | 0xffff) && got_pin == pin && source == 0,
				    "entry %d.%d: {0x%llx, %lld, %lld}", slot, pin, addr, got_pin,
				    source);
			TEST_ASSERT_EQ(gsi[slot][pin], 16 + (slot + pin) % 8);
		}
	}
	TEST_ASSERT(next_integer(&p) < 0, "more than 128 entries:\n%s", log);
	/* Spelled out: the swizzle the machine wires (X86_PCI_INTX_GSI). */
	TEST_ASSERT_EQ(gsi[0][0], 16);
	TEST_ASSERT_EQ(gsi[1][0], 17);
	TEST_ASSERT_EQ(gsi[3][1], 20);
	TEST_ASSERT_EQ(gsi[7][0], 23);
	TEST_ASSERT_EQ(gsi[8][0], 16);
	TEST_ASSERT_EQ(gsi[31][3], 18);
	free(log);
}

/* The IOAPIC's 8-bit id is no cpu's xAPIC id, nor the broadcast, up to 255 cpus. */
TEST(acpi_madt_ioapic_id_is_no_cpus_xapic_id_up_to_1024_cpus)
{
	static const u32 counts[] = { 1, 2, 254, 255, 256, 300, 1024 };

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		int len = build(counts[i]);
		const u8 *madt = find_table(len, "APIC");
		struct madt_count c;

		TEST_ASSERT(len > 0 && madt, "no MADT (cpus=%u): %d", counts[i], len);
		c = madt_walk(madt);
		TEST_ASSERT(!c.bad, "MADT entries malformed (cpus=%u)", counts[i]);
		TEST_ASSERT_EQ(c.lapic + c.x2apic, counts[i]);
		TEST_ASSERT_EQ(c.ioapic, 1);
		TEST_ASSERT(!(c.xapic_ids[c.ioapic_id / 8] & 1 << c.ioapic_id % 8),
			    "cpus=%u: IOAPIC id %u is a cpu's", counts[i], c.ioapic_id);
		/* Below 255 cpus 0xff is free to keep for the broadcast. */
		TEST_ASSERT(counts[i] >= 255 || c.ioapic_id < 0xff, "cpus=%u: id %u",
			    counts[i], c.ioapic_id);
	}
}

TEST(acpi_rejects_an_ioapic_id_that_is_a_cpus)
{
	struct acpi_info info = info_for(4);
	u64 rsdp;

	info.ioapic_id = 3;
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
	info = info_for(1024);
	info.ioapic_id = (u8)1024;	/* what vmm wrote before: 0, the BSP's */
	TEST_ASSERT_EQ(build_info(&info, &rsdp), -EINVAL);
}
