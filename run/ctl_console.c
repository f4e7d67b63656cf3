// SPDX-License-Identifier: GPL-2.0
/*
 * `vmm console NAME`: this terminal on a running VM's --serial socket
 * (run/console_socket.h), through the same terminal code vmm run uses
 * (raw mode, Ctrl-A escape). Ctrl-A x detaches; the VM runs on.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/term.h"
#include "run/api_socket.h"
#include "run/ctl.h"
#include "util/log.h"

/* What console_socket.c tells a second client before closing it. */
#define BUSY_PREFIX "vmm: this console already has a client"

struct ctl_console {
	int sock;
	int quit_fd;
};

/* Keystrokes to the VM; a VM gone is seen by the main loop. */
static size_t cc_input(void *opaque, const u8 *buf, size_t len)
{
	struct ctl_console *cc = opaque;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(cc->sock, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	return len;
}

static void cc_quit(void *opaque)
{
	struct ctl_console *cc = opaque;
	u64 one = 1;

	if (write(cc->quit_fd, &one, sizeof(one)) < 0)
		log_debug("console: eventfd: %s", strerror(errno));
}

static const char *cc_json_str(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k1, &v) || !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Relay until C-a x or the end of the VM; returns an enum ctl_status. */
static int cc_relay(struct ctl_console *cc, struct term *t, const char *name)
{
	char buf[4096];
	size_t seen = 0;
	bool busy = false;

	for (;;) {
		struct pollfd p[2] = { { .fd = cc->sock, .events = POLLIN },
				       { .fd = cc->quit_fd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CTL_FAILED;
		}
		if (p[1].revents)
			return CTL_OK;
		n = recv(cc->sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			term_flush(t);
			if (busy)
				return CTL_REFUSED;
			fprintf(stderr, "\r\nvmm: %s's console closed (its vmm exited)\r\n", name);
			return CTL_OK;
		}
		/* A refusal is the only thing such a connection ever says. */
		if (!seen)
			busy = !memcmp(buf, BUSY_PREFIX, MIN((size_t)n, sizeof(BUSY_PREFIX) - 1));
		seen += n;
		term_write(t, (const u8 *)buf, n);
	}
}

int ctl_console(const char *name)
{
	struct term_ops ops = { cc_input, cc_quit, 0 };
	struct ctl_console cc = { -1, -1 };
	struct json_object *info;
	const char *type, *path;
	struct term *t;
	int r;

	r = ctl_describe(name, &info);
	if (r)
		return r;
	type = cc_json_str(info, "console", "type");
	path = cc_json_str(info, "console", "path");
	if (!type || strcmp(type, "socket") || !path) {
		log_error("%s: its console is %s, not a socket (start it with --serial socket)",
			  name, type ? type : "unknown");
		json_object_put(info);
		return CTL_REFUSED;
	}
	cc.sock = api_socket_connect(path);
	if (cc.sock < 0) {
		log_error("%s: console socket %s: %s", name, path, strerror(-cc.sock));
		json_object_put(info);
		return cc.sock == -ENOENT || cc.sock == -ECONNREFUSED ? CTL_NO_VM : CTL_FAILED;
	}
	json_object_put(info);
	cc.quit_fd = eventfd(0, EFD_CLOEXEC);
	t = cc.quit_fd >= 0 ? term_open(STDIN_FILENO, STDOUT_FILENO, &ops, &cc) : NULL;
	if (!t) {
		log_error("console: %s", strerror(errno));
		close(cc.sock);
		if (cc.quit_fd >= 0)
			close(cc.quit_fd);
		return CTL_FAILED;
	}
	fprintf(stderr, "vmm: %s's console; Ctrl-A x detaches (the VM runs on)\r\n", name);
	r = cc_relay(&cc, t, name);
	term_close(t);
	close(cc.sock);
	close(cc.quit_fd);
	return r;
}
