/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_NET_BACKEND_H
#define VMM_DEVICES_VIRTIO_NET_BACKEND_H

#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/virtio/net.h"
#include "util/types.h"

/*
 * Where a virtio-net device's frames go on the host: a tap (net_tap.c) or
 * libslirp's user-mode stack (net_slirp.c). The device (net.c) owns the
 * virtqueues; a backend only moves frames.
 *
 * Frames: with @vnet_hdr each frame starts with the 12-byte virtio_net_hdr_v1
 * both ways, so checksum and TSO offloads can pass through and the device
 * offers them. Without it a backend sees plain Ethernet frames: the device
 * strips the header on tx, writes an all-zero one on rx, and offers no
 * offload (the guest computes and checks every checksum itself).
 *
 * Threads: every call but create/destroy is on the device's I/O thread with
 * the device lock held (set_offload and reset: on whatever thread holds it),
 * so a backend needs no lock of its own.
 */

struct virtio_dev;
struct net_backend;

struct net_backend_ops {
	bool vnet_hdr;
	/* Once, before the I/O thread starts: watch fds on @dev. */
	int (*attach)(struct net_backend *b, struct virtio_dev *dev);
	/* One frame from the guest; a frame the host refuses is dropped. */
	void (*send)(struct net_backend *b, const struct iovec *iov, unsigned int nr);
	/* After a batch of send()s. May be NULL. */
	void (*tx_done)(struct net_backend *b);
	/* The next frame for the guest into @buf: its length, 0 when none waits. */
	ssize_t (*recv)(struct net_backend *b, u8 *buf, size_t len);
	/* The guest has no rx buffers (false), or has some again. May be NULL. */
	void (*rx_enable)(struct net_backend *b, bool on);
	/* vnet_hdr only: the TUN_F_* offloads the guest accepts (0: none). */
	int (*set_offload)(struct net_backend *b, unsigned int tun_flags);
	/* Device reset: drop what waits for the guest. May be NULL. */
	void (*reset)(struct net_backend *b);
	/*
	 * The device is destroyed but the backend lives on for the next one
	 * (net_backends.h, guest reboots): forget @dev (its I/O thread has
	 * stopped), drop what waited for this guest, undo what it negotiated.
	 * attach() may follow again.
	 */
	void (*detach)(struct net_backend *b);
	/* A stall report's line(s) "  key=value ...": what waits, what is watched. May be NULL. */
	void (*dump)(struct net_backend *b, FILE *f);
	void (*destroy)(struct net_backend *b);
};

struct net_backend {
	const struct net_backend_ops *ops;
	/* The device's: frames may wait for recv(). Backends call it on the I/O thread. */
	void (*rx_ready)(void *arg);
	void *rx_arg;
	char ifname[IFNAMSIZ];		/* the tap's name; "" otherwise */
};

/* A tap (created, or attached to if @o->ifname exists), brought up. */
struct net_backend *net_tap_create(const struct virtio_net_opts *o, int *err,
				   const char **why);
/* Any packet fd carrying vnet-header frames (a socketpair end in tests); takes @fd. */
struct net_backend *net_tap_create_fd(int fd);

/* A device over @be (tests wrap a backend's ops); takes @be, even on failure. */
struct virtio_net *virtio_net_create_backend(struct net_backend *be, const u8 mac[6]);

/* Frames slirp may queue for a guest that gives no rx buffers. */
#define NET_SLIRP_RXQ_MAX	128

/*
 * libslirp: 10.0.2.0/24, host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15,
 * and @o's host forwards. -ENOTSUP in a build without libslirp.
 */
struct net_backend *net_slirp_create(const struct virtio_net_opts *o, int *err,
				     const char **why);

#endif
