/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_BOOTPARAMS_H
#define VMM_HW_X86_BOOTPARAMS_H

/*
 * What the guest kernel is told at entry: the e820 map, the Linux zero page
 * (struct boot_params) and the PVH start info. All pure: they fill buffers.
 */
#include <asm/bootparam.h>

#include "util/types.h"

struct bzimage;

#define X86_E820_RAM		1
#define X86_E820_RESERVED	2
#define X86_E820_MAX		5	/* entries x86_e820_build() may write */
#define X86_LOADER_TYPE		0xff	/* boot.rst: "undefined" boot loader */
#define X86_HEAP_END_PTR	0xfe00	/* boot.rst: 64 KiB setup segment - 0x200 */

/*
 * Guest RAM is at most two memslots: [0, min(ram, 3 GiB)) and the rest from
 * 4 GiB. @ram_size must be page aligned and above 1 MiB (see x86_e820_build).
 */
void x86_ram_regions(u64 ram_size, u64 gpa[2], u64 size[2], int *n);

/*
 * The e820 map for exactly the RAM x86_ram_regions() maps: usable RAM, with
 * [EBDA, 1 MiB) reserved (EBDA/MP table, VGA window, BIOS area with ACPI
 * tables); plus, outside RAM, the PCI ECAM window (X86_PCI_ECAM_BASE,
 * PCI_ECAM_SIZE) reserved. Sorted, no overlaps. Returns the entry count, or
 * -EINVAL for a bad @ram_size, -ENOSPC if @max is too small.
 */
int x86_e820_build(u64 ram_size, struct boot_e820_entry *map, int max);

struct x86_boot_info {
	u64 ram_size;
	u64 cmdline_gpa;	/* NUL-terminated command line in guest RAM */
	u32 cmdline_len;	/* without the NUL */
	u64 initrd_gpa;		/* 0 and 0: no initrd */
	u64 initrd_size;
	u64 rsdp_gpa;		/* ACPI RSDP, 0 if none */
};

/*
 * Fill the zero page. @bz is the parsed bzImage whose setup header is copied
 * in as boot.rst requires, or NULL for a plain ELF vmlinux (a minimal header
 * is made up). Returns 0, -E2BIG if the command line exceeds the kernel's
 * cmdline_size, -EINVAL for a bad ram_size or an initrd without size.
 */
int x86_boot_params_build(struct boot_params *bp, const struct bzimage *bz,
			  const struct x86_boot_info *info);

/*
 * Choose where the initrd goes: the highest page-aligned address whose whole
 * range stays below min(low RAM end, initrd_addr_max + 1) and above
 * @kernel_end (and 1 MiB). Returns 0, or -E2BIG / -EINVAL with *@why set.
 */
int x86_initrd_place(u64 ram_size, u64 initrd_size, u32 initrd_addr_max, u64 kernel_end,
		     u64 *gpa, const char **why);

/*
 * The PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h), version 1:
 * the start info, then its module list and memory map.
 */
#define HVM_START_MAGIC		0x336ec578
#define HVM_START_VERSION	1

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	/* version 1 */
	u64 memmap_paddr;
	u32 memmap_entries;
	u32 reserved;
};

struct hvm_modlist_entry {
	u64 paddr;
	u64 size;
	u64 cmdline_paddr;
	u64 reserved;
};

struct hvm_memmap_table_entry {
	u64 addr;
	u64 size;
	u32 type;		/* e820 types */
	u32 reserved;
};

/*
 * Build the PVH start info into @buf (@size bytes, which the guest sees at
 * @gpa, normally X86_PVH_START_INFO_ADDR): hvm_start_info, one module entry
 * for the initrd if any, then the memory map (the same e820). Returns the
 * bytes used, or -ENOSPC / -EINVAL.
 */
int x86_pvh_start_info_build(void *buf, size_t size, u64 gpa,
			     const struct x86_boot_info *info);

#endif
