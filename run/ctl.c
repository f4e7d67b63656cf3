// SPDX-License-Identifier: GPL-2.0
/*
 * `vmm list|info|counters|pause|resume|stop|reboot`: one HTTP request each
 * to a running vmm's control socket (run/api.c), with a time limit.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "run/api_socket.h"
#include "run/ctl.h"
#include "util/clock.h"
#include "util/http.h"
#include "util/log.h"
#include "util/types.h"

#define CTL_TIMEOUT_MS		5000
#define CTL_STOP_WAIT_MS	30000	/* a stop: until vmm has exited */
#define CTL_MAX_RESPONSE	(1 << 20)

static const struct ctl_cmd {
	const char *name;
	const char *method;
	const char *path;
} ctl_cmds[] = {
	{ "info", "GET", "/vm" },
	{ "counters", "GET", "/vm/counters" },
	{ "pause", "PUT", "/vm/pause" },
	{ "resume", "PUT", "/vm/resume" },
	{ "stop", "PUT", "/vm/stop" },
	{ "reboot", "PUT", "/vm/reboot" },
	{ "shutdown", "PUT", "/vm/shutdown" },
};

bool ctl_command(const char *cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++)
		if (!strcmp(cmd, ctl_cmds[i].name))
			return true;
	return !strcmp(cmd, "list") || !strcmp(cmd, "console");
}

/* Wait for @fd to be readable until @deadline; false on timeout. */
static bool ctl_wait(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left;

	while ((left = deadline - clock_now_ms()) > 0) {
		int n = poll(&p, 1, (int)left);

		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
	return false;
}

/*
 * One request on a connected @fd: the status, the body parsed as JSON
 * (*out, may be NULL for an empty body). Returns 0 or a ctl_status.
 */
static int ctl_request(int fd, const char *method, const char *path, int *status,
		       struct json_object **out, const char **why)
{
	char req[256], *buf = NULL;
	size_t len = 0, body_len;
	long long deadline = clock_now_ms() + CTL_TIMEOUT_MS;
	const char *body;
	bool eof = false;
	int n, r;

	*out = NULL;
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n", method, path);
	if (send(fd, req, n, MSG_NOSIGNAL) != n) {
		*why = strerror(errno);
		return CTL_FAILED;
	}
	buf = malloc(CTL_MAX_RESPONSE);
	if (!buf) {
		*why = "out of memory";
		return CTL_FAILED;
	}
	for (;;) {
		r = http_parse_response(buf, len, eof, status, &body, &body_len);
		if (r <= 0 || eof || len == CTL_MAX_RESPONSE)
			break;
		if (!ctl_wait(fd, deadline)) {
			*why = "no answer within 5 s";
			free(buf);
			return CTL_FAILED;
		}
		n = recv(fd, buf + len, CTL_MAX_RESPONSE - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			eof = true;
		else
			len += n;
	}
	if (r != 0) {
		*why = "malformed answer";
		free(buf);
		return CTL_FAILED;
	}
	if (body_len) {
		struct json_tokener *tok = json_tokener_new();

		*out = tok ? json_tokener_parse_ex(tok, body, body_len) : NULL;
		json_tokener_free(tok);
	}
	free(buf);
	if (body_len && !*out) {
		*why = "the answer is not JSON";
		return CTL_FAILED;
	}
	return 0;
}

static const char *ctl_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* NAME, or a path with a '/' (an --api-socket). */
static int ctl_socket_path(const char *name, char *path, size_t size)
{
	char dir[192];
	const char *why;

	if (strchr(name, '/')) {
		snprintf(path, size, "%s", name);
		return 0;
	}
	if (!api_name_valid(name)) {
		log_error("'%s' is not a VM name (letters, digits, '.', '_', '-')", name);
		return CTL_USAGE;
	}
	if (api_socket_dir(dir, sizeof(dir), false, &why) < 0) {
		log_error("no VM named %s (%s: %s)", name, dir, why);
		return CTL_NO_VM;
	}
	snprintf(path, size, "%s/%s.sock", dir, name);
	return 0;
}

/* Connect, or say why not: CTL_NO_VM for none or a stale socket (removed). */
static int ctl_connect(const char *name, const char *path, int *fd)
{
	*fd = api_socket_connect(path);
	if (*fd >= 0)
		return 0;
	if (*fd == -ENOENT || *fd == -ECONNREFUSED) {
		if (*fd == -ECONNREFUSED && api_socket_remove_stale(path))
			log_error("no VM named %s (its vmm is gone: removed %s)", name, path);
		else
			log_error("no VM named %s (%s)", name, path);
		return CTL_NO_VM;
	}
	log_error("%s: %s", path, strerror(-*fd));
	return CTL_FAILED;
}

static int ctl_one(const struct ctl_cmd *cmd, const char *name)
{
	char path[512];
	struct json_object *obj;
	const char *why = "";
	int fd, status, r;

	r = ctl_socket_path(name, path, sizeof(path));
	if (r)
		return r;
	r = ctl_connect(name, path, &fd);
	if (r)
		return r;
	r = ctl_request(fd, cmd->method, cmd->path, &status, &obj, &why);
	if (r) {
		log_error("%s %s: %s", cmd->name, name, why);
		close(fd);
		return r;
	}
	if (status != 200 && status != 202) {
		const char *msg = obj ? ctl_json_str(obj, "error") : NULL;

		log_error("%s %s: %s", cmd->name, name, msg ? msg : http_reason(status));
		r = status == 409 ? CTL_REFUSED : status == 404 ? CTL_USAGE : CTL_FAILED;
	} else if (!strcmp(cmd->method, "GET")) {
		printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (!strcmp(cmd->name, "stop") || !strcmp(cmd->name, "shutdown")) {
		/*
		 * vmm closes the connection once it has torn the VM down; a
		 * shutdown first gives the guest its timeout_s to power off.
		 */
		struct json_object *v;
		long long wait = CTL_STOP_WAIT_MS;
		char c;

		if (obj && json_object_object_get_ex(obj, "timeout_s", &v))
			wait += json_object_get_int64(v) * 1000LL;
		if (!ctl_wait(fd, clock_now_ms() + wait) || recv(fd, &c, 1, 0) > 0) {
			log_error("%s %s: vmm has not exited within %lld s", cmd->name, name,
				  wait / 1000);
			r = CTL_FAILED;
		}
	}
	json_object_put(obj);
	close(fd);
	return r;
}

int ctl_describe(const char *name, struct json_object **out)
{
	char path[512];
	const char *why = "";
	int fd, status, r;

	*out = NULL;
	r = ctl_socket_path(name, path, sizeof(path));
	if (!r)
		r = ctl_connect(name, path, &fd);
	if (r)
		return r;
	r = ctl_request(fd, "GET", "/vm", &status, out, &why);
	close(fd);
	if (!r && (status != 200 || !*out)) {
		why = http_reason(status);
		json_object_put(*out);
		*out = NULL;
		r = CTL_FAILED;
	}
	if (r)
		log_error("%s: %s", name, why);
	return r;
}

static void ctl_uptime(char *buf, size_t size, double s)
{
	long t = (long)s;

	if (t < 60)
		snprintf(buf, size, "%lds", t);
	else if (t < 3600)
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, size, "%ldd%02ldh", t / 86400, t / 3600 % 24);
}

static int ctl_sock_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".sock");
}

static int ctl_list(void)
{
	char dir[192], path[512], up[32];
	struct dirent **ents;
	const char *why;
	int n;

	if (api_socket_dir(dir, sizeof(dir), false, &why) < 0) {
		if (access(dir, F_OK) == 0) {
			log_error("%s: %s", dir, why);
			return CTL_FAILED;
		}
		n = 0;	/* no directory yet: no VMs */
		ents = NULL;
	} else {
		n = scandir(dir, &ents, ctl_sock_filter, alphasort);
		if (n < 0) {
			log_error("%s: %s", dir, strerror(errno));
			return CTL_FAILED;
		}
	}
	printf("%-24s %8s %-8s %9s %5s %8s\n", "NAME", "PID", "STATE", "UPTIME", "VCPUS",
	       "MEMORY");
	for (int i = 0; i < n; i++) {
		char name[API_NAME_MAX + 8];
		struct json_object *obj = NULL;
		int fd, status = 0;

		snprintf(name, sizeof(name), "%.*s", (int)strlen(ents[i]->d_name) - 5,
			 ents[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		fd = api_socket_connect(path);
		if (fd == -ECONNREFUSED) {
			api_socket_remove_stale(path);
			continue;
		}
		if (fd < 0)
			continue;
		if (ctl_request(fd, "GET", "/vm", &status, &obj, &why) || status != 200 || !obj) {
			/* Alive but not answering: building or rebooting its VM. */
			printf("%-24s %8s %-8s %9s %5s %8s\n", name, "-", "busy", "-", "-", "-");
		} else {
			struct json_object *v;
			double uptime = json_object_object_get_ex(obj, "uptime", &v) ?
					json_object_get_double(v) : 0;

			ctl_uptime(up, sizeof(up), uptime);
			printf("%-24s %8s %-8s %9s %5s %7sM\n", name, ctl_json_str(obj, "pid"),
			       ctl_json_str(obj, "state"), up, ctl_json_str(obj, "vcpus"),
			       ctl_json_str(obj, "memory_mib"));
		}
		json_object_put(obj);
		close(fd);
	}
	free(ents);
	return CTL_OK;
}

int ctl_main(int argc, char **argv)
{
	if (!strcmp(argv[0], "list")) {
		if (argc != 1) {
			log_error("usage: vmm list");
			return CTL_USAGE;
		}
		return ctl_list();
	}
	if (!strcmp(argv[0], "console")) {
		if (argc != 2) {
			log_error("usage: vmm console NAME");
			return CTL_USAGE;
		}
		return ctl_console(argv[1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctl_cmds); i++) {
		if (strcmp(argv[0], ctl_cmds[i].name))
			continue;
		if (argc != 2) {
			log_error("usage: vmm %s NAME", argv[0]);
			return CTL_USAGE;
		}
		return ctl_one(&ctl_cmds[i], argv[1]);
	}
	log_error("unknown command '%s'", argv[0]);
	return CTL_USAGE;
}
