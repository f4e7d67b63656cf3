// SPDX-License-Identifier: GPL-2.0
/* virtio-rng: entropy for the guest from the host's getrandom(). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>

#include "devices/virtio/rng.h"

#define RNG_QUEUE_SIZE	64
#define RNG_CHAIN_MAX	16
#define RNG_REQ_MAX	(64 * 1024)	/* bytes per request: bounds the time spent */

struct virtio_rng {
	struct virtio_dev *dev;
	struct iovec iov[RNG_CHAIN_MAX];
};

static size_t rng_fill(const struct iovec *iov, unsigned int nr)
{
	size_t done = 0;

	for (unsigned int i = 0; i < nr && done < RNG_REQ_MAX; i++) {
		size_t want = MIN(iov[i].iov_len, RNG_REQ_MAX - done);
		size_t got = 0;

		while (got < want) {
			ssize_t r = getrandom((u8 *)iov[i].iov_base + got, want - got, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				return done + got;
			}
			got += r;
		}
		done += got;
	}
	return done;
}

static void rng_queue_notify(void *opaque, struct virtq *vq)
{
	struct virtio_rng *rng = opaque;
	struct virtq_chain c = { .cap = RNG_CHAIN_MAX, .iov = rng->iov };
	bool pushed = false;

	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, &c) > 0) {
			/* 5.4.6: buffers are write-only; readable ones are skipped. */
			virtq_push(vq, c.head, rng_fill(&c.iov[c.nr_out], c.nr - c.nr_out));
			pushed = true;
		}
	} while (virtq_enable_notify(vq));
	if (pushed)
		virtio_notify_used(rng->dev, vq);
}

static int rng_attach(void *opaque, struct virtio_dev *dev)
{
	struct virtio_rng *rng = opaque;

	rng->dev = dev;
	return 0;
}

const struct virtio_dev_ops virtio_rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.max_queue_size = RNG_QUEUE_SIZE,
	.queue_notify = rng_queue_notify,
	.attach = rng_attach,
};

struct virtio_rng *virtio_rng_create(void)
{
	return calloc(1, sizeof(struct virtio_rng));
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	free(rng);
}
