// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the user-mode network backend (net_slirp.c) with
 * libslirp under it: frames from the guest into libslirp, libslirp's
 * passes (sockets, timers), frames back for the guest. The backend is
 * driven as virtio-net drives it on the I/O thread: send() per frame (as
 * one buffer or split over several, as a descriptor chain gives it),
 * tx_done() after a batch, recv() until nothing waits (into a buffer of
 * the size the guest offered: a short one truncates), reset().
 *
 * The input is records of one op byte and a 16-bit length, the frame
 * bytes following a frame record:
 *   op & 3 == 0  a frame of len bytes (bit 2: IPv4, TCP/UDP/ICMP checksums
 *                fixed up first, so mutations get past libslirp's checks;
 *                bits 3-5: split into that many + 1 buffers)
 *   op & 3 == 1  tx_done(): a pass of libslirp
 *   op & 3 == 2  the guest takes what waits, into len-byte buffers
 *   op & 3 == 3  the timer or socket watch fires; bit 2: a device reset
 *
 * libslirp talks to the real network for the guest (a TCP SYN to any
 * address is a connect()). So: its restricted mode is forced (slirp_new is
 * wrapped at link time: the guest reaches only slirp's own services), and
 * run.sh runs this target in a network namespace of its own (unshare -rn),
 * where nothing is reachable anyway.
 *
 * Each input gets a new backend (a new slirp: no connection state carried
 * over). Oracles: every frame for the guest is an Ethernet frame no larger
 * than VIRTIO_NET_MAX_FRAME and no larger than the buffer; the backend
 * never queues more than NET_SLIRP_RXQ_MAX frames; ASan and UBSan inside
 * both vmm and libslirp's callbacks (libslirp itself is not instrumented).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <slirp/libslirp.h>

#include "devices/virtio/net_backend.h"
#include "fuzz_vm.h"

#define FRAME_MAX	VIRTIO_NET_MAX_FRAME
#define MAX_SPLIT	8

/* ---- libslirp's restricted mode, whatever net_slirp.c asks for ---- */

Slirp *__real_slirp_new(const SlirpConfig *cfg, const SlirpCb *callbacks, void *opaque);

Slirp *__wrap_slirp_new(const SlirpConfig *cfg, const SlirpCb *callbacks, void *opaque)
{
	SlirpConfig c = *cfg;

	c.restricted = 1;
	c.disable_host_loopback = true;
	return __real_slirp_new(&c, callbacks, opaque);
}

static struct virtio_dev dev;
static bool rx_ready;
static u8 rx_buf[FRAME_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void note_rx_ready(void *arg)
{
	rx_ready = true;
}

static u16 csum_add(u32 sum, const u8 *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put_csum(u8 *p, u16 sum)
{
	sum = ~sum;
	p[0] = sum >> 8;
	p[1] = sum;
}

/* What a guest's stack computes: IPv4 header, TCP/UDP (with pseudo-header), ICMP. */
static void fix_checksums(u8 *f, size_t len)
{
	size_t ihl, tot, l4;
	u8 *ip = f + 14, *t;
	u32 pseudo;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4)
		return;
	ihl = (ip[0] & 15) * 4;
	tot = ip[2] << 8 | ip[3];
	if (ihl < 20 || tot < ihl || 14 + tot > len)
		return;
	ip[10] = ip[11] = 0;
	put_csum(ip + 10, csum_add(0, ip, ihl));
	if ((ip[6] & 0x3f) || ip[7])
		return;			/* a fragment: the checksum spans them all */
	t = ip + ihl;
	l4 = tot - ihl;
	pseudo = csum_add(0, ip + 12, 8) + ip[9] + l4;
	switch (ip[9]) {
	case 1:			/* ICMP */
		if (l4 < 4)
			return;
		t[2] = t[3] = 0;
		put_csum(t + 2, csum_add(0, t, l4));
		break;
	case 6:			/* TCP */
		if (l4 < 20)
			return;
		t[16] = t[17] = 0;
		put_csum(t + 16, csum_add(pseudo, t, l4));
		break;
	case 17:		/* UDP */
		if (l4 < 8)
			return;
		t[6] = t[7] = 0;
		put_csum(t + 6, csum_add(pseudo, t, l4));
		break;
	}
}

static void send_frame(struct net_backend *b, u8 op, const u8 *data, size_t len)
{
	static u8 f[FRAME_MAX];
	struct iovec iov[MAX_SPLIT];
	unsigned int n = ((op >> 3) & 7) + 1, i;
	size_t off = 0;

	len = MIN(len, sizeof(f));
	memcpy(f, data, len);
	if (op & 4)
		fix_checksums(f, len);
	/* n pieces: the first ones short (a header split off), the last the rest. */
	for (i = 0; i < n && off < len; i++) {
		size_t piece = i + 1 == n ? len - off : MIN(len - off, (size_t)(i * 7 + 1));

		iov[i] = (struct iovec){ f + off, piece };
		off += piece;
	}
	b->ops->send(b, iov, i);
}

static void guest_rx(struct net_backend *b, size_t buf_len)
{
	unsigned int n = 0;
	ssize_t got;

	buf_len = buf_len ? MIN(buf_len, sizeof(rx_buf)) : sizeof(rx_buf);
	rx_ready = false;
	while ((got = b->ops->recv(b, rx_buf, buf_len)) > 0) {
		fuzz_check(++n <= NET_SLIRP_RXQ_MAX, "more than %u frames queued",
			   NET_SLIRP_RXQ_MAX);
		fuzz_check((size_t)got <= buf_len && got <= FRAME_MAX,
			   "a %zd-byte frame for a %zu-byte buffer", got, buf_len);
		fuzz_check(buf_len < 14 || got >= 14, "a %zd-byte frame", got);
	}
	fuzz_check(!got, "recv: %zd", got);
}

static void fire_watches(void)
{
	for (unsigned int i = 0; i < dev.nr_watches; i++)
		dev.watches[i].fn(dev.watches[i].arg);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct virtio_net_opts o = { .mode = VIRTIO_NET_USER };
	struct net_backend *b;
	const char *why;
	int err;

	b = net_slirp_create(&o, &err, &why);
	if (!b) {
		fprintf(fuzz_err, "net_slirp_create: %s\n", why);
		abort();
	}
	memset(&dev, 0, sizeof(dev));
	dev.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	pthread_mutex_init(&dev.lock, NULL);
	b->rx_ready = note_rx_ready;
	b->rx_arg = NULL;
	if (b->ops->attach(b, &dev) < 0)
		abort();

	while (size >= 3) {
		u8 op = data[0];
		size_t len = data[1] | data[2] << 8;

		data += 3;
		size -= 3;
		switch (op & 3) {
		case 0:
			len = MIN(len, size);
			send_frame(b, op, data, len);
			data += len;
			size -= len;
			break;
		case 1:
			b->ops->tx_done(b);
			break;
		case 2:
			guest_rx(b, len);
			break;
		case 3:
			if (op & 4)
				b->ops->reset(b);
			else
				fire_watches();
			break;
		}
	}
	b->ops->tx_done(b);
	guest_rx(b, 0);

	b->ops->destroy(b);
	close(dev.epoll_fd);
	pthread_mutex_destroy(&dev.lock);
	return 0;
}
