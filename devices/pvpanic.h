/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_PVPANIC_H
#define VMM_DEVICES_PVPANIC_H

#include "util/types.h"

struct vcpu;

/*
 * pvpanic (QEMU's device, Linux drivers/misc/pvpanic): reading the one-byte
 * register gives the events supported, writing bit 0 says "guest panicked".
 * Bus handler; opaque is unused (the vcpu's VM is stopped).
 */
#define PVPANIC_PANICKED	(1 << 0)
#define PVPANIC_CRASH_LOADED	(1 << 1)

void pvpanic_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		bool is_write, void *opaque);

/* A sink for benchmarks and I/O-delay ports: reads 0, writes dropped. */
void null_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
	     bool is_write, void *opaque);

#endif
