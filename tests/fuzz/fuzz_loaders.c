// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel loaders, on the files a user hands vmm
 * (a kernel from anywhere is untrusted input too). The input's first byte
 * picks a loader, the rest is the file:
 *
 *   0  bzImage: bzimage_parse(), then, as hw/x86/boot.c does, its payload
 *      unpacked on the host and the ELF inside loaded into guest RAM
 *   1  ELF vmlinux: elf_load() into guest RAM
 *   2  a payload alone (gzip, xz, lz4, zstd, or a plain ELF): unpacked,
 *      then loaded
 *   3  arm64 Image (or Image.gz, unpacked first): arm64_image_parse()
 *
 * Append new loaders at the end of loaders[] (multiboot, hw/x86/multiboot.c,
 * goes there as 4, its source on fuzz_loaders' line in run.sh, a seed or
 * two starting with byte 4 in seeds/fuzz_loaders), so the seeds keep theirs.
 *
 * Unpacked output is bounded by UNPACK_MAX, not the 512 MiB vmm allows, so a
 * small compression bomb costs milliseconds, not seconds, and libFuzzer's
 * memory limit means a leak or a real runaway.
 *
 * Oracles: whatever a parser describes lies inside the file it was given;
 * unpacking returns an ELF of at most UNPACK_MAX bytes or an error with a
 * reason; a loaded ELF lies at or above 1 MiB inside RAM, its entry inside
 * what was loaded; every failure says why.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "hw/arm64/image.h"
#include "hw/x86/bzimage.h"
#include "hw/x86/elf.h"
#include "hw/x86/layout.h"
#include "util/payload.h"
#include "kvm/kvm.h"
#include "fuzz_vm.h"

#define UNPACK_MAX	(16 * MiB)
#define RAM_LOW		(4 * MiB)	/* guest RAM: 4 MiB at 0, 1 MiB at 4 GiB */
#define RAM_HIGH_GPA	(4ULL << 30)
#define RAM_HIGH	(1 * MiB)

static struct vm vm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	fuzz_vm_init(&vm, calloc(1, RAM_LOW), RAM_LOW);
	vm.regions[1] = (struct mem_region){ .gpa = RAM_HIGH_GPA, .size = RAM_HIGH,
					     .hva = calloc(1, RAM_HIGH) };
	vm.nr_regions = 2;
	vm.ram_size = RAM_LOW + RAM_HIGH;
	if (!vm.regions[0].hva || !vm.regions[1].hva)
		abort();
	return 0;
}

static bool inside(const void *p, size_t len, const u8 *file, size_t size)
{
	const u8 *b = p;

	return b >= file && len <= size && (size_t)(b - file) <= size - len;
}

static bool in_ram(u64 gpa)
{
	for (unsigned int i = 0; i < vm.nr_regions; i++)
		if (gpa - vm.regions[i].gpa < vm.regions[i].size)
			return true;
	return false;
}

static void load_elf(const u8 *elf, size_t size)
{
	struct elf_kernel ek;
	const char *why = NULL;
	int r = elf_load(&vm, elf, size, &ek, &why);

	fuzz_check(r <= 0 && (!r || why), "elf_load: %d without a reason", r);
	if (r)
		return;
	fuzz_check(ek.lowest >= X86_HIMEM_START && ek.lowest < ek.highest &&
		   in_ram(ek.lowest) && in_ram(ek.highest - 1),
		   "ELF loaded at [0x%llx, 0x%llx)", (unsigned long long)ek.lowest,
		   (unsigned long long)ek.highest);
	fuzz_check(ek.entry >= ek.lowest && ek.entry < ek.highest, "ELF entry 0x%llx outside",
		   (unsigned long long)ek.entry);
}

static void unpack(const u8 *in, size_t len)
{
	const char *why = NULL;
	size_t out_len;
	u8 *out;
	int r = payload_decompress_max(in, len, UNPACK_MAX, &out, &out_len, &why);

	fuzz_check(r <= 0 && (!r || why), "payload_decompress: %d without a reason", r);
	fuzz_check(r ? !out : out && out_len >= sizeof(Elf64_Ehdr) && out_len <= UNPACK_MAX &&
		   !memcmp(out, ELFMAG, SELFMAG), "payload_decompress: %d, %zu bytes out", r,
		   out_len);
	payload_format_name(in, len);
	if (r)
		return;
	load_elf(out, out_len);
	free(out);
}

static void fuzz_bzimage(const u8 *img, size_t size)
{
	struct bzimage bz;
	const char *why = NULL;
	int r = bzimage_parse(img, size, &bz, &why);

	fuzz_check(r <= 0 && (!r || why), "bzimage_parse: %d without a reason", r);
	if (r)
		return;
	fuzz_check(inside(bz.kernel, bz.kernel_size, img, size) && bz.kernel_size &&
		   inside(bz.setup_header, bz.setup_header_len, img, size) &&
		   bz.setup_size <= size && memchr(bz.version_str, 0, sizeof(bz.version_str)),
		   "bzImage parts outside the file");
	if (!bz.payload)
		return;
	fuzz_check(inside(bz.payload, bz.payload_size, bz.kernel, bz.kernel_size),
		   "payload outside the kernel");
	unpack(bz.payload, bz.payload_size);
}

static void fuzz_elf(const u8 *img, size_t size)
{
	load_elf(img, size);
}

static void fuzz_arm64(const u8 *img, size_t size)
{
	struct arm64_image hdr;
	const char *why = NULL;
	u8 *unpacked = NULL;
	int r;

	if (arm64_is_gzip(img, size)) {
		r = arm64_gunzip(img, size, UNPACK_MAX, &unpacked, &size, &why);
		fuzz_check(r <= 0 && (!r || why) && (r || size <= UNPACK_MAX),
			   "arm64_gunzip: %d, %zu bytes", r, size);
		if (r)
			return;
		img = unpacked;
	}
	r = arm64_image_parse(img, size, &hdr, &why);
	fuzz_check(r <= 0 && (!r || why), "arm64_image_parse: %d without a reason", r);
	free(unpacked);
}

static void (*const loaders[])(const u8 *img, size_t size) = {
	fuzz_bzimage,
	fuzz_elf,
	unpack,
	fuzz_arm64,
	/* new loaders here, at the end */
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (!size)
		return 0;
	/* The file alone, in a buffer of its size: ASan sees a read past it. */
	loaders[data[0] % ARRAY_SIZE(loaders)](data + 1, size - 1);
	return 0;
}
