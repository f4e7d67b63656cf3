/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_NET_H
#define VMM_DEVICES_VIRTIO_NET_H

#include <net/if.h>
#include <netinet/in.h>

#include "devices/virtio/virtio.h"
#include "util/types.h"

/*
 * virtio-net (virtio 1.x, 5.1). Queues: rx (0), tx (1). Frames go to a tap or
 * to libslirp's user-mode network through a backend (net_backend.h).
 *
 * tap: opened with IFF_VNET_HDR and a 12-byte header (struct
 * virtio_net_hdr_v1), so the guest's header passes through to the host
 * kernel unchanged both ways: checksum and TSO offloads need no work here
 * beyond telling the tap (TUNSETOFFLOAD) what the guest accepts.
 *
 * user: slirp takes and gives plain Ethernet frames, so the device offers
 * no offload: the guest checksums what it sends and checks what it gets, as
 * on a NIC without offloads. (Taking partial checksums here would only move
 * that work to this thread, and TSO would need segmenting here.)
 *
 * TX: each chain's readable part (header + frame) is one frame to the
 * backend. RX: a frame from the backend is copied into one rx chain, or
 * several with VIRTIO_NET_F_MRG_RXBUF (num_buffers in the header). With no
 * rx buffers a tap's frame is kept and the tap not watched until the driver
 * adds some; slirp's frames wait in a bounded queue (net_slirp.c).
 */

#define VIRTIO_NET_QUEUE_SIZE	256
#define VIRTIO_NET_HDR_LEN	12	/* sizeof(struct virtio_net_hdr_v1) */
#define VIRTIO_NET_MAX_FRAME	(65535 + 14)	/* a GSO frame: IP max + Ethernet */
#define VIRTIO_NET_MAX_HOSTFWD	16

enum virtio_net_mode {
	VIRTIO_NET_NONE,
	VIRTIO_NET_TAP,
	VIRTIO_NET_USER,
};

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
struct virtio_net_hostfwd {
	bool udp;
	struct in_addr host_addr;	/* INADDR_ANY unless given */
	struct in_addr guest_addr;	/* 0: the address DHCP hands out */
	u16 host_port, guest_port;
};

/*
 * One -n/--net argument: tap[,ifname=NAME][,mac=MAC],
 * user[,hostfwd=...]...[,restrict=on|off][,host-loopback=on|off][,mac=MAC]
 * or none.
 */
struct virtio_net_opts {
	enum virtio_net_mode mode;
	char ifname[IFNAMSIZ];		/* "" : the kernel picks tapN */
	u8 mac[6];
	bool has_mac;
	unsigned int nr_hostfwd;
	struct virtio_net_hostfwd hostfwd[VIRTIO_NET_MAX_HOSTFWD];
	bool restrict_guest;	/* user: restrict=on, the guest reaches only slirp itself */
	bool no_host_loopback;	/* user: host-loopback=off, 10.0.2.2 is not the host's 127.0.0.1 */
};

/* 0, or -EINVAL with *why ("bad mac 'xx'"). Pure. */
int virtio_net_parse_opts(const char *arg, struct virtio_net_opts *o, const char **why);

struct virtio_net;

/*
 * The device @o asks for: a tap (created, or attached to if it exists) or a
 * user-mode network. NULL with *err = -errno and *why a message for the user.
 */
struct virtio_net *virtio_net_create(const struct virtio_net_opts *o, int *err,
				     const char **why);
/*
 * A device over any packet fd (a socketpair end in tests): each read() is
 * one frame with its 12-byte header, each write() one frame. Takes @fd.
 */
struct virtio_net *virtio_net_create_fd(int fd, const u8 mac[6]);
/*
 * A device over a backend it does not own (net_backends.h): destroying the
 * device detaches the backend, which lives on for the next boot's device.
 */
struct net_backend;
struct virtio_net *virtio_net_create_borrowed(struct net_backend *be, const u8 mac[6]);
/* After the transport is destroyed. */
void virtio_net_destroy(struct virtio_net *n);
/* A random unicast, locally administered MAC. */
void virtio_net_random_mac(u8 mac[6]);
/* The tap's name ("" for a plain fd), and the MAC the guest sees. */
const char *virtio_net_ifname(const struct virtio_net *n);
void virtio_net_mac(const struct virtio_net *n, u8 mac[6]);

extern const struct virtio_dev_ops virtio_net_ops;

#endif
