/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_NET_GUEST_H
#define VMM_TEST_NET_GUEST_H

/*
 * A fake virtio-net driver over virtio-mmio (virtio_guest.h): an rx (0) and
 * a tx (1) ring in one guest's RAM, for tests of any net backend.
 */
#include <fcntl.h>
#include <sys/socket.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "devices/virtio/mmio.h"
#include "devices/virtio/net.h"
#include "virtio_guest.h"

#define BASE		GUEST_MMIO_BASE
#define QSIZE		VIRTIO_NET_QUEUE_SIZE
#define HDR		VIRTIO_NET_HDR_LEN
#define S_ALL		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

static struct guest g;		/* owns RAM; its ring is rx */
static struct guest tq;		/* the tx ring, in the same RAM */
static struct virtio_mmio *m;
static struct virtio_net *net;
static u16 rx_next, tx_next;	/* next free descriptor */

static inline void w32(u64 off, u32 val)
{
	guest_mmio_w32(&g, off, val);
}

static inline u32 r32(u64 off)
{
	return guest_mmio_r32(&g, off);
}

static inline void queue_setup(u32 q, struct guest *r)
{
	guest_mmio_queue_setup(&g, q, r, QSIZE);
}

/* Accept what the device offers but the bits in @refuse. */
static inline u32 driver_init(u64 refuse)
{
	u64 f = 0;

	w32(VIRTIO_MMIO_STATUS, 0);
	memset(g.ram, 0, 0x400000);
	g.avail_idx = tq.avail_idx = 0;
	rx_next = tx_next = 0;
	g.heap = GUEST_HEAP;
	tq.heap = 0x200000;
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (u32 i = 0; i < 2; i++) {
		w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, i);
		f |= (u64)r32(VIRTIO_MMIO_DEVICE_FEATURES) << (32 * i);
	}
	f &= ~refuse;
	for (u32 i = 0; i < 2; i++) {
		w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, i);
		w32(VIRTIO_MMIO_DRIVER_FEATURES, (u32)(f >> (32 * i)));
	}
	w32(VIRTIO_MMIO_STATUS, S_ALL & ~VIRTIO_CONFIG_S_DRIVER_OK);
	queue_setup(0, &g);
	queue_setup(1, &tq);
	w32(VIRTIO_MMIO_STATUS, S_ALL);
	return r32(VIRTIO_MMIO_STATUS);
}

/*
 * A socketpair standing in for the tap (one datagram = one frame with its
 * vnet header): sv[0] for vmm (non-blocking), sv[1] the host's. Room for a
 * few big frames queued on either side. 0, or -1 with errno.
 */
static inline int net_guest_tap_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	return fcntl(sv[0], F_SETFL, O_NONBLOCK);
}

/* @n on virtio-mmio, driven by the fake guest; NULL or what failed. */
static inline const char *net_guest_start(struct virtio_net *n, u64 refuse)
{
	int err = 0;

	net = n;
	guest_init(&g, QSIZE);
	tq = g;
	tq.desc = 0x10000;
	tq.avail = tq.desc + 16ULL * QSIZE;
	tq.used = ALIGN_UP(tq.avail + 6 + 2ULL * QSIZE, 4);
	m = virtio_mmio_create(&g.vm, BASE, 5, &virtio_net_ops, net, &err);
	if (!m)
		return "mmio create";
	if (driver_init(refuse) != S_ALL)
		return "driver init";
	return NULL;
}

static inline void net_guest_stop(void)
{
	virtio_mmio_destroy(m);
	virtio_net_destroy(net);
	m = NULL;
	net = NULL;
	guest_free(&g);
}

/* Post one rx buffer of @len bytes; returns its gpa. Not kicked. */
static inline u64 rx_post(u32 len)
{
	u64 a = guest_alloc(&g, len);
	struct seg s = { a, len, true };

	guest_chain(&g, rx_next, &s, 1);
	guest_publish(&g, rx_next);
	rx_next = (rx_next + 1) % QSIZE;
	return a;
}

/* Send @len bytes (header + frame) on tx in @nseg descriptors, and kick. */
static inline void tx_send(const u8 *buf, u32 len, unsigned int nseg)
{
	struct seg s[8];
	u32 off = 0;

	for (unsigned int i = 0; i < nseg; i++) {
		u32 l = i + 1 < nseg ? len / nseg : len - off;
		u64 a = guest_alloc(&tq, l);

		memcpy(guest_ptr(&tq, a), buf + off, l);
		s[i] = (struct seg){ a, l, false };
		off += l;
	}
	guest_chain(&tq, tx_next, s, nseg);
	guest_publish(&tq, tx_next);
	tx_next = (tx_next + nseg) % QSIZE;
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

#endif
