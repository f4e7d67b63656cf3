// SPDX-License-Identifier: GPL-2.0
/* The virtio-net device: virtqueues on one side, a net backend on the other. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "devices/virtio/net.h"
#include "devices/virtio/net_backend.h"
#include "util/log.h"

#define NET_RXQ		0
#define NET_TXQ		1
#define NET_CHAIN_MAX	64	/* descriptors in one chain */
#define NET_TX_BUDGET	256	/* frames per tx pass before yielding to rx */
#define NET_RX_BUDGET	256	/* frames per rx pass */
#define NET_RX_BUF	(VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)

#define NET_FEATURES	((1ULL << VIRTIO_NET_F_MAC) |		\
			 (1ULL << VIRTIO_NET_F_STATUS) |	\
			 (1ULL << VIRTIO_NET_F_MRG_RXBUF))
/* Only through a vnet header: the host side does the work. */
#define NET_OFFLOADS	((1ULL << VIRTIO_NET_F_CSUM) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_CSUM) |	\
			 (1ULL << VIRTIO_NET_F_HOST_TSO4) |	\
			 (1ULL << VIRTIO_NET_F_HOST_TSO6) |	\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |	\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO6))

struct virtio_net {
	struct virtio_dev *dev;
	struct net_backend *be;
	bool be_borrowed;	/* net_backends.h's: detached, not destroyed, with us */
	u8 mac[6];
	bool mrg;		/* negotiated VIRTIO_NET_F_MRG_RXBUF */
	bool rx_on;		/* the backend may read for the guest */
	size_t rx_len;		/* a frame waiting in rx_buf (0: none) */
	unsigned int nr_errors;
	struct iovec iov[NET_CHAIN_MAX];
	struct iovec first_iov[NET_CHAIN_MAX];	/* rx: the first chain of a frame */
	u16 heads[VIRTIO_NET_QUEUE_SIZE];
	u32 lens[VIRTIO_NET_QUEUE_SIZE];
	u8 rx_buf[NET_RX_BUF];
};

/* ---- tx: guest to backend ---- */

/* Drop the first @skip bytes of @iov (in place); false if it is shorter. */
static bool iov_skip(struct iovec *iov, unsigned int *nr, size_t skip)
{
	unsigned int i = 0;

	while (i < *nr && skip >= iov[i].iov_len)
		skip -= iov[i++].iov_len;
	if (i == *nr)
		return false;
	iov[i].iov_base = (u8 *)iov[i].iov_base + skip;
	iov[i].iov_len -= skip;
	memmove(iov, iov + i, (*nr - i) * sizeof(*iov));
	*nr -= i;
	return true;
}

static void net_tx(struct virtio_net *n, struct virtq *vq)
{
	struct virtq_chain c = { .cap = NET_CHAIN_MAX, .iov = n->iov };
	unsigned int done = 0;
	bool pushed = false;
	int r;

	do {
		virtq_disable_notify(vq);
		while (done < NET_TX_BUDGET && (r = virtq_pop(vq, &c)) > 0) {
			unsigned int nr = c.nr_out;

			/* 5.1.6.2: header then frame, all device-readable. */
			if (c.nr_out != c.nr || c.out_len < VIRTIO_NET_HDR_LEN ||
			    c.out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME) {
				virtq_set_broken(vq, "malformed tx chain");
				goto out;
			}
			if (n->be->ops->vnet_hdr)
				n->be->ops->send(n->be, c.iov, c.nr_out);
			else if (iov_skip(c.iov, &nr, VIRTIO_NET_HDR_LEN))
				n->be->ops->send(n->be, c.iov, nr);
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
	if (done && n->be->ops->tx_done)
		n->be->ops->tx_done(n->be);
}

/* ---- rx: backend to guest ---- */

static void rx_watch(struct virtio_net *n, bool on)
{
	if (n->rx_on == on)
		return;
	n->rx_on = on;
	if (n->be->ops->rx_enable)
		n->be->ops->rx_enable(n->be, on);
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
	unsigned int i;

	if (!net_live(n)) {
		/* The rx kick at DRIVER_OK (or after the reset) resumes. */
		rx_watch(n, false);
		return;
	}
	for (i = 0; i < NET_RX_BUDGET; i++) {
		int r;

		if (!n->rx_len) {
			ssize_t got;

			if (n->be->ops->vnet_hdr) {
				got = n->be->ops->recv(n->be, n->rx_buf, sizeof(n->rx_buf));
			} else {
				/* 5.1.6.4: no offload, so flags 0 and GSO_NONE. */
				memset(n->rx_buf, 0, VIRTIO_NET_HDR_LEN);
				got = n->be->ops->recv(n->be, n->rx_buf + VIRTIO_NET_HDR_LEN,
						       sizeof(n->rx_buf) - VIRTIO_NET_HDR_LEN);
				if (got > 0)
					got += VIRTIO_NET_HDR_LEN;
			}
			if (got <= 0)
				break;		/* drained */
			n->rx_len = got;
		}
		virtq_disable_notify(vq);
		r = rx_deliver(n, vq);
		/*
		 * No room: ask for a kick on the next buffer, and try again if
		 * some came since rx_deliver() looked (no kick is due for those).
		 */
		while (r == 0 && virtq_enable_notify(vq) && virtq_avail_moved(vq))
			r = rx_deliver(n, vq);
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
	/*
	 * No virtq_enable_notify() here: kicks matter only to a device that
	 * holds a frame without room, which asked for one above; and moving
	 * avail_event on without taking what it covers would lose that kick.
	 */
	if (pushed)
		virtio_notify_used(n->dev, vq);
	/* Budget spent: come back after tx had its turn. */
	if (i == NET_RX_BUDGET)
		virtio_dev_kick(n->dev, NET_RXQ);
}

static void net_rx_ready(void *arg)
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
	struct virtio_net *n = opaque;

	return NET_FEATURES | (n->be->ops->vnet_hdr ? NET_OFFLOADS : 0);
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
	return n->be->ops->set_offload ? n->be->ops->set_offload(n->be, off) : 0;
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
	if (n->be->ops->set_offload)
		n->be->ops->set_offload(n->be, 0);
	if (n->be->ops->reset)
		n->be->ops->reset(n->be);
}

static void net_dump(void *opaque, FILE *f)
{
	struct virtio_net *n = opaque;

	/* rx_reading=no with a frame held: waiting for the driver's rx buffers. */
	fprintf(f, "  net: rx_reading=%s rx_frame_held=%zu mrg_rxbuf=%s rx_dropped=%u\n",
		n->rx_on ? "yes" : "no", n->rx_len, n->mrg ? "yes" : "no", n->nr_errors);
	if (n->be->ops->dump)
		n->be->ops->dump(n->be, f);
}

static int net_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_net *n = opaque;
	int r;

	n->dev = dev;
	n->be->rx_ready = net_rx_ready;
	n->be->rx_arg = n;
	r = n->be->ops->attach(n->be, dev);
	if (r < 0)
		return r;
	n->rx_on = true;
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
	.dump = net_dump,
};

void virtio_net_random_mac(u8 mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6);
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
}

static struct virtio_net *net_new(struct net_backend *be, const u8 mac[6])
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->be = be;
	if (mac)
		memcpy(n->mac, mac, 6);
	else
		virtio_net_random_mac(n->mac);
	return n;
}

struct virtio_net *virtio_net_create_backend(struct net_backend *be, const u8 mac[6])
{
	struct virtio_net *n = be ? net_new(be, mac) : NULL;

	if (!n && be)
		be->ops->destroy(be);
	return n;
}

struct virtio_net *virtio_net_create_fd(int fd, const u8 mac[6])
{
	return virtio_net_create_backend(net_tap_create_fd(fd), mac);
}

struct virtio_net *virtio_net_create(const struct virtio_net_opts *o, int *err,
				     const char **why)
{
	struct net_backend *be;
	struct virtio_net *n;

	if (o->mode == VIRTIO_NET_USER)
		be = net_slirp_create(o, err, why);
	else
		be = net_tap_create(o, err, why);
	if (!be)
		return NULL;
	n = net_new(be, o->has_mac ? o->mac : NULL);
	if (!n) {
		be->ops->destroy(be);
		*err = -ENOMEM;
		*why = "out of memory";
	}
	return n;
}

struct virtio_net *virtio_net_create_borrowed(struct net_backend *be, const u8 mac[6])
{
	struct virtio_net *n = net_new(be, mac);

	if (n)
		n->be_borrowed = true;
	return n;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	if (!n->be_borrowed)
		n->be->ops->destroy(n->be);
	else if (n->be->ops->detach)
		n->be->ops->detach(n->be);
	free(n);
}

const char *virtio_net_ifname(const struct virtio_net *n)
{
	return n->be->ifname;
}

void virtio_net_mac(const struct virtio_net *n, u8 mac[6])
{
	memcpy(mac, n->mac, 6);
}
