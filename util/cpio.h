/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_CPIO_H
#define VMM_UTIL_CPIO_H

#include "util/types.h"

/*
 * An initramfs built in memory: a "newc" cpio archive (what the kernel
 * unpacks, Documentation/driver-api/early-userspace/buffer-format.rst),
 * uncompressed. Entries are owned by root, dated 0. The caller owns the
 * struct and frees it with cpio_free().
 */
struct cpio {
	u8 *buf;
	size_t len, cap;
	u32 ino;
	int err;		/* the first error; later calls do nothing */
};

void cpio_init(struct cpio *c);
/* A directory, a file with @len bytes of @data, or a device (@mode's type). */
void cpio_add(struct cpio *c, const char *name, u32 mode, u32 rdev_major, u32 rdev_minor,
	      const void *data, size_t len);
void cpio_add_dir(struct cpio *c, const char *name);
void cpio_add_file(struct cpio *c, const char *name, u32 perm, const void *data, size_t len);
/* The trailer; 0, or the first error (-ENOMEM, -EINVAL for a bad name). */
int cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

#endif
