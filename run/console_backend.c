// SPDX-License-Identifier: GPL-2.0
/* --serial: stdio, a pty, a file, a socket or nothing (console_backend.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/term.h"
#include "kvm/kvm.h"
#include "run/console_backend.h"
#include "run/console_socket.h"
#include "util/log.h"

const char *console_backend_name(enum vm_serial kind)
{
	static const char *const names[] = {
		[VM_SERIAL_STDIO] = "stdio", [VM_SERIAL_PTY] = "pty", [VM_SERIAL_FILE] = "file",
		[VM_SERIAL_SOCKET] = "socket", [VM_SERIAL_NONE] = "none",
	};

	return (unsigned int)kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

static int console_pty_open(struct console_backend *b)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, b->path, sizeof(b->path))) {
		log_error("--serial pty: cannot make a pseudo-terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return EXIT_HOST_ERROR;
	}
	/*
	 * Our own open of the other side: without it, the master reads EIO
	 * once a client closes it, and input would end for good.
	 */
	b->pty_slave = open(b->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (b->pty_slave < 0) {
		log_error("--serial pty: %s: %s", b->path, strerror(errno));
		close(m);
		return EXIT_HOST_ERROR;
	}
	b->fd = b->in_fd = b->out_fd = m;
	b->term_flags = TERM_LOSSY | TERM_NO_ESCAPE;
	log_info("console on %s", b->path);
	return 0;
}

static int console_file_open(struct console_backend *b, const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0) {
		int err = errno;

		log_error("--serial file:%s: %s", path, strerror(err));
		return err == EISDIR || err == ENOENT || err == ENOTDIR ? EXIT_USAGE : EXIT_HOST_ERROR;
	}
	/* A FIFO nobody reads would hold the guest: only files and devices that take it. */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		log_error("--serial file:%s: a FIFO (use --serial socket or stdio with a pipe)", path);
		close(fd);
		return EXIT_USAGE;
	}
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = b->out_fd = fd;
	b->term_flags = TERM_NO_ESCAPE;
	return 0;
}

/* DIR/NAME.sock -> DIR/NAME.console; any other path gets .console appended. */
static int console_socket_path(const char *api_path, char *buf, size_t size)
{
	size_t n = strlen(api_path);

	if (n > 5 && !strcmp(api_path + n - 5, ".sock"))
		n -= 5;
	return snprintf(buf, size, "%.*s.console", (int)n, api_path) < (int)size ? 0 : -1;
}

static int console_sock_open(struct console_backend *b, const char *path, const char *api_path)
{
	const char *why = "";
	int err;

	if (path) {
		snprintf(b->path, sizeof(b->path), "%s", path);
	} else if (!api_path) {
		log_error("--serial socket: give it a path (socket:PATH): there is no control"
			  " socket to put it next to");
		return EXIT_USAGE;
	} else if (console_socket_path(api_path, b->path, sizeof(b->path)) < 0) {
		log_error("--serial socket: the path next to %s is too long", api_path);
		return EXIT_USAGE;
	}
	b->sock = console_socket_create(b->path, &err, &why);
	if (!b->sock) {
		log_error("--serial socket:%s: %s", b->path, why);
		return err == -EADDRINUSE || err == -EEXIST || err == -ENAMETOOLONG ? EXIT_USAGE :
		       EXIT_HOST_ERROR;
	}
	b->in_fd = console_socket_in_fd(b->sock);
	b->out_fd = console_socket_out_fd(b->sock);
	b->term_flags = TERM_LOSSY | TERM_NO_ESCAPE;
	return 0;
}

int console_backend_open(const struct vm_config *cfg, const char *api_path,
			 struct console_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->kind = cfg->serial;
	b->in_fd = b->out_fd = b->fd = b->pty_slave = -1;
	switch (cfg->serial) {
	case VM_SERIAL_STDIO:
		b->in_fd = STDIN_FILENO;
		b->out_fd = STDOUT_FILENO;
		return 0;
	case VM_SERIAL_PTY:
		return console_pty_open(b);
	case VM_SERIAL_FILE:
		return console_file_open(b, cfg->serial_path);
	case VM_SERIAL_SOCKET:
		return console_sock_open(b, cfg->serial_path, api_path);
	case VM_SERIAL_NONE:
		return 0;
	}
	return EXIT_USAGE;
}

void console_backend_close(struct console_backend *b)
{
	console_socket_destroy(b->sock);
	b->sock = NULL;
	if (b->fd >= 0)
		close(b->fd);
	if (b->pty_slave >= 0)
		close(b->pty_slave);
	b->fd = b->pty_slave = b->in_fd = b->out_fd = -1;
}
