/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_BLK_H
#define VMM_DEVICES_VIRTIO_BLK_H

#include <limits.h>

#include "devices/virtio/virtio.h"
#include "util/types.h"

/*
 * virtio-blk backend (virtio 1.x, 5.2) on a raw image file or block device.
 * Requests: IN, OUT, FLUSH (fdatasync), GET_ID, DISCARD, WRITE_ZEROES.
 * Reads, writes and flushes go through Linux AIO (libaio) from the device's
 * I/O thread, up to a queue's worth in flight; completions come back on an
 * eventfd in the same epoll.
 */

#define VIRTIO_BLK_QUEUE_SIZE	256
#define VIRTIO_BLK_SERIAL_MAX	20	/* VIRTIO_BLK_ID_BYTES */

/* One -d/--disk argument: PATH[,ro][,serial=ID][,direct] */
struct virtio_blk_opts {
	char path[PATH_MAX];
	bool ro;
	bool direct;		/* O_DIRECT for requests that are aligned */
	char serial[VIRTIO_BLK_SERIAL_MAX + 1];
};

/* 0, or -EINVAL with *why ("unknown disk option 'foo'"). Pure. */
int virtio_blk_parse_opts(const char *arg, struct virtio_blk_opts *o,
			  const char **why);

struct virtio_blk;

/*
 * Open the image and lock it: exclusive for read-write, shared for
 * read-only (OFD locks, so a second vmm - or this one twice - cannot open a
 * read-write image another has open). NULL with *err = -errno and *why a
 * message for the user ("disk.img: locked by another process").
 */
struct virtio_blk *virtio_blk_create(const struct virtio_blk_opts *o, int *err,
				     const char **why);
/* After the transport is destroyed. */
void virtio_blk_destroy(struct virtio_blk *b);

/* Give these to a transport with the blk as opaque. */
extern const struct virtio_dev_ops virtio_blk_ops;

/* Capacity in 512-byte sectors (for messages and tests). */
u64 virtio_blk_sectors(const struct virtio_blk *b);

#endif
