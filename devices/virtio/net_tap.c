// SPDX-License-Identifier: GPL-2.0
/* The tap backend: frames with their vnet header on a tap (or any packet fd). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "devices/virtio/net_backend.h"
#include "util/log.h"

struct net_tap {
	struct net_backend b;	/* first: the device holds &b */
	struct virtio_dev *dev;
	int fd;
	bool is_tap;		/* a real tap: TUNSETOFFLOAD applies */
	bool watching;		/* the fd is in the epoll set */
	unsigned int nr_errors;
};

static struct net_tap *to_tap(struct net_backend *b)
{
	return (struct net_tap *)b;
}

static void tap_readable(void *arg)
{
	struct net_tap *t = arg;

	t->b.rx_ready(t->b.rx_arg);
}

static int tap_attach(struct net_backend *b, struct virtio_dev *dev)
{
	struct net_tap *t = to_tap(b);
	int r;

	t->dev = dev;
	r = virtio_dev_watch(dev, t->fd, tap_readable, t);
	if (r < 0)
		return r;
	t->watching = true;
	return 0;
}

static void tap_send(struct net_backend *b, const struct iovec *iov, unsigned int nr)
{
	struct net_tap *t = to_tap(b);
	ssize_t w;

	do {
		w = writev(t->fd, iov, nr);
	} while (w < 0 && errno == EINTR);
	/* A full or refusing host side drops the frame, as a wire would. */
	if (w < 0 && t->nr_errors++ < 8)
		log_warn("virtio-net: tx: %s (frame dropped)", strerror(errno));
}

static ssize_t tap_recv(struct net_backend *b, u8 *buf, size_t len)
{
	struct net_tap *t = to_tap(b);

	for (;;) {
		ssize_t got = read(t->fd, buf, len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;		/* EAGAIN: drained */
		if (got >= VIRTIO_NET_HDR_LEN + 14)
			return got;
		/* not a frame: skip it */
	}
}

static void tap_rx_enable(struct net_backend *b, bool on)
{
	struct net_tap *t = to_tap(b);

	/* Off: what the host sends waits in the tap's queue, not here. */
	if (t->watching != on && virtio_dev_watch_enable(t->dev, t->fd, on) == 0)
		t->watching = on;
}

static int tap_set_offload(struct net_backend *b, unsigned int flags)
{
	struct net_tap *t = to_tap(b);

	if (t->is_tap && ioctl(t->fd, TUNSETOFFLOAD, flags) < 0) {
		log_warn("virtio-net: TUNSETOFFLOAD 0x%x: %s", flags, strerror(errno));
		return -errno;
	}
	return 0;
}

static void tap_detach(struct net_backend *b)
{
	struct net_tap *t = to_tap(b);
	u8 frame[64];		/* a tap read takes the whole frame, whatever fits */

	t->dev = NULL;
	t->watching = false;	/* the device's epoll set is gone */
	t->nr_errors = 0;
	/* The next guest has negotiated nothing yet, nor is what waits its (fd: O_NONBLOCK). */
	tap_set_offload(b, 0);
	while (read(t->fd, frame, sizeof(frame)) > 0)
		;
}

static void tap_dump(struct net_backend *b, FILE *f)
{
	struct net_tap *t = to_tap(b);
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	fprintf(f, "  tap%s%s: watched=%s frames_waiting=%s\n", b->ifname[0] ? " " : "",
		b->ifname, t->watching ? "yes" : "no",
		poll(&p, 1, 0) == 1 && (p.revents & POLLIN) ? "yes" : "no");
}

static void tap_destroy(struct net_backend *b)
{
	struct net_tap *t = to_tap(b);

	close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.vnet_hdr = true,
	.attach = tap_attach,
	.send = tap_send,
	.recv = tap_recv,
	.rx_enable = tap_rx_enable,
	.set_offload = tap_set_offload,
	.detach = tap_detach,
	.dump = tap_dump,
	.destroy = tap_destroy,
};

struct net_backend *net_tap_create_fd(int fd)
{
	struct net_tap *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->b.ops = &tap_ops;
	t->fd = fd;
	return &t->b;
}

struct net_backend *net_tap_create(const struct virtio_net_opts *o, int *err,
				   const char **why)
{
	static char msg[128];
	struct net_backend *b;
	struct ifreq ifr = { 0 };
	int fd, hdr = VIRTIO_NET_HDR_LEN, sock;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		snprintf(msg, sizeof(msg), "/dev/net/tun: %s", strerror(errno));
		*why = msg;
		return NULL;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, o->ifname, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		*err = -errno;
		snprintf(msg, sizeof(msg), "tap '%s': %s", o->ifname[0] ? o->ifname : "tap%d",
			 strerror(errno));
		*why = msg;
		close(fd);
		return NULL;
	}
	b = net_tap_create_fd(fd);
	if (!b) {
		close(fd);
		*err = -ENOMEM;
		*why = "out of memory";
		return NULL;
	}
	to_tap(b)->is_tap = true;
	memcpy(b->ifname, ifr.ifr_name, IFNAMSIZ);
	b->ifname[IFNAMSIZ - 1] = 0;
	/* Bring the link up, or the host drops what the guest sends; best effort. */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock >= 0) {
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
				log_debug("virtio-net: %s: cannot bring it up: %s", b->ifname,
					  strerror(errno));
		}
		close(sock);
	}
	return b;
}
