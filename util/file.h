/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_FILE_H
#define VMM_UTIL_FILE_H

#include <sys/stat.h>

#include "util/types.h"

/*
 * Read a whole regular file of at most @max bytes into a new buffer.
 * On error returns -errno and logs one line naming @what and @path
 * (-EFBIG if larger than @max, -EINVAL if not a regular file).
 */
int file_read_all(const char *what, const char *path, size_t max, u8 **buf,
		  size_t *len);

/* What @mode's file type is, for a message: "a FIFO", "a directory", ... */
const char *file_type_name(mode_t mode);
/*
 * Open @path with @flags (O_RDONLY, O_RDWR, ...) without blocking or taking
 * a controlling terminal whatever it is, and return the fd only if it is a
 * regular file (or, if @allow_bdev, a block device): -EINVAL otherwise, with
 * @st telling what it is. Logs nothing.
 */
int file_open_checked(const char *path, int flags, bool allow_bdev, struct stat *st);
/* Open the file @fd refers to again (through /proc/self/fd) with @flags. */
int file_reopen(int fd, int flags);
/*
 * Open a regular file for reading; returns the fd (or -errno, logged: -EINVAL
 * if it is not a regular file).
 */
int file_open_sized(const char *what, const char *path, u64 *size);
/* Read exactly @len bytes; -errno (logged) on error or a short file. */
int file_read_fd(const char *what, const char *path, int fd, void *dst, size_t len);

#endif
