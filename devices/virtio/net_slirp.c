// SPDX-License-Identifier: GPL-2.0
/*
 * The user-mode backend: libslirp's TCP/IP stack, run on the device's I/O
 * thread.
 *
 * libslirp does no I/O of its own: slirp_pollfds_fill() says which of its
 * sockets it wants polled (and how soon it wants to be called again, for TCP
 * timers), slirp_pollfds_poll() does the socket work, slirp_input() takes a
 * frame from the guest, and send_packet() hands us frames for the guest.
 * Here:
 * - slirp's sockets live in an epoll set of our own (@epfd), refreshed after
 *   every pass; the device's epoll watches @epfd, which is readable when any
 *   of them is. Which ones are ready, and how, comes from a zero-timeout
 *   poll() on the set the last fill asked for (what slirp_pollfds_poll wants
 *   to see, index by index).
 * - a timerfd (@tfd) is armed for the earlier of slirp's own timers and the
 *   timeout the fill returned (at most 1 s: slirp wants a regular call).
 * - a pass (poll, slirp_pollfds_poll, timers, fill, re-arm) runs when either
 *   fd fires, and after each batch of guest frames.
 * - frames for the guest wait in a short queue until the device copies them
 *   into rx buffers. With the guest giving no buffers, frames past
 *   NET_SLIRP_RXQ_MAX are dropped and counted, as a NIC with a full ring does:
 *   slirp's TCP retransmits (and keeps to the guest's window anyway), a UDP
 *   datagram is lost as on a wire.
 *
 * libslirp keeps a few process-wide variables (its clock among them), so
 * with two user-mode devices their I/O threads take turns through
 * slirp_mutex; within a device, the device lock already serialises us.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/net_backend.h"
#include "util/log.h"

#ifdef VMM_HAVE_SLIRP
#include <slirp/libslirp.h>

/*
 * The six libslirp calls we make. The dynamic build loads libslirp (and
 * GLib under it) on the first --net user only: mapped and initialised at
 * start-up they cost every VM about 1 MiB of RSS, used or not.
 */
struct slirp_lib {
	__typeof__(slirp_new) *new;
	__typeof__(slirp_cleanup) *cleanup;
	__typeof__(slirp_input) *input;
	__typeof__(slirp_pollfds_fill) *pollfds_fill;
	__typeof__(slirp_pollfds_poll) *pollfds_poll;
	__typeof__(slirp_add_hostfwd) *add_hostfwd;
};

#ifdef VMM_SLIRP_DLOPEN
#include <dlfcn.h>

#define SLIRP_SONAME	"libslirp.so.0"

static struct slirp_lib lib;
static const char *lib_error;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void slirp_lib_open(void)
{
	static char msg[256];
	void *h = dlopen(SLIRP_SONAME, RTLD_NOW | RTLD_LOCAL);
	struct {
		void **fn;
		const char *name;
	} syms[] = {
		{ (void **)&lib.new, "slirp_new" },
		{ (void **)&lib.cleanup, "slirp_cleanup" },
		{ (void **)&lib.input, "slirp_input" },
		{ (void **)&lib.pollfds_fill, "slirp_pollfds_fill" },
		{ (void **)&lib.pollfds_poll, "slirp_pollfds_poll" },
		{ (void **)&lib.add_hostfwd, "slirp_add_hostfwd" },
	};

	if (!h) {
		snprintf(msg, sizeof(msg), "cannot load %s (Debian package libslirp0): %s",
			 SLIRP_SONAME, dlerror());
		lib_error = msg;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].fn = dlsym(h, syms[i].name);
		if (!*syms[i].fn) {
			snprintf(msg, sizeof(msg), "%s has no %s", SLIRP_SONAME, syms[i].name);
			lib_error = msg;
			return;
		}
	}
}

/* NULL once libslirp is usable, else why not. */
static const char *slirp_lib_load(void)
{
	pthread_once(&lib_once, slirp_lib_open);
	return lib_error;
}
#else
static const struct slirp_lib lib = {
	slirp_new, slirp_cleanup, slirp_input, slirp_pollfds_fill, slirp_pollfds_poll,
	slirp_add_hostfwd,
};

static const char *slirp_lib_load(void)
{
	return NULL;
}
#endif

/* QEMU's -netdev user defaults, which guests and users know. */
#define USER_NET	"10.0.2.0"
#define USER_MASK	"255.255.255.0"
#define USER_HOST	"10.0.2.2"
#define USER_DNS	"10.0.2.3"
#define USER_DHCP	"10.0.2.15"

struct slirp_frame {
	struct slirp_frame *next;
	size_t len;
	u8 data[];
};

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	s64 expire_ms;		/* -1: not armed */
};

struct net_slirp {
	struct net_backend b;	/* first: the device holds &b */
	Slirp *slirp;
	int epfd;		/* slirp's sockets */
	int tfd;		/* slirp's next timeout */
	/* What the last fill asked for: index = what add_poll returned. */
	struct pollfd *pfd;
	unsigned int nr_pfd, cap_pfd;
	/* The fds in @epfd, and per fd the pass that last wanted it. */
	int *reg;
	unsigned int nr_reg, cap_reg;
	u32 *stamp;
	unsigned int nr_stamp;
	u32 pass;
	struct slirp_timer *timers;
	struct slirp_frame *rxq, **rxq_tail;
	unsigned int rxq_len;
	unsigned long long rx_dropped;
	unsigned int nr_errors;
	u8 tx_buf[VIRTIO_NET_MAX_FRAME];
};

static pthread_mutex_t slirp_mutex = PTHREAD_MUTEX_INITIALIZER;

static struct net_slirp *to_slirp(struct net_backend *b)
{
	return (struct net_slirp *)b;
}

static s64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- libslirp's callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_frame *f;

	if (s->rxq_len >= NET_SLIRP_RXQ_MAX || len > VIRTIO_NET_MAX_FRAME ||
	    !(f = malloc(sizeof(*f) + len))) {
		if (!s->rx_dropped++)
			log_debug("virtio-net: user: no rx buffers, dropping frames");
		return len;
	}
	f->next = NULL;
	f->len = len;
	memcpy(f->data, buf, len);
	*s->rxq_tail = f;
	s->rxq_tail = &f->next;
	s->rxq_len++;
	return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->nr_errors++ < 8)
		log_warn("virtio-net: user: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->expire_ms = expire_ms;
}

/* Our poll set is rebuilt from every fill: nothing to do per socket. */
static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
};

/* ---- polling ---- */

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	struct pollfd *p;

	if (s->nr_pfd == s->cap_pfd) {
		unsigned int cap = s->cap_pfd ? 2 * s->cap_pfd : 16;

		p = realloc(s->pfd, cap * sizeof(*p));
		if (!p)
			return -1;	/* not polled this time */
		s->pfd = p;
		s->cap_pfd = cap;
	}
	p = &s->pfd[s->nr_pfd];
	p->fd = fd;
	p->events = (events & SLIRP_POLL_IN ? POLLIN : 0) |
		    (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
		    (events & SLIRP_POLL_PRI ? POLLPRI : 0);
	p->revents = 0;
	return s->nr_pfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short r;

	if (idx < 0 || (unsigned int)idx >= s->nr_pfd)
		return 0;
	r = s->pfd[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static bool stamp_fit(struct net_slirp *s, int fd)
{
	unsigned int nr;
	u32 *st;

	if ((unsigned int)fd < s->nr_stamp)
		return true;
	nr = MAX((unsigned int)fd + 1, 2 * s->nr_stamp);
	st = realloc(s->stamp, nr * sizeof(*st));
	if (!st)
		return false;
	memset(st + s->nr_stamp, 0, (nr - s->nr_stamp) * sizeof(*st));
	s->stamp = st;
	s->nr_stamp = nr;
	return true;
}

/*
 * Make @epfd hold exactly the fds of the last fill. Every one is MODded
 * (ADDed if absent): a number slirp closed and reused since is a new file
 * to epoll, which dropped the old one at close. Ones no longer wanted go.
 */
static void epoll_sync(struct net_slirp *s)
{
	unsigned int nr = 0;

	if (++s->pass == 0)
		s->pass = 1;	/* 0 means "never" */
	if (s->cap_reg < s->cap_pfd) {
		int *r = realloc(s->reg, s->cap_pfd * sizeof(*r));

		if (!r)
			return;	/* as it was; the 1 s timer still comes */
		s->reg = r;
		s->cap_reg = s->cap_pfd;
	}
	for (unsigned int i = 0; i < s->nr_pfd; i++) {
		struct pollfd *p = &s->pfd[i];
		struct epoll_event ev = { .data.fd = p->fd };

		if (!stamp_fit(s, p->fd))
			continue;
		ev.events = (p->events & POLLIN ? EPOLLIN : 0) |
			    (p->events & POLLOUT ? EPOLLOUT : 0) |
			    (p->events & POLLPRI ? EPOLLPRI : 0);
		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0 &&
		    (errno != ENOENT || epoll_ctl(s->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)) {
			if (s->nr_errors++ < 8)
				log_warn("virtio-net: user: cannot watch fd %d: %s", p->fd,
					 strerror(errno));
			continue;
		}
		s->stamp[p->fd] = s->pass;
	}
	for (unsigned int i = 0; i < s->nr_reg; i++) {
		int fd = s->reg[i];

		/* Closed fds left by themselves: ENOENT/EBADF is fine. */
		if (s->stamp[fd] != s->pass)
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	for (unsigned int i = 0; i < s->nr_pfd; i++)
		if ((unsigned int)s->pfd[i].fd < s->nr_stamp &&
		    s->stamp[s->pfd[i].fd] == s->pass)
			s->reg[nr++] = s->pfd[i].fd;
	s->nr_reg = nr;
}

static void timers_run(struct net_slirp *s)
{
	s64 now = now_ns() / 1000000;

	/* A callback may add, free or re-arm timers: rescan after each. */
	for (int n = 0; n < 64; n++) {
		struct slirp_timer *t = s->timers;

		while (t && (t->expire_ms < 0 || t->expire_ms > now))
			t = t->next;
		if (!t)
			return;
		t->expire_ms = -1;
		t->cb(t->cb_opaque);
	}
}

/* Ask slirp what to watch and when to come back; watch it. */
static void slirp_arm(struct net_slirp *s)
{
	uint32_t timeout = UINT32_MAX;
	struct itimerspec its = { 0 };
	s64 next;

	s->nr_pfd = 0;
	lib.pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
	epoll_sync(s);
	next = now_ns() / 1000000 + MIN(timeout, 1000u);
	for (struct slirp_timer *t = s->timers; t; t = t->next)
		if (t->expire_ms >= 0 && t->expire_ms < next)
			next = t->expire_ms;
	/* Absolute, on the clock slirp reads: a time passed fires at once. */
	its.it_value.tv_sec = next / 1000;
	its.it_value.tv_nsec = next % 1000 * 1000000 + 1;
	if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0 && s->nr_errors++ < 8)
		log_warn("virtio-net: user: timerfd: %s", strerror(errno));
}

/* Socket work, timers, then the next fill; frames produced go to the device. */
static void slirp_pass(struct net_slirp *s)
{
	int r = 0;

	pthread_mutex_lock(&slirp_mutex);
	if (s->nr_pfd)
		r = poll(s->pfd, s->nr_pfd, 0);
	lib.pollfds_poll(s->slirp, r < 0, cb_get_revents, s);
	timers_run(s);
	slirp_arm(s);
	pthread_mutex_unlock(&slirp_mutex);
	if (s->rxq)
		s->b.rx_ready(s->b.rx_arg);
}

static void slirp_sockets_ready(void *arg)
{
	slirp_pass(arg);
}

static void slirp_timer_fired(void *arg)
{
	struct net_slirp *s = arg;
	u64 n;

	if (read(s->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN && s->nr_errors++ < 8)
		log_warn("virtio-net: user: timerfd: %s", strerror(errno));
	slirp_pass(s);
}

/* ---- the backend ---- */

static int slirp_attach(struct net_backend *b, struct virtio_dev *dev)
{
	struct net_slirp *s = to_slirp(b);
	int r;

	r = virtio_dev_watch(dev, s->epfd, slirp_sockets_ready, s);
	if (r < 0)
		return r;
	r = virtio_dev_watch(dev, s->tfd, slirp_timer_fired, s);
	if (r < 0)
		return r;
	/* The host forwards listen already: watch them from the start. */
	pthread_mutex_lock(&slirp_mutex);
	slirp_arm(s);
	pthread_mutex_unlock(&slirp_mutex);
	return 0;
}

/*
 * An IPv4 fragment (More Fragments, or an offset). libslirp 4.7 (Debian
 * bookworm's) crashes the process on a last fragment that arrives with no
 * reassembly under way for it (one 58-byte frame from the guest does it;
 * fuzz_slirp found it), and which ones those are only libslirp knows. So
 * none go in: TCP is not affected (guests set DF and keep to the MSS), a
 * datagram larger than the MTU is lost as on a path that drops fragments.
 */
static bool ipv4_fragment(const u8 *f, size_t len)
{
	return len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00 && (f[14] >> 4) == 4 &&
	       ((f[14 + 6] << 8 | f[14 + 7]) & 0x3fff);
}

static void slirp_send(struct net_backend *b, const struct iovec *iov, unsigned int nr)
{
	struct net_slirp *s = to_slirp(b);
	size_t len = 0;

	for (unsigned int i = 0; i < nr; i++)
		len += iov[i].iov_len;
	if (len < 14 || len > sizeof(s->tx_buf)) {
		if (s->nr_errors++ < 8)
			log_warn("virtio-net: user: tx: %zu-byte frame dropped", len);
		return;
	}
	iov_to_buf(iov, nr, 0, s->tx_buf, len);
	if (ipv4_fragment(s->tx_buf, len)) {
		if (s->nr_errors++ < 8)
			log_warn("virtio-net: user: tx: IPv4 fragment dropped");
		return;
	}
	pthread_mutex_lock(&slirp_mutex);
	lib.input(s->slirp, s->tx_buf, len);
	pthread_mutex_unlock(&slirp_mutex);
}

/* What the frames started (a new socket, an ARP reply) is taken care of now. */
static void slirp_tx_done(struct net_backend *b)
{
	slirp_pass(to_slirp(b));
}

static ssize_t slirp_recv(struct net_backend *b, u8 *buf, size_t len)
{
	struct net_slirp *s = to_slirp(b);
	struct slirp_frame *f = s->rxq;
	ssize_t got;

	if (!f)
		return 0;
	s->rxq = f->next;
	if (!s->rxq)
		s->rxq_tail = &s->rxq;
	s->rxq_len--;
	got = MIN(f->len, len);
	memcpy(buf, f->data, got);
	free(f);
	return got;
}

static void rxq_clear(struct net_slirp *s)
{
	while (s->rxq) {
		struct slirp_frame *f = s->rxq;

		s->rxq = f->next;
		free(f);
	}
	s->rxq_tail = &s->rxq;
	s->rxq_len = 0;
}

static void slirp_reset(struct net_backend *b)
{
	rxq_clear(to_slirp(b));
}

/*
 * Between guests no thread runs slirp: its sockets (the host forwards
 * among them) stay open, connections to the old guest time out or are
 * reset by the next one, as on a wire.
 */
static void slirp_detach(struct net_backend *b)
{
	rxq_clear(to_slirp(b));
}

static void slirp_destroy(struct net_backend *b)
{
	struct net_slirp *s = to_slirp(b);

	/* libslirp's process-wide state: another device's thread may be inside. */
	if (s->slirp) {
		pthread_mutex_lock(&slirp_mutex);
		lib.cleanup(s->slirp);
		pthread_mutex_unlock(&slirp_mutex);
	}
	while (s->timers) {
		struct slirp_timer *t = s->timers;

		s->timers = t->next;
		free(t);
	}
	rxq_clear(s);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->rx_dropped)
		log_debug("virtio-net: user: %llu frames dropped for want of rx buffers",
			  s->rx_dropped);
	free(s->pfd);
	free(s->reg);
	free(s->stamp);
	free(s);
}

static void slirp_dump(struct net_backend *b, FILE *f)
{
	struct net_slirp *s = to_slirp(b);

	fprintf(f, "  user: frames_waiting=%u (of %d) frames_dropped=%llu sockets=%u\n",
		s->rxq_len, NET_SLIRP_RXQ_MAX, s->rx_dropped, s->nr_reg);
}

static const struct net_backend_ops slirp_ops = {
	.vnet_hdr = false,
	.attach = slirp_attach,
	.send = slirp_send,
	.tx_done = slirp_tx_done,
	.recv = slirp_recv,
	.reset = slirp_reset,
	.detach = slirp_detach,
	.dump = slirp_dump,
	.destroy = slirp_destroy,
};

static int add_hostfwd(struct net_slirp *s, const struct virtio_net_hostfwd *f,
		       const char **why)
{
	static __thread char msg[160];
	char host[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN] = "";
	int err;

	errno = 0;
	if (!lib.add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
			       f->guest_port))
		return 0;
	err = errno ? errno : EADDRINUSE;
	inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
	if (f->guest_addr.s_addr)
		inet_ntop(AF_INET, &f->guest_addr, guest, sizeof(guest));
	snprintf(msg, sizeof(msg), "hostfwd=%s:%s:%u-%s:%u: cannot listen on the host: %s",
		 f->udp ? "udp" : "tcp", f->host_addr.s_addr ? host : "", f->host_port, guest,
		 f->guest_port, strerror(err));
	*why = msg;
	return -err;
}

struct net_backend *net_slirp_create(const struct virtio_net_opts *o, int *err,
				     const char **why)
{
	/*
	 * restricted: libslirp answers DHCP (and TFTP) and pings of 10.0.2.2/.3
	 * itself, but makes no host socket for anything the guest starts (TCP
	 * gets a RST, UDP is dropped, DNS included); host forwards still
	 * work. disable_host_loopback: 10.0.2.2 is not mapped to the host's
	 * 127.0.0.1 (connections to it fail).
	 */
	SlirpConfig cfg = {
		.version = 4,
		.in_enabled = true,
		.restricted = o->restrict_guest,
		.disable_host_loopback = o->no_host_loopback,
	};
	struct net_slirp *s;

	*why = slirp_lib_load();
	if (*why) {
		*err = -ENOENT;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		*why = "out of memory";
		return NULL;
	}
	s->b.ops = &slirp_ops;
	s->rxq_tail = &s->rxq;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->epfd < 0 || s->tfd < 0) {
		*err = -errno;
		*why = s->epfd < 0 ? "epoll_create1 failed" : "timerfd_create failed";
		goto fail;
	}
	inet_pton(AF_INET, USER_NET, &cfg.vnetwork);
	inet_pton(AF_INET, USER_MASK, &cfg.vnetmask);
	inet_pton(AF_INET, USER_HOST, &cfg.vhost);
	inet_pton(AF_INET, USER_DHCP, &cfg.vdhcp_start);
	inet_pton(AF_INET, USER_DNS, &cfg.vnameserver);
	/* Single-threaded still: no I/O thread runs slirp yet. */
	s->slirp = lib.new(&cfg, &slirp_cbs, s);
	if (!s->slirp) {
		*err = -ENOMEM;
		*why = "libslirp refused its configuration";
		goto fail;
	}
	for (unsigned int i = 0; i < o->nr_hostfwd; i++) {
		*err = add_hostfwd(s, &o->hostfwd[i], why);
		if (*err < 0)
			goto fail;
	}
	return &s->b;
fail:
	slirp_destroy(&s->b);
	return NULL;
}

#else /* !VMM_HAVE_SLIRP */

struct net_backend *net_slirp_create(const struct virtio_net_opts *o, int *err,
				     const char **why)
{
	*err = -ENOTSUP;
	*why = "user: this vmm is built without libslirp (no user-mode networking)";
	return NULL;
}

#endif
