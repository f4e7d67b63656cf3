// SPDX-License-Identifier: GPL-2.0
/* Multiboot v1 headers crafted byte by byte: found, planned, or refused with a reason. */
#include <elf.h>
#include <errno.h>

#include "hw/x86/bootparams.h"
#include "hw/x86/multiboot.h"
#include "test.h"

#define RAM	(64 * MiB)
#define LOAD	0x100000u

static u8 img[64 * 1024];

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * An a.out-kludge kernel: the header at @off, the file loaded from offset 0
 * at LOAD, @file bytes of file, bss up to @bss bytes, entry at LOAD + 0x10.
 */
static void make_aout(u32 off, u32 flags, u32 file, u32 bss)
{
	u8 *h = img + off;

	memset(img, 0x90, sizeof(img));
	put32(h, MULTIBOOT_HEADER_MAGIC);
	put32(h + 4, flags | MULTIBOOT_AOUT_KLUDGE);
	put32(h + 8, -(MULTIBOOT_HEADER_MAGIC + (flags | MULTIBOOT_AOUT_KLUDGE)));
	put32(h + 12, LOAD + off);		/* header_addr */
	put32(h + 16, LOAD);			/* load_addr */
	put32(h + 20, LOAD + file);		/* load_end_addr */
	put32(h + 24, bss ? LOAD + bss : 0);	/* bss_end_addr */
	put32(h + 28, LOAD + 0x10);		/* entry_addr */
}

/* multiboot_parse() of the first @n bytes of img fails with @err, saying @word. */
static void expect_refused(size_t n, int err, const char *word)
{
	struct multiboot_kernel mk;
	const char *why = "";

	TEST_ASSERT_EQ(multiboot_parse(img, n, RAM, &mk, &why), err);
	TEST_ASSERT(strstr(why, word), "why: %s", why);
}

TEST(multiboot_aout_kludge_is_planned_from_its_header)
{
	struct multiboot_kernel mk;
	const char *why = "";

	make_aout(0x200, MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO, 0x3000, 0x8000);
	TEST_ASSERT_EQ(multiboot_parse(img, 0x3000, RAM, &mk, &why), 0);
	TEST_ASSERT_EQ(mk.header_off, 0x200);
	TEST_ASSERT_EQ(mk.entry, LOAD + 0x10);
	TEST_ASSERT_EQ(mk.nr_segs, 1);
	TEST_ASSERT_EQ(mk.segs[0].file_off, 0);
	TEST_ASSERT_EQ(mk.segs[0].file_size, 0x3000);
	TEST_ASSERT_EQ(mk.segs[0].addr, LOAD);
	TEST_ASSERT_EQ(mk.segs[0].mem_size, 0x8000);
	TEST_ASSERT_EQ(mk.highest, LOAD + 0x8000);
}

TEST(multiboot_no_header_is_not_multiboot)
{
	struct multiboot_kernel mk;
	const char *why = "";

	memset(img, 0, sizeof(img));
	TEST_ASSERT_EQ(multiboot_parse(img, sizeof(img), RAM, &mk, &why), -ENOENT);
	/* Only the first 8 KiB count (spec 3.1.1). */
	make_aout(0, 0, 0x3000, 0);
	memmove(img + 8192, img, 32);
	memset(img, 0, 32);
	TEST_ASSERT_EQ(multiboot_parse(img, sizeof(img), RAM, &mk, &why), -ENOENT);
}

TEST(multiboot_truncated_header_is_refused)
{
	/* The magic in the file's last 8 bytes: no room for the checksum. */
	make_aout(0x1000, 0, 0x1008, 0);
	expect_refused(0x1008, -EINVAL, "truncated");
	/* Flag 16 but the file ends inside the address fields. */
	make_aout(0x1000, 0, 0x1010, 0);
	expect_refused(0x1010, -EINVAL, "truncated");
	/* load_end_addr past the end of the file. */
	make_aout(0x100, 0, 0x5000, 0);
	expect_refused(0x3000, -EINVAL, "truncated");
}

TEST(multiboot_bad_checksum_is_refused)
{
	make_aout(0x40, 0, 0x3000, 0);
	put32(img + 0x48, get32(img + 0x48) + 1);
	expect_refused(0x3000, -EINVAL, "0x40 has a bad checksum");
}

TEST(multiboot_unknown_requirement_is_refused)
{
	make_aout(0x40, 1u << 5, 0x3000, 0);
	expect_refused(0x3000, -EINVAL, "0x20");
}

TEST(multiboot_load_address_outside_ram_is_refused)
{
	struct multiboot_kernel mk;
	const char *why = "";

	make_aout(0x40, 0, 0x3000, 0);
	/* Move the whole kernel to 256 MiB: beyond 64 MiB of RAM. */
	put32(img + 0x40 + 12, 0x10000040);
	put32(img + 0x40 + 16, 0x10000000);
	put32(img + 0x40 + 20, 0x10003000);
	put32(img + 0x40 + 28, 0x10000010);
	put32(img + 0x40 + 8, -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_AOUT_KLUDGE));
	expect_refused(0x3000, -ERANGE, "outside guest RAM");
	/* Below 1 MiB is vmm's (tables, the command line). */
	put32(img + 0x40 + 12, 0x8040);
	put32(img + 0x40 + 16, 0x8000);
	put32(img + 0x40 + 20, 0xb000);
	put32(img + 0x40 + 28, 0x8010);
	TEST_ASSERT_EQ(multiboot_parse(img, 0x3000, RAM, &mk, &why), -ERANGE);
}

TEST(multiboot_image_larger_than_ram_is_refused)
{
	make_aout(0x40, 0, 0x3000, 0);
	put32(img + 0x40 + 24, LOAD + 128 * MiB);	/* a 128 MiB bss */
	expect_refused(0x3000, -E2BIG, "more than");
}

TEST(multiboot_entry_outside_the_kernel_is_refused)
{
	make_aout(0x40, 0, 0x3000, 0);
	put32(img + 0x40 + 28, LOAD + 0x3000);
	expect_refused(0x3000, -EINVAL, "entry");
}

/* An ELF32 kernel: one PT_LOAD at LOAD from file offset 0x1000, the header in it. */
static size_t make_elf32(u32 entry, u32 paddr, u32 vaddr)
{
	Elf32_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = entry, .e_phoff = sizeof(Elf32_Ehdr),
		.e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
	};
	Elf32_Phdr ph = {
		.p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = vaddr, .p_paddr = paddr,
		.p_filesz = 0x1000, .p_memsz = 0x4000, .p_flags = PF_R | PF_X,
	};

	memset(img, 0, sizeof(img));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	put32(img + 0x1000, MULTIBOOT_HEADER_MAGIC);
	put32(img + 0x1004, MULTIBOOT_MEMORY_INFO);
	put32(img + 0x1008, -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_MEMORY_INFO));
	return 0x2000;
}

TEST(multiboot_elf32_segments_go_to_their_physical_addresses)
{
	struct multiboot_kernel mk;
	const char *why = "";
	size_t n = make_elf32(LOAD + 0x20, LOAD, LOAD);

	TEST_ASSERT_EQ(multiboot_parse(img, n, RAM, &mk, &why), 0);
	TEST_ASSERT_EQ(mk.nr_segs, 1);
	TEST_ASSERT_EQ(mk.segs[0].file_off, 0x1000);
	TEST_ASSERT_EQ(mk.segs[0].addr, LOAD);
	TEST_ASSERT_EQ(mk.segs[0].mem_size, 0x4000);
	TEST_ASSERT_EQ(mk.entry, LOAD + 0x20);
	/* A higher-half kernel: the virtual entry is translated. */
	n = make_elf32(0xc0100020, LOAD, 0xc0100000);
	TEST_ASSERT_EQ(multiboot_parse(img, n, RAM, &mk, &why), 0);
	TEST_ASSERT_EQ(mk.entry, LOAD + 0x20);
	/* A segment that passes the end of the file. */
	n = make_elf32(LOAD + 0x20, LOAD, LOAD);
	expect_refused(0x1800, -EINVAL, "truncated");
}

TEST(multiboot_header_without_addresses_needs_elf)
{
	memset(img, 0, sizeof(img));
	put32(img + 0x10, MULTIBOOT_HEADER_MAGIC);
	put32(img + 0x18, -MULTIBOOT_HEADER_MAGIC);
	expect_refused(0x1000, -EINVAL, "not ELF");
}

TEST(multiboot_info_has_memory_cmdline_module_map_and_name)
{
	static u8 buf[8192];
	const u32 gpa = 0x6000;
	struct x86_boot_info info = {
		.ram_size = RAM, .cmdline_gpa = 0x20000, .cmdline_len = 3,
		.initrd_gpa = 0x3000000, .initrd_size = 1234,
	};
	u32 flags, mmap, mmap_len, mod;
	u64 ram = 0;
	int n = multiboot_info_build(buf, sizeof(buf), gpa, &info, "/tmp/mod.bin");

	TEST_ASSERT(n > 0, "n=%d", n);
	flags = get32(buf);
	TEST_ASSERT_EQ(flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
		       MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER);
	TEST_ASSERT_EQ(get32(buf + 4), 639);			/* below the EBDA */
	TEST_ASSERT_EQ(get32(buf + 8), (RAM - MiB) / KiB);	/* 1 MiB to the end */
	TEST_ASSERT_EQ(get32(buf + 16), 0x20000);
	TEST_ASSERT_EQ(get32(buf + 20), 1);
	mod = get32(buf + 24) - gpa;
	TEST_ASSERT_EQ(get32(buf + mod), 0x3000000);
	TEST_ASSERT_EQ(get32(buf + mod + 4), 0x3000000 + 1234);
	TEST_ASSERT(!strcmp((char *)buf + get32(buf + mod + 8) - gpa, "/tmp/mod.bin"), "string");
	TEST_ASSERT(!strcmp((char *)buf + get32(buf + 64) - gpa, "vmm"), "loader name");
	mmap_len = get32(buf + 44);
	mmap = get32(buf + 48) - gpa;
	TEST_ASSERT(mmap_len && mmap_len % 24 == 0, "mmap_length %u", mmap_len);
	for (u32 o = mmap; o < mmap + mmap_len; o += 24) {
		u64 len;

		TEST_ASSERT_EQ(get32(buf + o), 20);
		memcpy(&len, buf + o + 12, 8);
		if (get32(buf + o + 20) == 1)
			ram += len;
	}
	TEST_ASSERT_EQ(ram, RAM - (MiB - 0x9fc00));	/* all but [EBDA, 1 MiB) */
	TEST_ASSERT((u32)n <= sizeof(buf) && n > (int)(mmap + mmap_len), "n=%d", n);
	/* Without an initrd: no module, no MODS flag. */
	info.initrd_size = 0;
	TEST_ASSERT(multiboot_info_build(buf, sizeof(buf), gpa, &info, NULL) > 0, "no module");
	TEST_ASSERT(!(get32(buf) & MULTIBOOT_INFO_MODS) && !get32(buf + 20), "mods");
	TEST_ASSERT_EQ(multiboot_info_build(buf, 100, gpa, &info, NULL), -ENOSPC);
}
