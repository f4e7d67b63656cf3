// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot version 1 kernels (the Multiboot Specification 0.6.96, "3 The
 * exact definitions"): an ELF file, or any file whose header carries the
 * load addresses itself (the "a.out kludge", flag 16). Everything is
 * checked here before a byte is copied, so a bad kernel leaves RAM alone.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "hw/x86/bootparams.h"
#include "hw/x86/layout.h"
#include "hw/x86/multiboot.h"
#include "util/why.h"

/* Spec 3.1.1: magic, flags, checksum; with flag 16 five address fields. */
#define MB_HDR_SIZE		12
#define MB_HDR_AOUT_SIZE	32
/* The requirement bits (0-15) vmm meets; video (2) is accepted, never given. */
#define MB_KNOWN_REQS		(MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | \
				 MULTIBOOT_VIDEO_MODE)

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static void wr32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static bool in_file(u64 off, u64 len, size_t size)
{
	return off <= size && len <= size - off;
}

/* The first header with a good checksum; else why the first one is bad. */
static int mb_find(const u8 *img, size_t size, u32 *off, const char **why)
{
	size_t end = MIN(size, (size_t)MULTIBOOT_SEARCH);
	int err = -ENOENT;

	for (size_t o = 0; o + 4 <= end; o += 4) {
		if (rd32(img + o) != MULTIBOOT_HEADER_MAGIC)
			continue;
		if (!in_file(o, MB_HDR_SIZE, size)) {
			if (err == -ENOENT)
				err = why_fail(why, -EINVAL,
					       "multiboot header at 0x%zx is truncated", o);
			continue;
		}
		if ((u32)(rd32(img + o) + rd32(img + o + 4) + rd32(img + o + 8))) {
			if (err == -ENOENT)
				err = why_fail(why, -EINVAL,
					       "multiboot header at 0x%zx has a bad checksum", o);
			continue;
		}
		*off = (u32)o;
		return 0;
	}
	return err;
}

static int mb_add_seg(struct multiboot_kernel *mk, u64 file_off, u64 file_size, u64 addr,
		      u64 mem_size, u64 ram_end, const char **why)
{
	u64 end;

	if (mk->nr_segs == MULTIBOOT_MAX_SEGS)
		return why_fail(why, -EINVAL, "more than %d segments to load",
				MULTIBOOT_MAX_SEGS);
	if (file_size > mem_size || __builtin_add_overflow(addr, mem_size, &end) ||
	    end > 1ULL << 32)
		return why_fail(why, -EINVAL, "segment at 0x%llx of 0x%llx bytes is bogus",
				(unsigned long long)addr, (unsigned long long)mem_size);
	if (mem_size > ram_end - X86_HIMEM_START)
		return why_fail(why, -E2BIG,
				"kernel needs %llu MiB from 0x%llx, more than the guest's RAM "
				"(%llu MiB below 4 GiB)", (unsigned long long)(mem_size >> 20),
				(unsigned long long)addr, (unsigned long long)(ram_end >> 20));
	if (addr < X86_HIMEM_START || end > ram_end)
		return why_fail(why, -ERANGE,
				"load address range [0x%llx, 0x%llx) is outside guest RAM "
				"[0x%llx, 0x%llx)", (unsigned long long)addr,
				(unsigned long long)end, (unsigned long long)X86_HIMEM_START,
				(unsigned long long)ram_end);
	mk->segs[mk->nr_segs++] = (struct multiboot_seg){ file_off, file_size, addr, mem_size };
	mk->lowest = MIN(mk->lowest, addr);
	mk->highest = MAX(mk->highest, end);
	return 0;
}

/* Flag 16: the header says where the file's bytes go (spec 3.1.3). */
static int mb_plan_aout(const u8 *img, size_t size, u64 ram_end, struct multiboot_kernel *mk,
			const char **why)
{
	const u8 *h = img + mk->header_off;
	u32 header_addr, load_addr, load_end, bss_end;
	u64 file_off, file_size, mem_size;

	if (!in_file(mk->header_off, MB_HDR_AOUT_SIZE, size))
		return why_fail(why, -EINVAL, "multiboot header at 0x%x is truncated "
				"(its address fields pass the end of the file)", mk->header_off);
	header_addr = rd32(h + 12);
	load_addr = rd32(h + 16);
	load_end = rd32(h + 20);
	bss_end = rd32(h + 24);
	mk->entry = rd32(h + 28);
	if (load_addr > header_addr || header_addr - load_addr > mk->header_off)
		return why_fail(why, -EINVAL, "multiboot load_addr 0x%x does not fit "
				"header_addr 0x%x at file offset 0x%x", load_addr, header_addr,
				mk->header_off);
	file_off = mk->header_off - (header_addr - load_addr);
	file_size = load_end ? (u64)load_end - load_addr : size - file_off;
	if (load_end && load_end < load_addr)
		return why_fail(why, -EINVAL, "multiboot load_end_addr 0x%x is below "
				"load_addr 0x%x", load_end, load_addr);
	if (!in_file(file_off, file_size, size))
		return why_fail(why, -EINVAL, "truncated: the file ends before "
				"load_end_addr 0x%x", load_end);
	mem_size = file_size;
	if (bss_end) {
		if (bss_end < load_addr + file_size)
			return why_fail(why, -EINVAL, "multiboot bss_end_addr 0x%x is below "
					"the loaded end 0x%llx", bss_end,
					(unsigned long long)(load_addr + file_size));
		mem_size = (u64)bss_end - load_addr;
	}
	if (mk->entry < load_addr || mk->entry - load_addr >= mem_size)
		return why_fail(why, -EINVAL, "multiboot entry_addr 0x%x is not in the "
				"loaded range", mk->entry);
	return mb_add_seg(mk, file_off, file_size, load_addr, mem_size, ram_end, why);
}

/* One ELF program header, as 64-bit fields whatever the class. */
static void mb_elf_phdr(const u8 *img, bool is64, u64 phoff, unsigned int i, Elf64_Phdr *ph)
{
	if (is64) {
		memcpy(ph, img + phoff + (u64)i * sizeof(*ph), sizeof(*ph));
	} else {
		Elf32_Phdr p;

		memcpy(&p, img + phoff + (u64)i * sizeof(p), sizeof(p));
		*ph = (Elf64_Phdr){ .p_type = p.p_type, .p_offset = p.p_offset,
				    .p_vaddr = p.p_vaddr, .p_paddr = p.p_paddr,
				    .p_filesz = p.p_filesz, .p_memsz = p.p_memsz };
	}
}

/*
 * ELF32 (i386) or ELF64 (x86-64): PT_LOAD segments at their physical
 * addresses. A higher-half kernel's virtual e_entry is translated through
 * the segment that holds it.
 */
static int mb_plan_elf(const u8 *img, size_t size, u64 ram_end, struct multiboot_kernel *mk,
		       const char **why)
{
	bool is64 = size >= EI_NIDENT && img[EI_CLASS] == ELFCLASS64;
	u64 phoff, entry, phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned int phnum, machine;
	bool entry_ok = false;
	Elf64_Phdr ph;
	int r;

	if (size < sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG))
		return why_fail(why, -EINVAL, "the multiboot header has no address fields "
				"(flag 16) and the file is not ELF");
	if (img[EI_DATA] != ELFDATA2LSB || (is64 && size < sizeof(Elf64_Ehdr)) ||
	    (!is64 && img[EI_CLASS] != ELFCLASS32))
		return why_fail(why, -EINVAL, "multiboot ELF is not little-endian ELF32/ELF64");
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, img, sizeof(eh));
		phoff = eh.e_phoff; phnum = eh.e_phnum; entry = eh.e_entry;
		machine = eh.e_machine;
		r = eh.e_phentsize != phsize;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, img, sizeof(eh));
		phoff = eh.e_phoff; phnum = eh.e_phnum; entry = eh.e_entry;
		machine = eh.e_machine;
		r = eh.e_phentsize != phsize;
	}
	if (machine != EM_386 && machine != EM_X86_64)
		return why_fail(why, -EINVAL, "multiboot ELF machine %u is not x86", machine);
	if (r || !phnum || !in_file(phoff, phnum * phsize, size))
		return why_fail(why, -EINVAL, "multiboot ELF program headers are bad "
				"or outside the file");
	for (unsigned int i = 0; i < phnum; i++) {
		mb_elf_phdr(img, is64, phoff, i, &ph);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (!in_file(ph.p_offset, ph.p_filesz, size))
			return why_fail(why, -EINVAL, "truncated: ELF segment %u passes the "
					"end of the file", i);
		r = mb_add_seg(mk, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz, ram_end,
			       why);
		if (r < 0)
			return r;
		if (!entry_ok && entry - ph.p_paddr < ph.p_memsz) {
			mk->entry = (u32)entry;
			entry_ok = true;
		} else if (!entry_ok && entry - ph.p_vaddr < ph.p_memsz) {
			mk->entry = (u32)(ph.p_paddr + (entry - ph.p_vaddr));
			entry_ok = true;
		}
	}
	if (!mk->nr_segs)
		return why_fail(why, -EINVAL, "multiboot ELF has nothing to load");
	if (!entry_ok)
		return why_fail(why, -EINVAL, "multiboot ELF entry 0x%llx is not in a loaded "
				"segment", (unsigned long long)entry);
	return 0;
}

int multiboot_parse(const u8 *img, size_t size, u64 ram_end, struct multiboot_kernel *mk,
		    const char **why)
{
	int r;

	memset(mk, 0, sizeof(*mk));
	mk->lowest = UINT64_MAX;
	r = mb_find(img, size, &mk->header_off, why);
	if (r < 0)
		return r;
	mk->flags = rd32(img + mk->header_off + 4);
	if (mk->flags & 0xffff & ~MB_KNOWN_REQS)
		return why_fail(why, -EINVAL, "the multiboot kernel requires features vmm "
				"does not have (flags 0x%x)", mk->flags & 0xffff & ~MB_KNOWN_REQS);
	ram_end = MIN(ram_end, X86_MMIO_HOLE_START);
	if (mk->flags & MULTIBOOT_AOUT_KLUDGE)
		r = mb_plan_aout(img, size, ram_end, mk, why);
	else
		r = mb_plan_elf(img, size, ram_end, mk, why);
	if (r == 0 && mk->highest - mk->lowest > ram_end - X86_HIMEM_START)
		r = why_fail(why, -E2BIG, "kernel spans %llu MiB, more than the guest's RAM",
			     (unsigned long long)((mk->highest - mk->lowest) >> 20));
	return r;
}

/* Spec 3.3, the fields vmm fills (offsets into the information structure). */
#define MBI_FLAGS	0
#define MBI_MEM_LOWER	4
#define MBI_MEM_UPPER	8
#define MBI_CMDLINE	16
#define MBI_MODS_COUNT	20
#define MBI_MODS_ADDR	24
#define MBI_MMAP_LENGTH	44
#define MBI_MMAP_ADDR	48
#define MBI_LOADER_NAME	64
#define MBI_SIZE	120	/* up to and with the framebuffer fields, all zero */
#define MB_MOD_SIZE	16	/* mod_start, mod_end, string, reserved */
#define MB_MMAP_SIZE	24	/* size (20), base_addr, length, type */

static const char mb_loader_name[] = "vmm";

int multiboot_info_build(void *buf, size_t size, u64 gpa, const struct x86_boot_info *info,
			 const char *mod_string)
{
	struct boot_e820_entry e820[X86_E820_MAX];
	u32 flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
		    MULTIBOOT_INFO_LOADER;
	size_t nr_mods = info->initrd_size ? 1 : 0, mod_len = mod_string ? strlen(mod_string) : 0;
	size_t mods = MBI_SIZE, mmap, name, mstr, need;
	u32 lower = 0, upper = 0;
	u8 *b = buf;
	int nr;

	nr = x86_e820_build(info->ram_size, e820, X86_E820_MAX);
	if (nr < 0)
		return nr;
	mmap = mods + nr_mods * MB_MOD_SIZE;
	name = mmap + (size_t)nr * MB_MMAP_SIZE;
	mstr = name + sizeof(mb_loader_name);
	need = mstr + mod_len + 1;
	if (size < need)
		return -ENOSPC;
	if (gpa + need > 1ULL << 32 || info->cmdline_gpa >= 1ULL << 32 ||
	    info->initrd_gpa + info->initrd_size > 1ULL << 32)
		return -EINVAL;
	memset(b, 0, need);

	/* mem_lower: RAM from 0; mem_upper: from 1 MiB to the first hole (KiB). */
	for (int i = 0; i < nr; i++) {
		u8 *e = b + mmap + (size_t)i * MB_MMAP_SIZE;

		wr32(e, MB_MMAP_SIZE - 4);
		memcpy(e + 4, &e820[i].addr, 8);
		memcpy(e + 12, &e820[i].size, 8);
		wr32(e + 20, e820[i].type);
		if (e820[i].type != X86_E820_RAM)
			continue;
		if (e820[i].addr == 0)
			lower = (u32)MIN(e820[i].size, 640ULL * KiB) / KiB;
		if (e820[i].addr == X86_HIMEM_START)
			upper = (u32)MIN(e820[i].size / KiB, (u64)UINT32_MAX);
	}
	if (nr_mods) {
		u8 *m = b + mods;

		wr32(m, (u32)info->initrd_gpa);
		wr32(m + 4, (u32)(info->initrd_gpa + info->initrd_size));
		wr32(m + 8, (u32)(gpa + mstr));
		flags |= MULTIBOOT_INFO_MODS;
	}
	memcpy(b + name, mb_loader_name, sizeof(mb_loader_name));
	if (mod_len)
		memcpy(b + mstr, mod_string, mod_len);

	wr32(b + MBI_FLAGS, flags);
	wr32(b + MBI_MEM_LOWER, lower);
	wr32(b + MBI_MEM_UPPER, upper);
	wr32(b + MBI_CMDLINE, (u32)info->cmdline_gpa);
	wr32(b + MBI_MODS_COUNT, (u32)nr_mods);
	wr32(b + MBI_MODS_ADDR, nr_mods ? (u32)(gpa + mods) : 0);
	wr32(b + MBI_MMAP_LENGTH, (u32)(nr * MB_MMAP_SIZE));
	wr32(b + MBI_MMAP_ADDR, (u32)(gpa + mmap));
	wr32(b + MBI_LOADER_NAME, (u32)(gpa + name));
	return (int)need;
}
