// SPDX-License-Identifier: GPL-2.0
/* The control sockets' directory, claiming a socket, and removing it at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "run/api_socket.h"

/*
 * The sockets this process made (the API's, the console's): removed at
 * exit only while each is still the file it made.
 */
#define API_OWN_MAX 2
static struct {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct timespec ctime;	/* inode numbers are reused at once */
} own[API_OWN_MAX];

bool api_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > API_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int api_socket_dir(char *buf, size_t size, bool create, const char **why)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/vmm", xdg);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/vmm");
	else
		n = snprintf(buf, size, "/tmp/vmm-%u", (unsigned int)geteuid());
	if (n < 0 || (size_t)n >= size) {
		*why = "the runtime directory's path is too long";
		return -ENAMETOOLONG;
	}
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST) {
		*why = strerror(errno);
		return -errno;
	}
	if (lstat(buf, &st) < 0) {
		*why = strerror(errno);
		return -errno;
	}
	/* Another user's directory (/tmp is shared) could hand us their sockets. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		*why = "not a directory private to this user (mode 0700, owned by you)";
		return -EPERM;
	}
	return 0;
}

static int api_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int api_socket_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, r = api_sockaddr(path, &sa);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The directory holding @path, locked so two vmm's cannot both claim a name. */
static int api_dir_lock(const char *path)
{
	char dir[sizeof(own[0].path)];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;	/* < 0: unlocked, still correct without a racing twin */
}

int api_socket_listen(const char *path, const char **why)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1, lock, r = api_sockaddr(path, &sa), slot = 0;
	mode_t old;

	if (r < 0) {
		*why = "socket path too long (at most 107 bytes)";
		return r;
	}
	while (slot < API_OWN_MAX && own[slot].path[0])
		slot++;
	if (slot == API_OWN_MAX) {
		*why = "vmm listens on too many sockets";
		return -ENOSPC;
	}
	lock = api_dir_lock(path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*why = "exists and is not a socket";
			r = -EEXIST;
			goto out;
		}
		r = api_socket_connect(path);
		if (r >= 0) {
			close(r);
			*why = "a running vmm listens there";
			r = -EADDRINUSE;
			goto out;
		}
		/* Nobody listens: what a vmm killed with SIGKILL leaves. */
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		*why = strerror(errno);
		goto out;
	}
	/* 0600 from the start: no moment in which others may connect. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0 || stat(path, &st) < 0) {
		r = -errno;
		*why = strerror(errno);
		goto out;
	}
	own[slot].dev = st.st_dev;
	own[slot].ino = st.st_ino;
	own[slot].ctime = st.st_ctim;
	strcpy(own[slot].path, path);
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (lock >= 0)
		close(lock);
	return r;
}

void api_socket_cleanup(void)
{
	struct stat st;

	for (int i = 0; i < API_OWN_MAX; i++) {
		if (own[i].path[0] && lstat(own[i].path, &st) == 0 && st.st_dev == own[i].dev &&
		    st.st_ino == own[i].ino && st.st_ctim.tv_sec == own[i].ctime.tv_sec &&
		    st.st_ctim.tv_nsec == own[i].ctime.tv_nsec)
			unlink(own[i].path);
	}
}

void api_socket_remove(void)
{
	api_socket_cleanup();
	for (int i = 0; i < API_OWN_MAX; i++)
		own[i].path[0] = '\0';
}

bool api_socket_remove_stale(const char *path)
{
	int lock = api_dir_lock(path), fd;
	bool removed = false;
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		fd = api_socket_connect(path);
		if (fd == -ECONNREFUSED)
			removed = unlink(path) == 0;
		else if (fd >= 0)
			close(fd);
	}
	if (lock >= 0)
		close(lock);
	return removed;
}
