/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_ELF_H
#define VMM_HW_X86_ELF_H

/* Loading an x86-64 ELF kernel (a Linux vmlinux) into guest RAM. */
#include "util/types.h"

struct vm;

#define XEN_ELFNOTE_PHYS32_ENTRY	18	/* xen/include/public/elfnote.h */
#define ELF_MAX_PHDRS			64

struct elf_kernel {
	u64 entry;		/* e_entry; for vmlinux the physical startup_64 */
	u64 pvh_entry;		/* 32-bit PVH entry from the "Xen" note, 0 if none */
	u64 lowest;		/* lowest guest-physical address loaded */
	u64 highest;		/* end (exclusive) of the highest segment, bss included */
};

/*
 * Copy every PT_LOAD segment of @elf to its p_paddr and zero its bss. All
 * segments are checked (inside RAM, at or above 1 MiB, no overflow, e_entry
 * inside one of them) before any byte is copied. Returns 0, or -ENOEXEC /
 * -EINVAL / -ERANGE with *@why set.
 */
int elf_load(struct vm *vm, const u8 *elf, size_t size, struct elf_kernel *out,
	     const char **why);

#endif
