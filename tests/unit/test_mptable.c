// SPDX-License-Identifier: GPL-2.0
/*
 * MP table builder tests. The parser here is written from the MP spec 1.4
 * independently of firmware/mptable.c: it trusts only the bytes.
 */
#include <errno.h>

#include "firmware/acpi.h"
#include "firmware/mptable.h"
#include "test.h"

#define GPA		0x9fc00ULL	/* where vmm puts it: the EBDA */
#define EBDA_SIZE	1024

static u8 buf[16 * 1024];

static const u32 cpu_counts[] = { 1, 2, 8, 255 };

static u32 rd16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static u32 rd32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u8 sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

static struct mptable_info info_for(u32 nr_cpus)
{
	return (struct mptable_info){
		.nr_cpus = nr_cpus,
		.lapic_addr = 0xfee00000,
		.ioapic_id = acpi_ioapic_id(nr_cpus),
		.ioapic_addr = 0xfec00000,
	};
}

static int build(u32 nr_cpus)
{
	struct mptable_info info = info_for(nr_cpus);

	memset(buf, 0xa5, sizeof(buf));
	return mptable_build(buf, sizeof(buf), GPA, &info);
}

/* What one walk of the configuration table found. */
struct mp_parsed {
	const u8 *mpc;		/* NULL if the floating pointer is bad */
	u32 base_len;
	u32 nr_entries;		/* walked */
	u32 nr_cpus, nr_bsp, nr_bus, nr_ioapic, nr_ioint, nr_lint;
	bool bad_entry;
	bool ids_match_index;
	const u8 *ioapic;
	const u8 *ioint_by_irq[16];	/* ISA bus */
	const u8 *lint[2];
	int isa_bus, pci_bus;		/* -1: none */
	const u8 *pci_ioint[32][4];	/* PCI bus: by slot and pin */
	u32 nr_pci_ioint;
};

/* Follows the floating pointer to the table, then walks every entry. */
static struct mp_parsed parse(int len)
{
	struct mp_parsed r = { .ids_match_index = true, .isa_bus = -1, .pci_bus = -1 };
	const u8 *p, *end;
	u32 ptr;

	if (memcmp(buf, "_MP_", 4) || buf[8] != 1 || sum(buf, 16) != 0)
		return r;
	ptr = rd32(buf + 4);
	if (ptr < GPA || ptr + 44 > GPA + (u32)len)
		return r;
	r.mpc = buf + (ptr - GPA);
	r.base_len = rd16(r.mpc + 4);
	p = r.mpc + 44;
	end = r.mpc + r.base_len;
	while (p < end) {
		switch (p[0]) {
		case 0:
			if (p[1] != r.nr_cpus)
				r.ids_match_index = false;
			if (p[3] & 2)
				r.nr_bsp++;
			if (!(p[3] & 1))
				r.bad_entry = true;
			r.nr_cpus++;
			p += 20;
			break;
		case 1:
			if (!memcmp(p + 2, "ISA   ", 6) && r.isa_bus < 0)
				r.isa_bus = p[1];
			else if (!memcmp(p + 2, "PCI   ", 6) && r.pci_bus < 0)
				r.pci_bus = p[1];
			else
				r.bad_entry = true;
			r.nr_bus++;
			p += 8;
			break;
		case 2:
			r.ioapic = p;
			r.nr_ioapic++;
			p += 8;
			break;
		case 3:
			/* Bus entries come first (MP spec 4.3): the ids are known. */
			if (p[4] == r.pci_bus) {
				if (r.pci_ioint[(p[5] >> 2) & 0x1f][p[5] & 3])
					r.bad_entry = true;
				r.pci_ioint[(p[5] >> 2) & 0x1f][p[5] & 3] = p;
				r.nr_pci_ioint++;
			} else if (p[4] == r.isa_bus && p[5] < 16) {
				r.ioint_by_irq[p[5]] = p;
			} else {
				r.bad_entry = true;
			}
			r.nr_ioint++;
			p += 8;
			break;
		case 4:
			if (p[7] < 2)
				r.lint[p[7]] = p;
			r.nr_lint++;
			p += 8;
			break;
		default:
			r.bad_entry = true;
			return r;
		}
		r.nr_entries++;
	}
	if (p != end)
		r.bad_entry = true;
	return r;
}

TEST(mptable_size_matches_bytes_written)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpu_counts); i++) {
		int len = build(cpu_counts[i]);

		TEST_ASSERT(len > 0, "cpus=%u len=%d", cpu_counts[i], len);
		TEST_ASSERT_EQ((size_t)len, mptable_size(cpu_counts[i], false));
		/* A pure builder: nothing past the returned length is touched. */
		TEST_ASSERT_EQ(buf[len], 0xa5);
	}
}

TEST(mptable_fits_40_cpus_in_the_ebda_kib)
{
	struct mptable_info info = info_for(40);

	TEST_ASSERT(mptable_size(2, false) <= EBDA_SIZE, "2 cpus need %zu", mptable_size(2, false));
	TEST_ASSERT(mptable_size(40, false) <= EBDA_SIZE, "40 cpus need %zu", mptable_size(40, false));
	TEST_ASSERT(mptable_size(41, false) > EBDA_SIZE, "41 cpus need %zu", mptable_size(41, false));
	TEST_ASSERT(mptable_build(buf, EBDA_SIZE, GPA, &info) > 0, "40 cpus in 1 KiB");
	info = info_for(41);
	TEST_ASSERT_EQ(mptable_build(buf, EBDA_SIZE, GPA, &info), -ENOSPC);
}

TEST(mptable_rejects_zero_cpus_and_more_than_255)
{
	struct mptable_info info = info_for(0);

	TEST_ASSERT_EQ(mptable_size(0, false), 0);
	TEST_ASSERT_EQ(mptable_size(256, false), 0);
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, &info), -EINVAL);
	info.nr_cpus = 256;
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, &info), -EINVAL);
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, NULL), -EINVAL);
}

TEST(mptable_rejects_unaligned_or_high_gpa)
{
	struct mptable_info info = info_for(2);

	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA + 8, &info), -EINVAL);
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), 0xfffffff0ULL, &info), -EINVAL);
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), 1ULL << 32, &info), -EINVAL);
}

TEST(mptable_returns_enospc_on_short_buffers)
{
	struct mptable_info info = info_for(8);
	size_t need = mptable_size(8, false);

	for (size_t size = 0; size < need; size++)
		TEST_ASSERT_EQ(mptable_build(buf, size, GPA, &info), -ENOSPC);
	TEST_ASSERT_EQ(mptable_build(buf, need, GPA, &info), (int)need);
}

TEST(mptable_checksums_are_zero)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpu_counts); i++) {
		int len = build(cpu_counts[i]);
		struct mp_parsed r = parse(len);

		TEST_ASSERT(r.mpc, "floating pointer bad (cpus=%u)", cpu_counts[i]);
		TEST_ASSERT_EQ(sum(buf, 16), 0);
		TEST_ASSERT_EQ(sum(r.mpc, r.base_len), 0);
	}
}

TEST(mptable_floating_pointer_leads_to_config_table_in_blob)
{
	int len = build(2);
	struct mp_parsed r = parse(len);

	TEST_ASSERT(r.mpc, "floating pointer bad");
	TEST_ASSERT_EQ(rd32(buf + 4), GPA + 16);
	TEST_ASSERT_EQ(buf[9], 4);			/* spec 1.4 */
	TEST_ASSERT_EQ(buf[11], 0);			/* a table, not a default config */
	TEST_ASSERT(!memcmp(r.mpc, "PCMP", 4), "config signature");
	TEST_ASSERT_EQ(r.mpc[6], 4);
	TEST_ASSERT_EQ(rd32(r.mpc + 36), 0xfee00000);
	TEST_ASSERT_EQ(rd16(r.mpc + 40), 0);		/* no extended table */
	TEST_ASSERT_EQ((size_t)(r.mpc - buf) + r.base_len, (size_t)len);
}

TEST(mptable_has_one_cpu_entry_per_cpu_with_bsp_first)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpu_counts); i++) {
		u32 n = cpu_counts[i];
		int len = build(n);
		struct mp_parsed r = parse(len);

		TEST_ASSERT(r.mpc && !r.bad_entry, "parse failed (cpus=%u)", n);
		TEST_ASSERT_EQ(r.nr_cpus, n);
		TEST_ASSERT_EQ(r.nr_bsp, 1);
		TEST_ASSERT(r.mpc[44] == 0 && (r.mpc[47] & 2), "cpu 0 is not the BSP");
		TEST_ASSERT(r.ids_match_index, "APIC ids are not 0..%u", n - 1);
		TEST_ASSERT_EQ(r.mpc[46], 0x14);	/* integrated APIC */
		TEST_ASSERT_EQ(r.nr_entries, rd16(r.mpc + 34));
	}
}

TEST(mptable_has_isa_bus_and_ioapic_from_info)
{
	int len = build(2);
	struct mp_parsed r = parse(len);

	TEST_ASSERT(r.mpc && !r.bad_entry, "parse failed");
	TEST_ASSERT_EQ(r.nr_bus, 1);
	TEST_ASSERT_EQ(r.nr_ioapic, 1);
	TEST_ASSERT_EQ(r.ioapic[1], 2);			/* id: after the cpus' */
	TEST_ASSERT_EQ(r.ioapic[2], 0x11);		/* default version */
	TEST_ASSERT_EQ(r.ioapic[3] & 1, 1);		/* enabled */
	TEST_ASSERT_EQ(rd32(r.ioapic + 4), 0xfec00000);
}

TEST(mptable_routes_isa_irq0_to_pin2_and_skips_irq2)
{
	int len = build(2);
	struct mp_parsed r = parse(len);

	TEST_ASSERT(r.mpc && !r.bad_entry, "parse failed");
	TEST_ASSERT_EQ(r.nr_ioint, 15);
	TEST_ASSERT(!r.ioint_by_irq[2], "IRQ2 (cascade) must not be routed");
	for (u8 irq = 0; irq < 16; irq++) {
		const u8 *e = r.ioint_by_irq[irq];

		if (irq == 2)
			continue;
		TEST_ASSERT(e, "IRQ%u missing", irq);
		TEST_ASSERT_EQ(e[1], 0);		/* INT */
		TEST_ASSERT_EQ(e[4], 0);		/* ISA bus id */
		TEST_ASSERT_EQ(e[6], r.ioapic[1]);	/* our IOAPIC */
		TEST_ASSERT_EQ(e[7], irq == 0 ? 2 : irq);
	}
}

TEST(mptable_has_extint_on_lint0_and_nmi_on_lint1)
{
	int len = build(8);
	struct mp_parsed r = parse(len);

	TEST_ASSERT(r.mpc && !r.bad_entry, "parse failed");
	TEST_ASSERT_EQ(r.nr_lint, 2);
	TEST_ASSERT(r.lint[0] && r.lint[1], "LINT0/LINT1 entries");
	TEST_ASSERT_EQ(r.lint[0][1], 3);		/* ExtINT */
	TEST_ASSERT_EQ(r.lint[1][1], 1);		/* NMI */
	TEST_ASSERT_EQ(r.lint[0][6], 0xff);		/* all local APICs */
	TEST_ASSERT_EQ(r.lint[1][6], 0xff);
}

TEST(mptable_uses_given_apic_versions)
{
	struct mptable_info info = info_for(1);
	struct mp_parsed r;

	info.lapic_version = 0x15;
	info.ioapic_version = 0x20;
	TEST_ASSERT(mptable_build(buf, sizeof(buf), GPA, &info) > 0, "build");
	r = parse(mptable_size(1, false));
	TEST_ASSERT(r.mpc && r.ioapic, "parse failed");
	TEST_ASSERT_EQ(r.mpc[46], 0x15);
	TEST_ASSERT_EQ(r.ioapic[2], 0x20);
}

static const struct mptable_pci pci = { .intx_gsi = 16, .intx_lines = 8 };

/*
 * With PCI, as Linux's IO_APIC_get_PCI_irq_vector() reads it: the PCI bus's
 * MP id is its bus number (0), srcbusirq is slot << 2 | pin, level-low.
 */
TEST(mptable_routes_pci_inta_of_every_slot_level_low)
{
	struct mptable_info info = info_for(2);
	struct mp_parsed r;
	int len;

	info.pci = &pci;
	memset(buf, 0xa5, sizeof(buf));
	len = mptable_build(buf, sizeof(buf), GPA, &info);
	TEST_ASSERT_EQ((size_t)len, mptable_size(2, true));
	TEST_ASSERT_EQ(mptable_size(2, true), mptable_size(2, false) + 256);
	TEST_ASSERT_EQ(buf[len], 0xa5);
	r = parse(len);
	TEST_ASSERT(r.mpc && !r.bad_entry, "parse failed");
	TEST_ASSERT_EQ(sum(r.mpc, r.base_len), 0);
	TEST_ASSERT_EQ(r.nr_entries, rd16(r.mpc + 34));
	TEST_ASSERT_EQ(r.nr_bus, 2);
	TEST_ASSERT_EQ(r.pci_bus, 0);
	TEST_ASSERT_EQ(r.isa_bus, 1);
	TEST_ASSERT_EQ(r.nr_pci_ioint, 31);
	TEST_ASSERT_EQ(r.nr_ioint, 15 + 31);
	TEST_ASSERT(!r.pci_ioint[0][0], "the host bridge has no INTA#");
	for (int slot = 1; slot < 32; slot++) {
		const u8 *e = r.pci_ioint[slot][0];

		TEST_ASSERT(e, "slot %d INTA# missing", slot);
		TEST_ASSERT_EQ(e[1], 0);			/* INT */
		TEST_ASSERT_EQ(rd16(e + 2), 0xf);		/* level, active low */
		TEST_ASSERT_EQ(e[6], r.ioapic[1]);		/* our IOAPIC */
		TEST_ASSERT_EQ(e[7], 16 + slot % 8);
		for (int pin = 1; pin < 4; pin++)
			TEST_ASSERT(!r.pci_ioint[slot][pin], "slot %d pin %d", slot, pin);
	}
	TEST_ASSERT_EQ(r.pci_ioint[1][0][7], 17);
	TEST_ASSERT_EQ(r.pci_ioint[8][0][7], 16);
	TEST_ASSERT_EQ(r.pci_ioint[31][0][7], 23);
	/* The ISA routes and LINTs move to the ISA bus's id, unchanged. */
	for (u8 irq = 0; irq < 16; irq++)
		TEST_ASSERT(irq == 2 || (r.ioint_by_irq[irq] && r.ioint_by_irq[irq][7] ==
					 (irq == 0 ? 2 : irq)), "ISA IRQ%u", irq);
	TEST_ASSERT(r.lint[0] && r.lint[1] && r.lint[0][4] == 1, "LINTs on the ISA bus");
}

TEST(mptable_with_pci_fits_27_cpus_in_the_ebda_kib)
{
	struct mptable_info info = info_for(27);

	info.pci = &pci;
	TEST_ASSERT(mptable_size(27, true) <= EBDA_SIZE, "27 cpus need %zu",
		    mptable_size(27, true));
	TEST_ASSERT(mptable_size(28, true) > EBDA_SIZE, "28 cpus need %zu",
		    mptable_size(28, true));
	TEST_ASSERT(mptable_build(buf, EBDA_SIZE, GPA, &info) > 0, "27 cpus in 1 KiB");
	info = info_for(28);
	info.pci = &pci;
	TEST_ASSERT_EQ(mptable_build(buf, EBDA_SIZE, GPA, &info), -ENOSPC);
}

TEST(mptable_rejects_pci_without_lines)
{
	struct mptable_info info = info_for(2);
	struct mptable_pci bad = { .intx_gsi = 16, .intx_lines = 0 };

	info.pci = &bad;
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, &info), -EINVAL);
	bad = (struct mptable_pci){ .intx_gsi = 250, .intx_lines = 8 };
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, &info), -EINVAL);
}

/* MP tables are xAPIC only (up to 255 cpus): the IOAPIC takes no cpu's id. */
TEST(mptable_ioapic_id_is_no_cpus_apic_id)
{
	static const u32 counts[] = { 1, 3, 40, 254, 255 };
	struct mptable_info info;

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		int len = build(counts[i]);
		struct mp_parsed r = parse(len);

		TEST_ASSERT(len > 0 && r.mpc && r.ioapic, "cpus=%u: %d", counts[i], len);
		TEST_ASSERT_EQ(r.nr_cpus, counts[i]);
		TEST_ASSERT(r.ioapic[1] >= counts[i], "cpus=%u: IOAPIC id %u is a cpu's",
			    counts[i], r.ioapic[1]);
	}
	info = info_for(4);
	info.ioapic_id = 3;
	TEST_ASSERT_EQ(mptable_build(buf, sizeof(buf), GPA, &info), -EINVAL);
}
