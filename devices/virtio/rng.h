/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_RNG_H
#define VMM_DEVICES_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

/*
 * virtio-rng (virtio 1.x, 5.4): fills each writable buffer the guest
 * offers with bytes from getrandom() (the /dev/urandom pool).
 */
struct virtio_rng;

struct virtio_rng *virtio_rng_create(void);
/* After the transport is destroyed. */
void virtio_rng_destroy(struct virtio_rng *r);

extern const struct virtio_dev_ops virtio_rng_ops;

#endif
