/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_FILE_H
#define VMM_UTIL_FILE_H

#include "util/types.h"

/*
 * Read a whole regular file of at most @max bytes into a new buffer.
 * On error returns -errno and logs one line naming @what and @path
 * (-EFBIG if larger than @max, -EINVAL if not a regular file).
 */
int file_read_all(const char *what, const char *path, size_t max, u8 **buf,
		  size_t *len);

/* Open a regular file for reading; returns the fd (or -errno, logged). */
int file_open_sized(const char *what, const char *path, u64 *size);
/* Read exactly @len bytes; -errno (logged) on error or a short file. */
int file_read_fd(const char *what, const char *path, int fd, void *dst, size_t len);

#endif
