/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_VIRTIO_ECHO_H
#define VMM_TEST_VIRTIO_ECHO_H

/*
 * An echo backend for transport tests: each chain's readable bytes are
 * copied into its writable part. Two queues of ECHO_QSIZE, 8 bytes of
 * device configuration, feature bit 3; counts config writes and resets.
 * echo_once() is one request through it, the way a driver makes one.
 */
#include <sys/uio.h>

#include "devices/virtio/virtio.h"
#include "virtio_guest.h"

#define ECHO_QSIZE	16
#define ECHO_DEVICE_ID	42

struct echo {
	struct virtio_dev *dev;
	u8 config[8];
	int config_writes;
	int resets;
	struct iovec iov[32];
};

static struct echo echo;

static inline u64 echo_features(void *opaque)
{
	return 1ULL << 3;
}

static inline void echo_config_read(void *opaque, u32 off, u8 *data, u32 len)
{
	memcpy(data, echo.config + off, len);
}

static inline void echo_config_write(void *opaque, u32 off, const u8 *data, u32 len)
{
	echo.config_writes++;
	memcpy(echo.config + off, data, len);
}

static inline void echo_notify(void *opaque, struct virtq *vq)
{
	struct virtq_chain c = { .cap = ARRAY_SIZE(echo.iov), .iov = echo.iov };
	u8 buf[4096];
	bool pushed = false;
	int r;

	do {
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &c)) > 0) {
			size_t n = iov_to_buf(c.iov, c.nr_out, 0, buf, sizeof(buf));

			n = iov_from_buf(c.iov + c.nr_out, c.nr - c.nr_out, 0, buf, n);
			virtq_push(vq, c.head, n);
			pushed = true;
		}
	} while (r == 0 && virtq_enable_notify(vq));
	if (pushed)
		virtio_notify_used(echo.dev, vq);
}

static inline void echo_reset(void *opaque)
{
	echo.resets++;
}

static inline int echo_attach(void *opaque, struct virtio_dev *dev)
{
	echo.dev = dev;
	return 0;
}

static const struct virtio_dev_ops echo_ops = {
	.name = "echo",
	.device_id = ECHO_DEVICE_ID,
	.features = echo_features,
	.config_size = sizeof(echo.config),
	.config_read = echo_config_read,
	.config_write = echo_config_write,
	.nr_queues = 2,
	.max_queue_size = ECHO_QSIZE,
	.queue_notify = echo_notify,
	.reset = echo_reset,
	.attach = echo_attach,
};

/*
 * One request on queue 0 of @g (rings as guest_init() laid them out): 5
 * bytes out, 8 in, then @kick. True if it came back right.
 */
static inline bool echo_once(struct guest *g, void (*kick)(void))
{
	u64 out = guest_alloc(g, 16), in = guest_alloc(g, 16);
	struct seg s[] = { { out, 5, false }, { in, 8, true } };
	u16 want = guest_used_idx(g) + 1;
	u16 head = (g->avail_idx * 2) % g->qsize;
	struct vring_used_elem *e;

	memcpy(guest_ptr(g, out), "hello", 5);
	memset(guest_ptr(g, in), 0, 8);
	guest_chain(g, head, s, 2);
	guest_publish(g, head);
	kick();
	if (!guest_wait_used(g, want))
		return false;
	e = &guest_used(g)->ring[(want - 1) % g->qsize];
	return e->id == head && e->len == 5 && !memcmp(guest_ptr(g, in), "hello", 5);
}

#endif
