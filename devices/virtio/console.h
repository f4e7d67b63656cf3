/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_CONSOLE_H
#define VMM_DEVICES_VIRTIO_CONSOLE_H

#include "devices/virtio/virtio.h"

struct vm;

/*
 * virtio-console (virtio 1.x, 5.3) with one port and no features: Linux's
 * hvc0. What the guest transmits goes to console_write() (the terminal and
 * the panic watch); what the terminal reads fills the guest's receive
 * buffers.
 *
 * Input: virtio_console_rx() runs on the terminal's input thread and fills
 * receive buffers under the device lock. It accepts only what fits in the
 * buffers the guest has made available and returns that count; the terminal
 * keeps the rest, and the device calls term_input_ready() as soon as the
 * guest adds buffers, so no keystroke is lost or held on the host side.
 */
struct virtio_console;

struct virtio_console *virtio_console_create(struct vm *vm);
/* After the transport is destroyed. */
void virtio_console_destroy(struct virtio_console *c);
/* A vm->console_rx: the terminal's input for the guest. Any thread. */
size_t virtio_console_rx(void *opaque, const u8 *buf, size_t len);

extern const struct virtio_dev_ops virtio_console_ops;

#endif
