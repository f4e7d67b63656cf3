// SPDX-License-Identifier: GPL-2.0
/*
 * Entered through multiboot v1 (head.S multiboot_entry): was it done per the
 * Multiboot Specification 3.2/3.3? The magic, the information's flags, the
 * memory fields and map against expect_mem, the loader name, and the module
 * against expect_mod (its whole contents).
 */
#include "guest.h"

#define MBI_MEMORY	(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MODS	(1u << 3)
#define MBI_MMAP	(1u << 6)
#define MBI_LOADER	(1u << 9)

static u32 rd32(u64 a) { return *(const u32 *)a; }
static u64 rd64(u64 a) { return *(const u64 *)a; }

/* The map: sorted, disjoint, its RAM within 1 MiB of what was asked for. */
static bool mmap_ok(const char *name, u64 map, u32 len, u64 want)
{
	u64 ram = 0, prev_end = 0;

	for (u64 p = map; p < map + len; p += rd32(p) + 4) {
		u64 base = rd64(p + 4), size = rd64(p + 12);
		u32 type = rd32(p + 20);

		printf("MULTIBOOT mmap 0x%016llx-0x%016llx type=%u\n", base, base + size - 1, type);
		if (rd32(p) < 20 || base < prev_end) {
			test_fail(name, "mmap entry at 0x%llx: size=%u base=0x%llx overlaps or unsorted",
				  p, rd32(p), base);
			return false;
		}
		prev_end = base + size;
		if (type == 1)
			ram += size;
	}
	if (want && (ram > want << 20 || ram + (1ULL << 20) < want << 20)) {
		test_fail(name, "mmap RAM %llu KiB, expected about %llu MiB", ram >> 10, want);
		return false;
	}
	return true;
}

void test_multiboot(const char *name)
{
	u64 info = mb_info, want = expect_mem_mib(), low = want < 3072 ? want : 3072;
	const u32 need = MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER;
	char mod[128];
	u32 flags, lower, upper;
	const char *loader;

	if (mb_magic != MB_BOOT_MAGIC)
		return test_fail(name, "eax=0x%x at entry, expected 0x%x", mb_magic, MB_BOOT_MAGIC);
	flags = rd32(info);
	if ((flags & need) != need)
		return test_fail(name, "info flags 0x%x lack 0x%x", flags, need & ~flags);
	lower = rd32(info + 4);
	upper = rd32(info + 8);
	if (!lower || lower > 640)
		return test_fail(name, "mem_lower=%u KiB", lower);
	if (want && upper != ((low << 20) - (1ULL << 20)) >> 10)
		return test_fail(name, "mem_upper=%u KiB, expected %llu", upper,
				 ((low << 20) - (1ULL << 20)) >> 10);
	if (!mmap_ok(name, rd32(info + 48), rd32(info + 44), want))
		return;
	loader = (const char *)(u64)rd32(info + 64);
	if (strcmp(loader, "vmm"))
		return test_fail(name, "boot_loader_name '%s'", loader);
	if (cmdline_get("expect_mod", mod, sizeof(mod))) {
		u64 m = rd32(info + 24), start, end;

		if (!(flags & MBI_MODS) || rd32(info + 20) != 1)
			return test_fail(name, "flags 0x%x mods_count=%u, expected one module",
					 flags, rd32(info + 20));
		start = rd32(m);
		end = rd32(m + 4);
		printf("MULTIBOOT module 0x%llx-0x%llx string=%s\n", start, end,
		       (const char *)(u64)rd32(m + 8));
		if (start & 0xfff)
			return test_fail(name, "module at 0x%llx is not page aligned", start);
		if (end - start != strlen(mod) || memcmp((const void *)start, mod, end - start))
			return test_fail(name, "module holds %llu bytes, not '%s'", end - start, mod);
	}
	test_pass(name, "flags=0x%x mem_lower=%u mem_upper=%u loader=%s", flags, lower, upper,
		  loader);
}
