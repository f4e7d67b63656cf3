/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_BZIMAGE_H
#define VMM_HW_X86_BZIMAGE_H

/*
 * The Linux x86 boot protocol header of a bzImage
 * (Documentation/arch/x86/boot.rst). Parsing is pure: nothing is loaded.
 */
#include "util/types.h"

#define BZIMAGE_MIN_VERSION	0x0206	/* cmdline_size appeared in 2.06 */
#define BZIMAGE_SETUP_HDR_OFF	0x1f1	/* struct setup_header in the file */
#define BZIMAGE_MAX_SIZE	(1ULL << 30)

struct bzimage {
	u16 version;			/* boot protocol, e.g. 0x020f */
	u32 setup_size;			/* (setup_sects + 1) * 512 */

	/* The protected-mode kernel: everything after the setup sectors. */
	const u8 *kernel;
	size_t kernel_size;

	/* The compressed vmlinux inside it (NULL/0 before protocol 2.08). */
	const u8 *payload;
	size_t payload_size;

	/* Where and how the protected-mode kernel wants to be loaded. */
	u64 load_addr;			/* pref_address (2.10+), else 1 MiB */
	u64 entry64;			/* load_addr + 0x200: the 64-bit entry */
	u32 init_size;			/* memory needed from load_addr (2.10+) */
	u32 kernel_alignment;
	bool relocatable;
	u8 loadflags;
	u16 xloadflags;
	u32 cmdline_size;		/* max command line, without the NUL */
	u32 initrd_addr_max;		/* highest byte an initrd may use */

	/* The bytes to copy to boot_params.hdr (from 0x1f1 in the file). */
	const u8 *setup_header;
	size_t setup_header_len;

	char version_str[128];		/* "6.1.0-... (...) #1 SMP ...", or "" */
};

/*
 * Validate @img as a 64-bit bzImage and describe it in @out; @out points into
 * @img, which must outlive it. Never reads outside [img, img + size).
 * Returns 0, -ENOEXEC if this is not a bzImage, or -EINVAL if it is one we
 * cannot boot; *@why then says why in a short phrase.
 */
int bzimage_parse(const u8 *img, size_t size, struct bzimage *out, const char **why);

#endif
