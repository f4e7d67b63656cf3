// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

const char *file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	default: return "an unknown kind of file";
	}
}

/*
 * O_NONBLOCK: opening a FIFO would wait for a writer, opening a tty or a
 * modem line for carrier; O_NOCTTY: a tty must not become ours. Only a
 * type the caller accepts gets its O_NONBLOCK cleared and is returned.
 */
int file_open_checked(const char *path, int flags, bool allow_bdev, struct stat *st)
{
	int fd, fl;

	fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		/* A directory opened for writing (EISDIR) or a socket (ENXIO). */
		if (!stat(path, st) && !S_ISREG(st->st_mode) &&
		    !(allow_bdev && S_ISBLK(st->st_mode)))
			return -EINVAL;
		return err;
	}
	if (fstat(fd, st) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	if (!S_ISREG(st->st_mode) && !(allow_bdev && S_ISBLK(st->st_mode))) {
		close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return fd;
}

/* The same open file description's inode, not whatever the path names now. */
int file_reopen(int fd, int flags)
{
	char proc[32];
	int r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = open(proc, flags | O_NOCTTY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

int file_open_sized(const char *what, const char *path, u64 *size)
{
	struct stat st;
	int fd;

	fd = file_open_checked(path, O_RDONLY, false, &st);
	if (fd == -EINVAL) {
		log_error("%s '%s' is %s, not a regular file", what, path,
			  file_type_name(st.st_mode));
		return fd;
	}
	if (fd < 0) {
		log_error("cannot open %s '%s': %s", what, path, strerror(-fd));
		return fd;
	}
	*size = st.st_size;
	return fd;
}

int file_read_fd(const char *what, const char *path, int fd, void *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (u8 *)dst + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("cannot read %s '%s': %s", what, path,
				  n < 0 ? strerror(errno) : "file shrank while reading");
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	return 0;
}

int file_read_all(const char *what, const char *path, size_t max, u8 **buf,
		  size_t *len)
{
	u64 size;
	u8 *p;
	int fd, err;

	fd = file_open_sized(what, path, &size);
	if (fd < 0)
		return fd;
	if (size > max) {
		log_error("%s '%s' is too large (%llu MiB, at most %zu MiB)", what, path,
			  (unsigned long long)size >> 20, max >> 20);
		close(fd);
		return -EFBIG;
	}
	p = malloc(size ? size : 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	err = file_read_fd(what, path, fd, p, size);
	close(fd);
	if (err) {
		free(p);
		return err;
	}
	*buf = p;
	*len = size;
	return 0;
}
