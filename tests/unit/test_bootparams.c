// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>

#include "devices/pci.h"
#include "hw/x86/bootparams.h"
#include "hw/x86/bzimage.h"
#include "hw/x86/layout.h"
#include "test.h"

#define PAGE	4096ULL

static const u64 ram_sizes[] = { 64 * MiB, 3 * GiB, 3 * GiB + PAGE, 5 * GiB };

static bool is_ecam(const struct boot_e820_entry *e)
{
	return e->addr == X86_PCI_ECAM_BASE && e->size == PCI_ECAM_SIZE &&
	       e->type == X86_E820_RESERVED;
}

/*
 * e820 must describe exactly the memslots, sorted and disjoint, plus the
 * reserved ECAM window (in the MMIO hole) and nothing else.
 */
static void check_e820_matches_memslots(u64 ram)
{
	struct boot_e820_entry map[X86_E820_MAX];
	u64 gpa[2], size[2], slots = 0, listed = 0, prev_end = 0;
	int n, nr = x86_e820_build(ram, map, X86_E820_MAX), nr_ecam = 0;

	x86_ram_regions(ram, gpa, size, &n);
	TEST_ASSERT(nr > 0, "ram %llu: %d", (unsigned long long)ram, nr);
	for (int i = 0; i < n; i++)
		slots += size[i];
	TEST_ASSERT_EQ(slots, ram);
	for (int i = 0; i < nr; i++) {
		bool inside = false;

		TEST_ASSERT(map[i].size > 0, "empty entry %d", i);
		TEST_ASSERT(map[i].addr >= prev_end, "entry %d overlaps or is unsorted", i);
		TEST_ASSERT(map[i].type == X86_E820_RAM || map[i].type == X86_E820_RESERVED,
			    "type %u", map[i].type);
		prev_end = map[i].addr + map[i].size;
		if (is_ecam(&map[i])) {
			nr_ecam++;
			continue;
		}
		for (int s = 0; s < n; s++)
			inside |= map[i].addr >= gpa[s] &&
				  map[i].addr + map[i].size <= gpa[s] + size[s];
		TEST_ASSERT(inside, "entry %d [0x%llx +0x%llx) is not in a memslot", i,
			    (unsigned long long)map[i].addr, (unsigned long long)map[i].size);
		listed += map[i].size;
	}
	TEST_ASSERT_EQ(listed, slots);
	TEST_ASSERT_EQ(nr_ecam, 1);
	/* The ECAM window is MMIO: no memslot may overlap it. */
	for (int s = 0; s < n; s++)
		TEST_ASSERT(gpa[s] + size[s] <= X86_PCI_ECAM_BASE ||
			    gpa[s] >= X86_PCI_ECAM_BASE + PCI_ECAM_SIZE, "memslot %d over ECAM", s);
}

TEST(e820_covers_exactly_the_memslots)
{
	for (size_t i = 0; i < ARRAY_SIZE(ram_sizes); i++) {
		check_e820_matches_memslots(ram_sizes[i]);
		if (test_failed_current)
			return;
	}
}

TEST(e820_layout_64m)
{
	struct boot_e820_entry m[X86_E820_MAX];

	TEST_ASSERT_EQ(x86_e820_build(64 * MiB, m, X86_E820_MAX), 4);
	TEST_ASSERT(m[0].addr == 0 && m[0].size == X86_EBDA_START && m[0].type == X86_E820_RAM,
		    "low RAM");
	TEST_ASSERT(m[1].addr == X86_EBDA_START && m[1].size == 0x100000 - X86_EBDA_START &&
		    m[1].type == X86_E820_RESERVED, "EBDA..1M reserved");
	TEST_ASSERT(m[2].addr == 0x100000 && m[2].size == 63 * MiB &&
		    m[2].type == X86_E820_RAM, "high RAM");
	TEST_ASSERT(m[3].addr == 0xe0000000 && m[3].size == 1 * MiB &&
		    m[3].type == X86_E820_RESERVED, "ECAM reserved");
}

TEST(e820_layout_above_the_hole)
{
	struct boot_e820_entry m[X86_E820_MAX];
	u64 gpa[2], size[2];
	int n;

	TEST_ASSERT_EQ(x86_e820_build(3 * GiB, m, X86_E820_MAX), 4);
	TEST_ASSERT_EQ(m[2].addr + m[2].size, X86_MMIO_HOLE_START);
	TEST_ASSERT(is_ecam(&m[3]), "ECAM after low RAM");
	x86_ram_regions(3 * GiB, gpa, size, &n);
	TEST_ASSERT_EQ(n, 1);

	TEST_ASSERT_EQ(x86_e820_build(3 * GiB + PAGE, m, X86_E820_MAX), 5);
	TEST_ASSERT(is_ecam(&m[3]), "ECAM between low RAM and 4 GiB");
	TEST_ASSERT(m[4].addr == 4 * GiB && m[4].size == PAGE && m[4].type == X86_E820_RAM,
		    "one page above 4 GiB");
	x86_ram_regions(3 * GiB + PAGE, gpa, size, &n);
	TEST_ASSERT(n == 2 && gpa[1] == 4 * GiB && size[1] == PAGE, "second memslot");

	TEST_ASSERT_EQ(x86_e820_build(5 * GiB, m, X86_E820_MAX), 5);
	TEST_ASSERT(m[4].addr == 4 * GiB && m[4].size == 2 * GiB, "2 GiB above 4 GiB");
}

TEST(e820_rejects_bad_sizes)
{
	struct boot_e820_entry m[X86_E820_MAX];

	TEST_ASSERT_EQ(x86_e820_build(0, m, X86_E820_MAX), -EINVAL);
	TEST_ASSERT_EQ(x86_e820_build(1 * MiB, m, X86_E820_MAX), -EINVAL);
	TEST_ASSERT_EQ(x86_e820_build(64 * MiB + 1, m, X86_E820_MAX), -EINVAL);
	TEST_ASSERT_EQ(x86_e820_build(UINT64_MAX & ~0xfffULL, m, X86_E820_MAX), -EINVAL);
	TEST_ASSERT_EQ(x86_e820_build(5 * GiB, m, 4), -ENOSPC);
	TEST_ASSERT_EQ(x86_e820_build(64 * MiB, m, 3), -ENOSPC);
	TEST_ASSERT_EQ(x86_e820_build(64 * MiB, m, 4), 4);
}

/* A parsed bzImage as bzimage_parse() would describe a 2.xx kernel. */
static struct bzimage fake_bzimage(u8 *hdr_bytes, u16 version)
{
	struct bzimage bz = { 0 };
	struct setup_header h = { 0 };

	h.setup_sects = 27;
	h.boot_flag = 0xaa55;
	h.header = 0x53726448;
	h.version = version;
	h.loadflags = LOADED_HIGH;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.xloadflags = XLF_KERNEL_64;
	h.cmdline_size = 2047;
	h.init_size = 0x3378000;
	h.pref_address = 0x1000000;
	memcpy(hdr_bytes, &h, sizeof(h));
	bz.version = version;
	bz.cmdline_size = 2047;
	bz.setup_header = hdr_bytes;
	bz.setup_header_len = sizeof(h);
	return bz;
}

TEST(boot_params_from_bzimage)
{
	static struct boot_params bp;
	u8 hdr[sizeof(struct setup_header)];
	struct bzimage bz = fake_bzimage(hdr, 0x020f);
	struct boot_e820_entry m[X86_E820_MAX];
	struct x86_boot_info info = {
		.ram_size = 5 * GiB,
		.cmdline_gpa = X86_CMDLINE_ADDR,
		.cmdline_len = 100,
		.initrd_gpa = 0xbf000000,
		.initrd_size = 0x800000,
		.rsdp_gpa = 0xe0000,
	};
	int nr = x86_e820_build(info.ram_size, m, X86_E820_MAX);

	memset(&bp, 0xaa, sizeof(bp));
	TEST_ASSERT_EQ(x86_boot_params_build(&bp, &bz, &info), 0);
	/* The kernel's own header fields come through. */
	TEST_ASSERT_EQ(bp.hdr.setup_sects, 27);
	TEST_ASSERT_EQ(bp.hdr.version, 0x020f);
	TEST_ASSERT_EQ(bp.hdr.init_size, 0x3378000);
	TEST_ASSERT_EQ(bp.hdr.xloadflags, XLF_KERNEL_64);
	TEST_ASSERT_EQ(bp.hdr.header, 0x53726448);
	/* What the loader must fill in. */
	TEST_ASSERT_EQ(bp.hdr.type_of_loader, 0xff);
	TEST_ASSERT_EQ(bp.hdr.vid_mode, 0xffff);
	TEST_ASSERT_EQ(bp.hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	TEST_ASSERT_EQ(bp.hdr.heap_end_ptr, 0xfe00);
	TEST_ASSERT_EQ(bp.hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	TEST_ASSERT_EQ(bp.ext_cmd_line_ptr, 0);
	TEST_ASSERT_EQ(bp.hdr.ramdisk_image, 0xbf000000);
	TEST_ASSERT_EQ(bp.hdr.ramdisk_size, 0x800000);
	TEST_ASSERT_EQ(bp.acpi_rsdp_addr, 0xe0000);
	TEST_ASSERT_EQ(bp.sentinel, 0);
	TEST_ASSERT_EQ(bp.screen_info.orig_video_isVGA, 0);	/* zeroed page */
	TEST_ASSERT_EQ(bp.e820_entries, nr);
	TEST_ASSERT(!memcmp(bp.e820_table, m, nr * sizeof(m[0])), "e820 differs");
}

TEST(boot_params_honour_protocol_limits)
{
	static struct boot_params bp;
	u8 hdr[sizeof(struct setup_header)];
	struct bzimage bz = fake_bzimage(hdr, 0x020d);
	struct x86_boot_info info = {
		.ram_size = 64 * MiB,
		.cmdline_gpa = X86_CMDLINE_ADDR,
		.cmdline_len = 2047,
		.rsdp_gpa = 0xe0000,
	};

	/* acpi_rsdp_addr is 2.14+. */
	TEST_ASSERT_EQ(x86_boot_params_build(&bp, &bz, &info), 0);
	TEST_ASSERT_EQ(bp.acpi_rsdp_addr, 0);
	TEST_ASSERT_EQ(bp.hdr.ramdisk_image, 0);

	info.cmdline_len = 2048;	/* cmdline_size excludes the NUL */
	TEST_ASSERT_EQ(x86_boot_params_build(&bp, &bz, &info), -E2BIG);

	info.cmdline_len = 10;
	info.ram_size = 64 * MiB + 1;
	TEST_ASSERT_EQ(x86_boot_params_build(&bp, &bz, &info), -EINVAL);
}

TEST(boot_params_for_plain_vmlinux_and_high_addresses)
{
	static struct boot_params bp;
	struct x86_boot_info info = {
		.ram_size = 8 * GiB,
		.cmdline_gpa = 0x123456789ULL,
		.cmdline_len = 5000,
		.initrd_gpa = 0x180000000ULL,
		.initrd_size = 0x100000000ULL + 0x1000,
		.rsdp_gpa = 0xe0000,
	};

	TEST_ASSERT_EQ(x86_boot_params_build(&bp, NULL, &info), 0);
	TEST_ASSERT_EQ(bp.hdr.boot_flag, 0xaa55);
	TEST_ASSERT_EQ(bp.hdr.header, 0x53726448);
	TEST_ASSERT_EQ(bp.hdr.type_of_loader, 0xff);
	TEST_ASSERT_EQ(bp.acpi_rsdp_addr, 0xe0000);
	TEST_ASSERT_EQ(bp.hdr.cmd_line_ptr, 0x23456789);
	TEST_ASSERT_EQ(bp.ext_cmd_line_ptr, 1);
	TEST_ASSERT_EQ(bp.hdr.ramdisk_image, 0x80000000);
	TEST_ASSERT_EQ(bp.ext_ramdisk_image, 1);
	TEST_ASSERT_EQ(bp.hdr.ramdisk_size, 0x1000);
	TEST_ASSERT_EQ(bp.ext_ramdisk_size, 1);
	TEST_ASSERT_EQ(bp.e820_entries, 5);
}

TEST(initrd_goes_high_and_page_aligned)
{
	const char *why = NULL;
	u64 gpa = 0;

	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 10 * MiB + 123, 0x7fffffff, 0x3000000,
					&gpa, &why), 0);
	TEST_ASSERT_EQ(gpa % PAGE, 0);
	TEST_ASSERT(gpa + 10 * MiB + 123 <= 64 * MiB, "end 0x%llx",
		    (unsigned long long)(gpa + 10 * MiB + 123));
	TEST_ASSERT_EQ(gpa, ALIGN_DOWN(64 * MiB - 10 * MiB - 123, PAGE));

	/* Above the hole there is more RAM, but the initrd stays low. */
	TEST_ASSERT_EQ(x86_initrd_place(5 * GiB, 100 * MiB, 0xffffffff, 0x3000000, &gpa, &why), 0);
	TEST_ASSERT_EQ(gpa + 100 * MiB, X86_MMIO_HOLE_START);

	/* Exactly fits between the kernel and the end of RAM. */
	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 32 * MiB, 0x7fffffff, 32 * MiB, &gpa, &why), 0);
	TEST_ASSERT_EQ(gpa, 32 * MiB);
}

TEST(initrd_respects_initrd_addr_max)
{
	const char *why = NULL;
	u64 gpa = 0;

	TEST_ASSERT_EQ(x86_initrd_place(3 * GiB, 64 * MiB, 0x37ffffff, 0x3000000, &gpa, &why), 0);
	TEST_ASSERT_EQ(gpa, 0x38000000 - 64 * MiB);
	/* An unaligned limit: the whole initrd must stay at or below it. */
	TEST_ASSERT_EQ(x86_initrd_place(3 * GiB, 0x1800, 0x37ffefff, 0, &gpa, &why), 0);
	TEST_ASSERT(gpa % PAGE == 0 && gpa + 0x1800 <= 0x37fff000, "gpa 0x%llx",
		    (unsigned long long)gpa);
}

TEST(initrd_too_big_is_refused_with_sizes)
{
	const char *why = NULL;
	u64 gpa = 0x1234;

	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 100 * MiB, 0x7fffffff, 0x3000000, &gpa, &why),
		       -E2BIG);
	TEST_ASSERT(!strcmp(why, "initrd (100 MiB) does not fit in guest memory (64 MiB)"),
		    "why: %s", why);
	TEST_ASSERT_EQ(gpa, 0x1234);
	/* Fits in RAM, but not above the kernel. */
	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 40 * MiB, 0x7fffffff, 0x3000001, &gpa, &why),
		       -E2BIG);
	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 0, 0x7fffffff, 0, &gpa, &why), -EINVAL);
	TEST_ASSERT_EQ(x86_initrd_place(64 * MiB, 1, 0x7fffffff, UINT64_MAX, &gpa, &why),
		       -EINVAL);
}

TEST(pvh_start_info_layout)
{
	u8 buf[X86_BOOT_PARAMS_ADDR - X86_PVH_START_INFO_ADDR];
	struct boot_e820_entry m[X86_E820_MAX];
	struct x86_boot_info info = {
		.ram_size = 5 * GiB,
		.cmdline_gpa = X86_CMDLINE_ADDR,
		.cmdline_len = 20,
		.initrd_gpa = 0xb0000000,
		.initrd_size = 12345,
		.rsdp_gpa = 0xe0000,
	};
	struct hvm_start_info *si = (void *)buf;
	struct hvm_modlist_entry *mod;
	struct hvm_memmap_table_entry *mm;
	int used, nr = x86_e820_build(info.ram_size, m, X86_E820_MAX);

	memset(buf, 0xee, sizeof(buf));
	used = x86_pvh_start_info_build(buf, sizeof(buf), X86_PVH_START_INFO_ADDR, &info);
	TEST_ASSERT_EQ(used, 56 + 32 + nr * 24);
	TEST_ASSERT_EQ(si->magic, 0x336ec578);
	TEST_ASSERT_EQ(si->version, 1);
	TEST_ASSERT_EQ(si->flags, 0);
	TEST_ASSERT_EQ(si->cmdline_paddr, X86_CMDLINE_ADDR);
	TEST_ASSERT_EQ(si->rsdp_paddr, 0xe0000);
	TEST_ASSERT_EQ(si->nr_modules, 1);
	TEST_ASSERT_EQ(si->modlist_paddr, X86_PVH_START_INFO_ADDR + 56);
	TEST_ASSERT_EQ(si->memmap_paddr, X86_PVH_START_INFO_ADDR + 56 + 32);
	TEST_ASSERT_EQ(si->memmap_entries, (u32)nr);
	TEST_ASSERT_EQ(si->reserved, 0);
	mod = (void *)(buf + 56);
	TEST_ASSERT(mod->paddr == 0xb0000000 && mod->size == 12345 && !mod->cmdline_paddr &&
		    !mod->reserved, "module entry");
	mm = (void *)(buf + 56 + 32);
	for (int i = 0; i < nr; i++)
		TEST_ASSERT(mm[i].addr == m[i].addr && mm[i].size == m[i].size &&
			    mm[i].type == m[i].type && !mm[i].reserved, "memmap %d", i);
	/* The PVH memmap reserves the ECAM window too (5 GiB: entry 3). */
	TEST_ASSERT(nr == 5 && mm[3].addr == X86_PCI_ECAM_BASE && mm[3].size == PCI_ECAM_SIZE &&
		    mm[3].type == X86_E820_RESERVED, "PVH memmap ECAM");
	TEST_ASSERT_EQ(buf[used], 0xee);

	info.initrd_size = 0;
	info.initrd_gpa = 0;
	used = x86_pvh_start_info_build(buf, sizeof(buf), X86_PVH_START_INFO_ADDR, &info);
	TEST_ASSERT_EQ(used, 56 + nr * 24);
	TEST_ASSERT(si->nr_modules == 0 && si->modlist_paddr == 0, "no modules");
	TEST_ASSERT_EQ(si->memmap_paddr, X86_PVH_START_INFO_ADDR + 56);

	TEST_ASSERT_EQ(x86_pvh_start_info_build(buf, 56 + 24, X86_PVH_START_INFO_ADDR, &info),
		       -ENOSPC);
}
