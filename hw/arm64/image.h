/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_ARM64_IMAGE_H
#define VMM_HW_ARM64_IMAGE_H

#include "util/types.h"

/*
 * The arm64 kernel Image header (Documentation/arm64/booting.rst) and
 * Image.gz unpacking. Pure: no KVM, no guest memory; host-testable.
 */

#define IMAGE_FLAG_BE		(1u << 0)
#define IMAGE_FLAG_PAGE_SHIFT	1	/* 2 bits: 0 any, 1 4K, 2 16K, 3 64K */
#define IMAGE_FLAG_ANYWHERE	(1u << 3)

struct arm64_image {
	u64 text_offset;	/* from a 2 MiB-aligned base */
	u64 image_size;		/* memory the kernel needs from its start */
	u64 flags;
};

/*
 * 0, or -ENOEXEC (no Image magic) / -EINVAL (an Image vmm cannot boot:
 * big-endian, pre-3.17, odd text_offset) with a reason in *why.
 */
int arm64_image_parse(const u8 *img, size_t size, struct arm64_image *out,
		      const char **why);

/* booting.rst: the text_offset an Image without one asks for; a flat binary goes there too. */
#define ARM64_FLAT_TEXT_OFFSET	0x80000

/*
 * What to load from (unpacked) @img: an Image by its header, or a file
 * without one as a flat binary at ARM64_FLAT_TEXT_OFFSET (*@flat set),
 * image_size = its size. @room is the RAM from the 2 MiB-aligned load base
 * up to what vmm keeps (the FDT). 0, or with *why: -ENOEXEC (nothing to
 * boot: empty, an ELF file, an x86 bzImage), -EINVAL (a bad Image header),
 * -E2BIG (more than @room).
 */
int arm64_kernel_plan(const u8 *img, size_t size, u64 room, struct arm64_image *out,
		      bool *flat, const char **why);

/* No real Image comes close once unpacked; more is corrupt or hostile. */
#define ARM64_KERNEL_MAX_UNPACKED	(1024 * MiB)

static inline bool arm64_is_gzip(const u8 *p, size_t size)
{
	return size >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/*
 * Unpack a gzip member into a new buffer of at most @max bytes: 0, or
 * -EINVAL (corrupt, truncated), -E2BIG (over @max), -ENOMEM with *why.
 */
int arm64_gunzip(const u8 *in, size_t in_len, size_t max, u8 **out, size_t *out_len,
		 const char **why);

#endif
