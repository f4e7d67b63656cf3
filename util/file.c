// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

int file_open_sized(const char *what, const char *path, u64 *size)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_error("cannot open %s '%s': %s", what, path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("%s '%s' is not a regular file", what, path);
		close(fd);
		return -EINVAL;
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
