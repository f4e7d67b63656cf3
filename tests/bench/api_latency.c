// SPDX-License-Identifier: GPL-2.0
/*
 * GET /vm latency on the control socket: N requests on one keep-alive
 * connection, each timed from send to the whole answer; prints
 * "BENCH api_get_vm n=N median_us=M p99_us=P max_us=X".
 *   api_latency SOCKET [N]   against a running vmm (its run loop serves)
 *   api_latency [N]          against the same server code and the real
 *                            VM operations on a hand-built VM (no /dev/kvm),
 *                            served by a thread that loops as vm_run() does
 *   api_latency SOCKET N pause
 *                            N x (PUT /vm/pause, PUT /vm/resume) on a running
 *                            vmm: each answer comes once every vcpu is out of
 *                            KVM_RUN (pause) or released (resume); prints
 *                            "BENCH api_pause ..." and "BENCH api_resume ..."
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "run/api_server.h"
#include "run/api_socket.h"
#include "run/api_vm.h"
#include "util/http.h"
#include "vcpu/vcpu.h"
#include "util/clock.h"

static volatile int stop_serving;

static void *serve(void *arg)
{
	struct api_server *s = ((void **)arg)[0];
	struct vm *vm = ((void **)arg)[1];

	while (!stop_serving) {
		struct pollfd pfd[RUN_HOOK_MAX_FDS];
		int timeout = 50;
		unsigned int n = api_server_prepare(s, pfd, RUN_HOOK_MAX_FDS, &timeout);

		if (poll(pfd, n, timeout) >= 0)
			api_server_ready(s, vm, pfd, n);
	}
	return NULL;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One request on @fd, timed from send to the whole answer: microseconds, or < 0. */
static double timed(int fd, const char *req, int want)
{
	char buf[8192];
	double t0 = now_us();
	size_t len = 0, blen;
	const char *body;
	int status = 0, r = 1;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return -1;
	while (r == 1) {
		ssize_t k = recv(fd, buf + len, sizeof(buf) - len, 0);

		if (k <= 0)
			return -1;
		len += k;
		r = http_parse_response(buf, len, false, &status, &body, &blen);
	}
	if (r || status != want) {
		fprintf(stderr, "api_latency: answer %d to %.*s\n", status, 20, req);
		return -1;
	}
	return now_us() - t0;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, n, sizeof(*t), cmp);
	printf("BENCH %s n=%d median_us=%.1f p99_us=%.1f max_us=%.1f\n", what, n, t[n / 2],
	       t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], t[n - 1]);
}

/* N pause/resume pairs on a running vmm. */
static int pause_bench(int fd, int n)
{
	static const char pause[] = "PUT /vm/pause HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char resume[] = "PUT /vm/resume HTTP/1.1\r\nHost: localhost\r\n\r\n";
	double *p = calloc(n, sizeof(*p)), *r = calloc(n, sizeof(*r));

	for (int i = 0; p && r && i < n; i++) {
		p[i] = timed(fd, pause, 200);
		r[i] = timed(fd, resume, 200);
		if (p[i] < 0 || r[i] < 0)
			return 1;
		usleep(1000);	/* let the vcpus run between pairs */
	}
	if (!p || !r)
		return 1;
	report("api_pause", p, n);
	report("api_resume", r, n);
	free(p);
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const char req[] = "GET /vm HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const struct api_limits lim = API_LIMITS_DEFAULT;
	char path[128];
	int n = 1000, fd;
	double *t;
	pthread_t th;
	struct vm_config cfg;
	struct vm vm;
	struct vcpu v0 = { 0 };
	struct vcpu *vcpus[] = { &v0 };
	struct api_vm_ctx ctx = { .name = "bench", .boots = 1 };
	void *arg[2] = { NULL, &vm };
	bool own = argc < 2 || strspn(argv[1], "0123456789") == strlen(argv[1]);

	if (own) {
		const char *why;
		int lfd;

		n = argc > 1 ? atoi(argv[1]) : n;
		snprintf(path, sizeof(path), "/tmp/vmm-api-bench.%d.sock", (int)getpid());
		config_defaults(&cfg);
		memset(&vm, 0, sizeof(vm));
		vm.cfg = &cfg;
		vm.vcpus = vcpus;
		vm.nr_vcpus = 1;
		vm.state = VM_STATE_RUNNING;
		clock_mark_start();
		ctx.socket_path = path;
		lfd = api_socket_listen(path, &why);
		if (lfd < 0) {
			fprintf(stderr, "api_latency: %s: %s\n", path, why);
			return 1;
		}
		arg[0] = api_server_create(lfd, &lim, &api_vm_ops, &ctx);
		pthread_create(&th, NULL, serve, arg);
	} else {
		snprintf(path, sizeof(path), "%s", argv[1]);
		n = argc > 2 ? atoi(argv[2]) : n;
	}
	if (n < 1)
		n = 1;
	t = calloc(n, sizeof(*t));
	fd = api_socket_connect(path);
	if (fd < 0 || !t) {
		fprintf(stderr, "api_latency: cannot connect to %s\n", path);
		return 1;
	}
	if (!own && argc > 3 && !strcmp(argv[3], "pause"))
		return pause_bench(fd, n);
	for (int i = 0; i < n; i++) {
		t[i] = timed(fd, req, 200);
		if (t[i] < 0)
			return 1;
	}
	report("api_get_vm", t, n);
	close(fd);
	if (own) {
		stop_serving = 1;
		pthread_join(th, NULL);
		api_server_destroy(arg[0]);
		api_socket_remove();
	}
	free(t);
	return 0;
}
