// SPDX-License-Identifier: GPL-2.0
/* virtio-net over a tap device with the vnet header passed through. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "devices/virtio/net.h"
#include "util/log.h"

#define NET_RXQ		0
#define NET_TXQ		1
#define NET_CHAIN_MAX	64	/* descriptors in one chain */
#define NET_TX_BUDGET	256	/* frames per tx pass before yielding to rx */
#define NET_RX_BUDGET	256	/* frames per rx pass */
#define NET_RX_BUF	(VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)

#define NET_FEATURES	((1ULL << VIRTIO_NET_F_MAC) |		\
			 (1ULL << VIRTIO_NET_F_STATUS) |	\
			 (1ULL << VIRTIO_NET_F_MRG_RXBUF) |	\
			 (1ULL << VIRTIO_NET_F_CSUM) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_CSUM) |	\
			 (1ULL << VIRTIO_NET_F_HOST_TSO4) |	\
			 (1ULL << VIRTIO_NET_F_HOST_TSO6) |	\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |	\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO6))

struct virtio_net {
	struct virtio_dev *dev;
	int fd;
	bool is_tap;
	char ifname[IFNAMSIZ];
	u8 mac[6];
	bool mrg;		/* negotiated VIRTIO_NET_F_MRG_RXBUF */
	bool rx_watching;	/* the fd is in the epoll set */
	size_t rx_len;		/* a frame waiting in rx_buf (0: none) */
	unsigned int nr_errors;
	struct iovec iov[NET_CHAIN_MAX];
	struct iovec first_iov[NET_CHAIN_MAX];	/* rx: the first chain of a frame */
	u16 heads[VIRTIO_NET_QUEUE_SIZE];
	u32 lens[VIRTIO_NET_QUEUE_SIZE];
	u8 rx_buf[NET_RX_BUF];
};

/* ---- options ---- */

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	if (mac[0] & 1)		/* multicast: no NIC has such an address */
		return -EINVAL;
	return 0;
}

int virtio_net_parse_opts(const char *arg, struct virtio_net_opts *o, const char **why)
{
	const char *p = arg, *comma;
	size_t len;

	memset(o, 0, sizeof(*o));
	if (!strcmp(arg, "none")) {
		o->mode = VIRTIO_NET_NONE;
		return 0;
	}
	comma = strchr(p, ',');
	len = comma ? (size_t)(comma - p) : strlen(p);
	if (len != 3 || strncmp(p, "tap", 3)) {
		*why = "expected tap[,ifname=NAME][,mac=MAC] or none";
		return -EINVAL;
	}
	o->mode = VIRTIO_NET_TAP;
	while (comma) {
		char opt[64];

		p = comma + 1;
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(opt)) {
			*why = "option too long";
			return -EINVAL;
		}
		memcpy(opt, p, len);
		opt[len] = 0;
		if (!strncmp(opt, "ifname=", 7)) {
			const char *name = opt + 7;

			if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
			    strpbrk(name, " \t\n:") || !strcmp(name, ".") || !strcmp(name, "..")) {
				*why = "ifname: expected an interface name of 1 to 15 characters";
				return -EINVAL;
			}
			strcpy(o->ifname, name);
		} else if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, o->mac) < 0) {
				*why = "mac: expected a unicast address like 52:54:00:12:34:56";
				return -EINVAL;
			}
			o->has_mac = true;
		} else {
			*why = "unknown net option (expected ifname=NAME or mac=MAC)";
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- tx: guest to fd ---- */

static void net_tx(struct virtio_net *n, struct virtq *vq)
{
	struct virtq_chain c = { .cap = NET_CHAIN_MAX, .iov = n->iov };
	unsigned int done = 0;
	bool pushed = false;
	int r;

	do {
		virtq_disable_notify(vq);
		while (done < NET_TX_BUDGET && (r = virtq_pop(vq, &c)) > 0) {
			ssize_t w;

			/* 5.1.6.2: header then frame, all device-readable. */
			if (c.nr_out != c.nr || c.out_len < VIRTIO_NET_HDR_LEN ||
			    c.out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME) {
				virtq_set_broken(vq, "malformed tx chain");
				goto out;
			}
			do {
				w = writev(n->fd, c.iov, c.nr_out);
			} while (w < 0 && errno == EINTR);
			/* A full or refusing host side drops the frame, as a wire would. */
			if (w < 0 && n->nr_errors++ < 8)
				log_warn("virtio-net: tx: %s (frame dropped)", strerror(errno));
			virtq_push(vq, c.head, 0);
			pushed = true;
			done++;
		}
		if (r < 0)
			goto out;
		if (done == NET_TX_BUDGET) {
			/* More to do: come back after rx had its turn. */
			virtio_dev_kick(n->dev, NET_TXQ);
			goto out;
		}
	} while (virtq_enable_notify(vq));
out:
	if (pushed)
		virtio_notify_used(n->dev, vq);
}

/* ---- rx: fd to guest ---- */

static void rx_watch(struct virtio_net *n, bool on)
{
	if (n->rx_watching == on)
		return;
	if (virtio_dev_watch_enable(n->dev, n->fd, on) == 0)
		n->rx_watching = on;
}

/*
 * Put the frame in rx_buf into rx chains: 1 delivered, 0 no (or not
 * enough) buffers yet, -1 the queue is broken.
 */
static int rx_deliver(struct virtio_net *n, struct virtq *vq)
{
	struct virtq_chain c = { .cap = NET_CHAIN_MAX, .iov = n->iov };
	unsigned int nr = 0, first_nr = 0;
	size_t off = 0;
	u16 num;
	int r;

	while (off < n->rx_len) {
		size_t got;

		if (nr == VIRTIO_NET_QUEUE_SIZE) {
			r = 0;		/* a frame in more buffers than a queue holds */
			goto undo;
		}
		r = virtq_pop(vq, &c);
		if (r <= 0)
			goto undo;
		if (c.nr_out || c.in_len < (nr ? 1 : VIRTIO_NET_HDR_LEN)) {
			virtq_set_broken(vq, "malformed rx chain");
			return -1;
		}
		if (!nr) {
			first_nr = c.nr;
			memcpy(n->first_iov, c.iov, c.nr * sizeof(c.iov[0]));
		}
		if (!n->mrg && c.in_len < n->rx_len) {
			/* Without MRG_RXBUF a frame needs one chain: this one cannot take it. */
			if (n->nr_errors++ < 8)
				log_warn("virtio-net: rx: %zu-byte frame in a %llu-byte buffer: dropped",
					 n->rx_len, (unsigned long long)c.in_len);
			virtq_unpop(vq, 1);
			n->rx_len = 0;
			return 1;
		}
		got = iov_from_buf(c.iov, c.nr, 0, n->rx_buf + off, n->rx_len - off);
		n->heads[nr] = c.head;
		n->lens[nr] = got;
		nr++;
		off += got;
	}
	/* 5.1.6.3.1: num_buffers, 1 without MRG_RXBUF. */
	num = nr;
	iov_from_buf(n->first_iov, first_nr, offsetof(struct virtio_net_hdr_v1, num_buffers),
		     &num, sizeof(num));
	for (unsigned int i = 0; i < nr; i++)
		virtq_push(vq, n->heads[i], n->lens[i]);
	n->rx_len = 0;
	return 1;
undo:
	virtq_unpop(vq, nr);
	return r < 0 ? -1 : 0;
}

static bool net_live(const struct virtio_net *n)
{
	const struct virtio_dev *d = n->dev;

	return (d->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(d->status & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)) &&
	       d->vqs[NET_RXQ].ready && !d->vqs[NET_RXQ].broken;
}

static void net_rx(struct virtio_net *n)
{
	struct virtq *vq = &n->dev->vqs[NET_RXQ];
	bool pushed = false;

	if (!net_live(n)) {
		/* The rx kick at DRIVER_OK (or after the reset) resumes. */
		rx_watch(n, false);
		return;
	}
	for (unsigned int i = 0; i < NET_RX_BUDGET; i++) {
		int r;

		if (!n->rx_len) {
			ssize_t got = read(n->fd, n->rx_buf, sizeof(n->rx_buf));

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;		/* EAGAIN: drained */
			if (got < VIRTIO_NET_HDR_LEN + 14)
				continue;	/* not a frame */
			n->rx_len = got;
		}
		virtq_disable_notify(vq);
		r = rx_deliver(n, vq);
		if (r == 0 && virtq_enable_notify(vq))
			r = rx_deliver(n, vq);	/* buffers came meanwhile */
		if (r < 0) {
			rx_watch(n, false);
			virtio_dev_needs_reset(n->dev, vq->why ? vq->why : "malformed rx queue");
			break;
		}
		if (r == 0) {
			/* No room: keep the frame, wait for the driver's kick. */
			rx_watch(n, false);
			break;
		}
		pushed = true;
		rx_watch(n, true);
	}
	virtq_enable_notify(vq);
	if (pushed)
		virtio_notify_used(n->dev, vq);
}

static void net_fd_readable(void *arg)
{
	net_rx(arg);
}

static void net_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_net *n = opaque;

	if (vq->index == NET_TXQ) {
		net_tx(n, vq);
		return;
	}
	/* New rx buffers: deliver what waits, then listen again. */
	rx_watch(n, true);
	net_rx(n);
}

/* ---- the rest of the device ---- */

static u64 net_features(void *opaque)
{
	(void)opaque;
	return NET_FEATURES;
}

static int net_set_features(void *opaque, u64 f)
{
	struct virtio_net *n = opaque;
	unsigned int off = 0;

	n->mrg = f & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	/* What the tap may hand us is what the guest said it accepts. */
	if (f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (n->is_tap && ioctl(n->fd, TUNSETOFFLOAD, off) < 0) {
		log_warn("virtio-net: TUNSETOFFLOAD 0x%x: %s", off, strerror(errno));
		return -errno;
	}
	return 0;
}

static void net_config_read(void *opaque, u32 offset, u8 *data, u32 len)
{
	struct virtio_net *n = opaque;
	struct virtio_net_config cfg = { .status = VIRTIO_NET_S_LINK_UP,
					 .max_virtqueue_pairs = 1 };

	memcpy(cfg.mac, n->mac, 6);
	memcpy(data, (u8 *)&cfg + offset, len);
}

static void net_reset(void *opaque)
{
	struct virtio_net *n = opaque;

	n->rx_len = 0;
	n->mrg = false;
	/* Until the next driver says what it accepts: plain frames only. */
	if (n->is_tap && ioctl(n->fd, TUNSETOFFLOAD, 0) < 0)
		log_debug("virtio-net: TUNSETOFFLOAD 0: %s", strerror(errno));
}

static int net_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_net *n = opaque;
	int r;

	n->dev = dev;
	r = virtio_dev_watch(dev, n->fd, net_fd_readable, n);
	if (r < 0)
		return r;
	n->rx_watching = true;
	return 0;
}

const struct virtio_dev_ops virtio_net_ops = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.features = net_features,
	.set_features = net_set_features,
	.config_size = offsetof(struct virtio_net_config, mtu),
	.config_read = net_config_read,
	.nr_queues = 2,
	.max_queue_size = VIRTIO_NET_QUEUE_SIZE,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.attach = net_attach,
};

static void random_mac(u8 mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6);
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
}

struct virtio_net *virtio_net_create_fd(int fd, const u8 mac[6])
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->fd = fd;
	if (mac)
		memcpy(n->mac, mac, 6);
	else
		random_mac(n->mac);
	return n;
}

struct virtio_net *virtio_net_create(const struct virtio_net_opts *o, int *err,
				     const char **why)
{
	static char msg[128];
	struct virtio_net *n;
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
	n = virtio_net_create_fd(fd, o->has_mac ? o->mac : NULL);
	if (!n) {
		close(fd);
		*err = -ENOMEM;
		*why = "out of memory";
		return NULL;
	}
	n->is_tap = true;
	memcpy(n->ifname, ifr.ifr_name, IFNAMSIZ);
	n->ifname[IFNAMSIZ - 1] = 0;
	/* Bring the link up, or the host drops what the guest sends; best effort. */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock >= 0) {
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
				log_debug("virtio-net: %s: cannot bring it up: %s", n->ifname,
					  strerror(errno));
		}
		close(sock);
	}
	return n;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}

const char *virtio_net_ifname(const struct virtio_net *n)
{
	return n->ifname;
}

void virtio_net_mac(const struct virtio_net *n, u8 mac[6])
{
	memcpy(mac, n->mac, 6);
}
