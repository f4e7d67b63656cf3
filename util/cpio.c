// SPDX-License-Identifier: GPL-2.0
/* An uncompressed newc cpio archive in memory (util/cpio.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cpio.h"

#define CPIO_HDR_LEN	110	/* "070701" and 13 fields of 8 hex digits */

void cpio_init(struct cpio *c)
{
	memset(c, 0, sizeof(*c));
}

void cpio_free(struct cpio *c)
{
	free(c->buf);
	cpio_init(c);
}

/* @n bytes; with @pad, zeros up to the next 4-byte boundary of the archive. */
static void cpio_put(struct cpio *c, const void *p, size_t n, bool pad)
{
	size_t need = c->len + n + 4;

	if (c->err)
		return;
	if (need > c->cap) {
		size_t cap = MAX(need, c->cap * 2);
		u8 *nb = realloc(c->buf, cap);

		if (!nb) {
			c->err = -ENOMEM;
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	while (pad && c->len % 4)
		c->buf[c->len++] = 0;
}

void cpio_add(struct cpio *c, const char *name, u32 mode, u32 rdev_major, u32 rdev_minor,
	      const void *data, size_t len)
{
	char hdr[CPIO_HDR_LEN + 1];
	size_t nlen = strlen(name) + 1;

	if (c->err)
		return;
	if (nlen == 1 || nlen > 4096 || len > UINT32_MAX) {
		c->err = -EINVAL;
		return;
	}
	/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0, 0, S_ISDIR(mode) ? 2 : 1, 0, (u32)len, 0, 0, rdev_major,
		 rdev_minor, (u32)nlen, 0);
	/* The header and the name end on a 4-byte boundary together, then the data. */
	cpio_put(c, hdr, CPIO_HDR_LEN, false);
	cpio_put(c, name, nlen, true);
	if (len)
		cpio_put(c, data, len, true);
}

void cpio_add_dir(struct cpio *c, const char *name)
{
	cpio_add(c, name, S_IFDIR | 0755, 0, 0, NULL, 0);
}

void cpio_add_file(struct cpio *c, const char *name, u32 perm, const void *data, size_t len)
{
	cpio_add(c, name, S_IFREG | (perm & 07777), 0, 0, data, len);
}

int cpio_finish(struct cpio *c)
{
	cpio_add(c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	return c->err;
}
