/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_BOOT_TIMER_H
#define VMM_DEVICES_BOOT_TIMER_H

#include "util/types.h"

struct vcpu;

/*
 * The boot-time marker, Firecracker's convention: a guest that writes
 * BOOT_TIMER_MAGIC to the device's first byte (from init, through
 * /dev/mem) makes vmm log the time since it started and since this boot's
 * vcpus were released, measured by vmm, not from serial output. Reads
 * give 0, other writes are ignored, so it also serves as a null device.
 * x86: MMIO 0xd0000000 (Firecracker's address); arm64: 0x09002000.
 */
#define BOOT_TIMER_MAGIC	123

void boot_timer_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		   bool is_write, void *opaque);

#endif
