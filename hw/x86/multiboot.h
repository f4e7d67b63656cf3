/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_MULTIBOOT_H
#define VMM_HW_X86_MULTIBOOT_H

/*
 * Multiboot version 1 (the Multiboot Specification 0.6.96): finding the
 * header in a kernel file, planning where its bytes go, and the information
 * structure it is entered with. Pure: no KVM, no guest memory.
 */
#include "util/types.h"

struct x86_boot_info;

#define MULTIBOOT_HEADER_MAGIC	0x1badb002
#define MULTIBOOT_BOOT_MAGIC	0x2badb002	/* in eax at entry */
#define MULTIBOOT_SEARCH	8192		/* the header is in the first 8 KiB */
#define MULTIBOOT_MAX_SEGS	16

/* Header flags (spec 3.1.2): 0-15 are requirements a loader must meet. */
#define MULTIBOOT_PAGE_ALIGN	(1u << 0)	/* modules page aligned */
#define MULTIBOOT_MEMORY_INFO	(1u << 1)	/* mem_* and the memory map */
#define MULTIBOOT_VIDEO_MODE	(1u << 2)	/* a preferred video mode */
#define MULTIBOOT_AOUT_KLUDGE	(1u << 16)	/* address fields are valid */

/* Information flags (spec 3.3). */
#define MULTIBOOT_INFO_MEMORY	(1u << 0)
#define MULTIBOOT_INFO_CMDLINE	(1u << 2)
#define MULTIBOOT_INFO_MODS	(1u << 3)
#define MULTIBOOT_INFO_MEM_MAP	(1u << 6)
#define MULTIBOOT_INFO_LOADER	(1u << 9)

/* [file_off, file_off + file_size) goes to addr; memory up to mem_size is zeroed. */
struct multiboot_seg {
	u64 file_off, file_size;
	u64 addr, mem_size;
};

struct multiboot_kernel {
	u32 header_off;			/* where the header is in the file */
	u32 flags;			/* the header's flags */
	u32 entry;			/* 32-bit protected-mode entry */
	struct multiboot_seg segs[MULTIBOOT_MAX_SEGS];
	unsigned int nr_segs;
	u64 lowest, highest;		/* loaded range, bss included */
};

/*
 * Find and check the header and plan the load into RAM [0, @ram_end) (the
 * low RAM, below the 3 GiB hole; kernels load at or above 1 MiB, below is
 * vmm's). Returns 0, -ENOENT if the file has no multiboot header, or with a
 * one-line reason in *@why: -EINVAL (truncated or corrupt header, bad ELF,
 * a requirement vmm cannot meet), -ERANGE (an address outside RAM), -E2BIG
 * (more than RAM holds).
 */
int multiboot_parse(const u8 *img, size_t size, u64 ram_end, struct multiboot_kernel *mk,
		    const char **why);

/*
 * Build the information structure into @buf (@size bytes, seen by the
 * guest at @gpa): the info, its memory map (the e820 of @info->ram_size),
 * the initrd as the one module named @mod_string, and the boot loader
 * name "vmm". Returns the bytes used, -ENOSPC or -EINVAL.
 */
int multiboot_info_build(void *buf, size_t size, u64 gpa, const struct x86_boot_info *info,
			 const char *mod_string);

#endif
