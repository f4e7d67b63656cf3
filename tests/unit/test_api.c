// SPDX-License-Identifier: GPL-2.0
/*
 * The control API without /dev/kvm: the endpoints against a fake VM, the
 * server over a real Unix socket driven as the run loop drives it (hostile
 * and slow clients included), claiming and removing the socket, and the
 * real VM's description from a hand-built struct vm.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "run/api.h"
#include "run/api_server.h"
#include "run/api_socket.h"
#include "run/api_vm.h"
#include "test.h"
#include "util/clock.h"
#include "vcpu/vcpu.h"

struct fake_vm {
	enum vm_state state;
	bool stuck;		/* a vcpu will not pause */
	unsigned int pauses, resumes, stops, reboots, presses;
	bool no_reboot;
	bool no_button;
};

static enum vm_state fake_state(void *ctx, struct vm *vm)
{
	return ((struct fake_vm *)ctx)->state;
}

static int fake_pause(void *ctx, struct vm *vm)
{
	struct fake_vm *f = ctx;

	f->pauses++;
	if (f->stuck)
		return -ETIMEDOUT;
	f->state = VM_STATE_PAUSED;
	return 0;
}

static void fake_resume(void *ctx, struct vm *vm)
{
	struct fake_vm *f = ctx;

	f->resumes++;
	f->state = VM_STATE_RUNNING;
}

static void fake_stop(void *ctx, struct vm *vm)
{
	((struct fake_vm *)ctx)->stops++;
}

static const char *fake_reboot(void *ctx, struct vm *vm)
{
	struct fake_vm *f = ctx;

	if (f->no_reboot)
		return "no reboot";
	f->reboots++;
	return NULL;
}

static const char *fake_shutdown(void *ctx, struct vm *vm, unsigned int *timeout_s)
{
	struct fake_vm *f = ctx;

	*timeout_s = 7;
	if (f->no_button)
		return "no button";
	f->presses++;
	return NULL;
}

static void fake_describe(void *ctx, struct vm *vm, struct json_object *obj)
{
	json_object_object_add(obj, "state", json_object_new_string(
		api_state_name(((struct fake_vm *)ctx)->state)));
}

static void fake_counters(void *ctx, struct vm *vm, struct json_object *obj)
{
	json_object_object_add(obj, "exits", json_object_new_int(42));
}

static const struct api_vm_ops fake_ops = {
	.state = fake_state, .pause = fake_pause, .resume = fake_resume, .stop = fake_stop,
	.reboot = fake_reboot, .shutdown = fake_shutdown, .describe = fake_describe,
	.counters = fake_counters,
};

/* One request through the dispatch; the JSON body's @key, if asked. */
static int call(struct fake_vm *f, const char *method, const char *path, const char *body,
		const char *key, char *val, size_t vsize)
{
	struct http_request req = { .body = body, .body_len = body ? strlen(body) : 0 };
	struct api_response resp;
	struct json_object *obj, *v;

	snprintf(req.method, sizeof(req.method), "%s", method);
	snprintf(req.path, sizeof(req.path), "%s", path);
	api_handle(&req, &fake_ops, f, NULL, &resp);
	if (key) {
		obj = json_tokener_parse(resp.body ? resp.body : "");
		snprintf(val, vsize, "%s", obj && json_object_object_get_ex(obj, key, &v) ?
			 json_object_get_string(v) : "(none)");
		json_object_put(obj);
	}
	free(resp.body);
	return resp.status;
}

TEST(api_pause_resume_follow_the_state)
{
	struct fake_vm f = { .state = VM_STATE_RUNNING };
	char v[64];

	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", NULL, "state", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "paused"), "%s", v);
	TEST_ASSERT_EQ(f.pauses, 1);
	/* Pausing a paused VM is a conflict, and does nothing. */
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", NULL, "error", v, sizeof(v)), 409);
	TEST_ASSERT(strstr(v, "already paused"), "%s", v);
	TEST_ASSERT_EQ(f.pauses, 1);
	TEST_ASSERT_EQ(call(&f, "GET", "/vm", NULL, "state", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "paused"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/resume", "{}", "state", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "running"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/resume", NULL, NULL, NULL, 0), 409);
	TEST_ASSERT_EQ(f.resumes, 1);
	f.state = VM_STATE_STOPPING;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", NULL, "error", v, sizeof(v)), 409);
	TEST_ASSERT(strstr(v, "not running"), "%s", v);
	/* A vcpu held in a device: the pause gives up, says so, the VM runs on. */
	f.state = VM_STATE_RUNNING;
	f.stuck = true;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", NULL, "error", v, sizeof(v)), 500);
	TEST_ASSERT(strstr(v, "did not stop"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "GET", "/vm", NULL, "state", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "running"), "%s", v);
}

TEST(api_stop_reboot_and_counters)
{
	struct fake_vm f = { .state = VM_STATE_PAUSED };
	char v[64];

	TEST_ASSERT_EQ(call(&f, "GET", "/vm/counters", NULL, "exits", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "42"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/reboot", NULL, "state", v, sizeof(v)), 200);
	TEST_ASSERT_EQ(f.reboots, 1);
	f.no_reboot = true;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/reboot", NULL, "error", v, sizeof(v)), 409);
	TEST_ASSERT(!strcmp(v, "no reboot"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/stop", NULL, "state", v, sizeof(v)), 200);
	TEST_ASSERT(!strcmp(v, "stopping"), "%s", v);
	TEST_ASSERT_EQ(f.stops, 1);
	f.state = VM_STATE_STOPPING;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/stop", NULL, NULL, NULL, 0), 409);
	TEST_ASSERT_EQ(f.stops, 1);
}

TEST(api_shutdown_presses_the_button_only_when_running)
{
	struct fake_vm f = { .state = VM_STATE_RUNNING };
	char v[64];

	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/shutdown", NULL, "state", v, sizeof(v)), 202);
	TEST_ASSERT(!strcmp(v, "shutting-down"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/shutdown", "{}", "timeout_s", v, sizeof(v)), 202);
	TEST_ASSERT(!strcmp(v, "7"), "%s", v);
	TEST_ASSERT_EQ(f.presses, 2);
	TEST_ASSERT_EQ(call(&f, "GET", "/vm/shutdown", NULL, NULL, NULL, 0), 405);
	/* Paused, the guest could not answer: refused, nothing pressed. */
	f.state = VM_STATE_PAUSED;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/shutdown", NULL, "error", v, sizeof(v)), 409);
	TEST_ASSERT(strstr(v, "paused"), "%s", v);
	f.state = VM_STATE_STOPPING;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/shutdown", NULL, NULL, NULL, 0), 409);
	f.state = VM_STATE_RUNNING;
	f.no_button = true;
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/shutdown", NULL, "error", v, sizeof(v)), 409);
	TEST_ASSERT(!strcmp(v, "no button"), "%s", v);
	TEST_ASSERT_EQ(f.presses, 2);
	TEST_ASSERT_EQ(f.stops, 0);
}

TEST(api_unknown_paths_methods_and_bodies)
{
	struct fake_vm f = { .state = VM_STATE_RUNNING };
	struct http_request req = { .method = "PUT", .path = "/vm" };
	struct api_response resp;
	char v[64];

	TEST_ASSERT_EQ(call(&f, "GET", "/", NULL, "error", v, sizeof(v)), 404);
	TEST_ASSERT(!strcmp(v, "no such endpoint"), "%s", v);
	TEST_ASSERT_EQ(call(&f, "GET", "/vm/", NULL, NULL, NULL, 0), 404);
	TEST_ASSERT_EQ(call(&f, "GET", "/vm/pause", NULL, NULL, NULL, 0), 405);
	TEST_ASSERT_EQ(call(&f, "DELETE", "/vm", NULL, NULL, NULL, 0), 405);
	api_handle(&req, &fake_ops, &f, NULL, &resp);
	TEST_ASSERT(resp.status == 405 && resp.allow && !strcmp(resp.allow, "GET"),
		    "%d %s", resp.status, resp.allow);
	free(resp.body);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", "[1]", NULL, NULL, 0), 400);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", "{", NULL, NULL, 0), 400);
	TEST_ASSERT_EQ(call(&f, "PUT", "/vm/pause", "{} x", NULL, NULL, 0), 400);
	TEST_ASSERT_EQ(f.pauses, 0);
}

/* --- the server over a real socket ------------------------------------- */

struct srv {
	char dir[64], path[128];
	struct fake_vm f;
	struct api_server *s;
};

static int srv_start(struct srv *t, const struct api_limits *lim)
{
	const char *why;
	int fd;

	memset(t, 0, sizeof(*t));
	t->f.state = VM_STATE_RUNNING;
	strcpy(t->dir, "/tmp/vmm-test-api.XXXXXX");
	if (!mkdtemp(t->dir))
		return -errno;
	snprintf(t->path, sizeof(t->path), "%s/t.sock", t->dir);
	fd = api_socket_listen(t->path, &why);
	if (fd < 0)
		return fd;
	t->s = api_server_create(fd, lim, &fake_ops, &t->f);
	return t->s ? 0 : -ENOMEM;
}

static void srv_stop(struct srv *t)
{
	api_server_destroy(t->s);
	api_socket_remove();
	rmdir(t->dir);
}

/* One turn of the run loop, as vm_run() makes it. */
static void srv_turn(struct srv *t, int max_ms)
{
	struct pollfd pfd[RUN_HOOK_MAX_FDS];
	int timeout = max_ms;
	unsigned int n = api_server_prepare(t->s, pfd, RUN_HOOK_MAX_FDS, &timeout);

	if (poll(pfd, n, timeout) >= 0)
		api_server_ready(t->s, NULL, pfd, n);
}

/* Turn the loop until @fd has something to read (or hung up), at most @ms. */
static bool srv_until_readable(struct srv *t, int fd, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			return true;
		srv_turn(t, 5);
	}
	return false;
}

static int client(struct srv *t)
{
	return api_socket_connect(t->path);
}

static void sendstr(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0) {
		/* the test sees it in the answer */
	}
}

/* What the server sent on @fd, until it stops sending for a moment. */
static size_t drain(struct srv *t, int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && srv_until_readable(t, fd, 200)) {
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

static bool closed_by_server(struct srv *t, int fd)
{
	char c;

	return srv_until_readable(t, fd, 500) && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static const struct api_limits test_lim = { .max_clients = 4, .max_header_bytes = 1024,
	.max_body_bytes = 128, .request_timeout_ms = 100, .idle_timeout_ms = 300 };

TEST(api_server_answers_keeps_alive_and_pipelines)
{
	struct srv t;
	char buf[4096];
	int fd;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	fd = client(&t);
	TEST_ASSERT(fd >= 0, "connect: %d", fd);
	sendstr(fd, "GET /vm HTTP/1.1\r\nHost: x\r\n\r\n");
	drain(&t, fd, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "HTTP/1.1 200 OK\r\n") == buf, "%s", buf);
	TEST_ASSERT(strstr(buf, "{\"state\":\"running\"}"), "%s", buf);
	/* Two requests in one write: two answers, in order, same connection. */
	sendstr(fd, "PUT /vm/pause HTTP/1.1\r\nHost: x\r\n\r\nPUT /vm/pause HTTP/1.1\r\nHost: x\r\n\r\n");
	drain(&t, fd, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "200 OK") && strstr(buf, "409 Conflict") &&
		    strstr(buf, "200 OK") < strstr(buf, "409 Conflict"), "%s", buf);
	TEST_ASSERT_EQ(t.f.pauses, 1);
	close(fd);
	srv_stop(&t);
}

TEST(api_server_closes_after_a_malformed_or_oversized_request)
{
	static const struct { const char *req, *status; } cases[] = {
		{ "BLAH\r\n\r\n", "400 Bad Request" },
		{ "GET /vm HTTP/1.1\r\n\r\n", "400 Bad Request" },
		{ "PUT /vm/pause HTTP/1.1\r\nHost: x\r\nContent-Length: 129\r\n\r\n", "413" },
		{ "PUT /vm/pause HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "501" },
		{ "GET /vm HTTP/3.0\r\nHost: x\r\n\r\n", "505" },
		{ "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "404 Not Found" },
	};
	struct srv t;
	char buf[4096];

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = client(&t);

		sendstr(fd, cases[i].req);
		drain(&t, fd, buf, sizeof(buf));
		TEST_ASSERT(strstr(buf, cases[i].status) && strstr(buf, "\"error\""),
			    "#%zu: %s", i, buf);
		TEST_ASSERT(closed_by_server(&t, fd), "#%zu still open", i);
		close(fd);
	}
	TEST_ASSERT_EQ(t.f.pauses, 0);
	srv_stop(&t);
}

TEST(api_server_header_flood_gets_431_and_the_server_goes_on)
{
	struct srv t;
	char junk[2048], buf[4096];
	int fd, good;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	fd = client(&t);
	memset(junk, 'a', sizeof(junk));
	sendstr(fd, "GET /vm HTTP/1.1\r\nX: ");
	if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* a full socket is fine: the limit triggers on what arrived */
	}
	drain(&t, fd, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "431"), "%s", buf);
	good = client(&t);
	sendstr(good, "GET /vm HTTP/1.1\r\nHost: x\r\n\r\n");
	drain(&t, good, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "200 OK"), "%s", buf);
	close(fd);
	close(good);
	srv_stop(&t);
}

TEST(api_server_slow_client_gets_408_and_never_stalls_the_loop)
{
	struct srv t;
	char buf[1024];
	struct timespec a, b;
	int slow, fast;
	double ms;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	slow = client(&t);
	sendstr(slow, "GET /vm HTTP/1.1\r\nHo");
	/* Meanwhile another client is served at once. */
	fast = client(&t);
	sendstr(fast, "GET /vm HTTP/1.1\r\nHost: x\r\n\r\n");
	clock_gettime(CLOCK_MONOTONIC, &a);
	drain(&t, fast, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	TEST_ASSERT(strstr(buf, "200 OK"), "%s", buf);
	/* drain() waits 200 ms for more after the answer; the answer itself is immediate. */
	TEST_ASSERT(ms < 350, "served after %.0f ms", ms);
	drain(&t, slow, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "408 Request Timeout"), "%s", buf);
	TEST_ASSERT(closed_by_server(&t, slow), "slow client still open");
	close(slow);
	close(fast);
	srv_stop(&t);
}

TEST(api_server_idle_connections_are_closed)
{
	struct srv t;
	int fd;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	fd = client(&t);
	srv_turn(&t, 10);
	TEST_ASSERT(closed_by_server(&t, fd), "idle connection kept past its timeout");
	close(fd);
	srv_stop(&t);
}

TEST(api_server_refuses_clients_over_the_limit_with_503)
{
	struct srv t;
	char buf[1024];
	int fds[4], extra;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	for (int i = 0; i < 4; i++) {
		fds[i] = client(&t);
		srv_turn(&t, 5);
	}
	extra = client(&t);
	drain(&t, extra, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "503") && strstr(buf, "too many clients"), "%s", buf);
	close(extra);
	/* One leaves: room again. */
	close(fds[0]);
	srv_turn(&t, 5);
	extra = client(&t);
	sendstr(extra, "GET /vm HTTP/1.1\r\nHost: x\r\n\r\n");
	drain(&t, extra, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "200 OK"), "%s", buf);
	close(extra);
	for (int i = 1; i < 4; i++)
		close(fds[i]);
	srv_stop(&t);
}

TEST(api_server_stop_answer_lingers_until_the_server_goes)
{
	struct srv t;
	char buf[1024], c;
	int fd;

	TEST_ASSERT_EQ(srv_start(&t, &test_lim), 0);
	fd = client(&t);
	sendstr(fd, "PUT /vm/stop HTTP/1.1\r\nHost: x\r\n\r\n");
	drain(&t, fd, buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "200 OK") && strstr(buf, "Connection: close"), "%s", buf);
	TEST_ASSERT_EQ(t.f.stops, 1);
	/* Past every timeout, still open: the client waits for vmm's exit. */
	for (int i = 0; i < 80; i++)
		srv_turn(&t, 5);
	TEST_ASSERT(recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "closed early");
	srv_stop(&t);
	TEST_ASSERT(recv(fd, &c, 1, 0) == 0, "not closed with the server");
	close(fd);
}

/* --- the socket file ----------------------------------------------------- */

TEST(api_socket_replaces_a_stale_socket_and_refuses_a_live_one)
{
	char dir[] = "/tmp/vmm-test-sock.XXXXXX", path[128];
	const char *why = "";
	struct stat st;
	int live, fd, stale;

	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/a.sock", dir);
	live = api_socket_listen(path, &why);
	TEST_ASSERT(live >= 0, "%s", why);
	TEST_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o",
		    st.st_mode & 0777);
	fd = api_socket_listen(path, &why);
	TEST_ASSERT(fd == -EADDRINUSE, "%d %s", fd, why);
	/* The listener dies without removing its socket (SIGKILL). */
	close(live);
	TEST_ASSERT(api_socket_connect(path) == -ECONNREFUSED, "still connects");
	stale = api_socket_listen(path, &why);
	TEST_ASSERT(stale >= 0, "stale not replaced: %s", why);
	TEST_ASSERT(api_socket_connect(path) >= 0, "new socket does not listen");
	api_socket_remove();
	TEST_ASSERT(access(path, F_OK) < 0, "not removed");
	close(stale);
	/* Not a socket: left alone. */
	close(open(path, O_CREAT | O_WRONLY, 0600));
	TEST_ASSERT_EQ(api_socket_listen(path, &why), -EEXIST);
	unlink(path);
	rmdir(dir);
}

TEST(api_socket_cleanup_removes_only_its_own_socket)
{
	char dir[] = "/tmp/vmm-test-sock.XXXXXX", path[128];
	const char *why;
	int fd, other;

	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/b.sock", dir);
	fd = api_socket_listen(path, &why);
	TEST_ASSERT(fd >= 0, "%s", why);
	/* Someone replaced it since (a stale check after our death): not ours. */
	unlink(path);
	close(fd);
	other = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		TEST_ASSERT(bind(other, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind");
	}
	api_socket_cleanup();
	TEST_ASSERT(access(path, F_OK) == 0, "removed another's socket");
	api_socket_remove();
	close(other);
	unlink(path);
	rmdir(dir);
}

TEST(api_names_are_checked)
{
	TEST_ASSERT(api_name_valid("web-1.test_A"), "valid");
	TEST_ASSERT(!api_name_valid(""), "empty");
	TEST_ASSERT(!api_name_valid(".hidden"), "dot");
	TEST_ASSERT(!api_name_valid("a/b"), "slash");
	TEST_ASSERT(!api_name_valid("../x"), "dots");
	TEST_ASSERT(!api_name_valid("a b"), "space");
	TEST_ASSERT(!api_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		    "65 chars");
}

/* --- the real VM's operations on a hand-built struct vm ------------------ */

TEST(api_vm_describes_config_and_counts_exits)
{
	struct vm_config cfg;
	struct vm vm;
	struct vcpu v0 = { .id = 0, .nr_exits = 10, .nr_exits_io = 6, .nr_exits_mmio = 3 };
	struct vcpu *vcpus[] = { &v0 };
	struct api_vm_ctx ctx = { .name = "t", .socket_path = "/x/t.sock", .boots = 2 };
	struct json_object *o = json_object_new_object(), *c = json_object_new_object();
	const char *s;

	config_defaults(&cfg);
	cfg.ram_size = 64 << 20;
	cfg.disks[cfg.nr_disks++] = "disk.img,ro";
	cfg.rng = true;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.vcpus = vcpus;
	vm.nr_vcpus = 1;
	vm.state = VM_STATE_PAUSED;
	clock_mark_start();
	api_vm_ops.describe(&ctx, &vm, o);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	TEST_ASSERT(strstr(s, "\"name\":\"t\"") && strstr(s, "\"state\":\"paused\"") &&
		    strstr(s, "\"vcpus\":1") && strstr(s, "\"memory_mib\":64") &&
		    strstr(s, "\"boots\":2") && strstr(s, "\"api_socket\":\"/x/t.sock\"") &&
		    strstr(s, "{\"type\":\"virtio-blk\",\"options\":\"disk.img,ro\"}") &&
		    strstr(s, "{\"type\":\"virtio-rng\""), "%s", s);
	api_vm_ops.counters(&ctx, &vm, c);
	s = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	TEST_ASSERT(strstr(s, "{\"id\":0,\"exits\":10,\"io\":6,\"mmio\":3,\"other\":1}"), "%s", s);
	json_object_put(o);
	json_object_put(c);
}
