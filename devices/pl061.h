/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_PL061_H
#define VMM_DEVICES_PL061_H

#include "util/types.h"

/*
 * An ARM PrimeCell PL061 GPIO controller (DDI 0190B): 8 pins, per-pin
 * direction and edge/level interrupts, one interrupt line out. vmm drives
 * input pins (the power key); the guest's pl061 driver reads them and
 * takes their interrupts. Knows nothing of KVM: the owner registers
 * pl061_io() on a 4 KiB MMIO window and wires the line.
 */
#define PL061_SIZE	0x1000
#define PL061_NR_PINS	8

struct vcpu;
struct pl061;

/*
 * The interrupt line, level-style: called only when the level changes,
 * with the device's lock held (so it must not call back into the device).
 */
struct pl061_irq {
	void (*set)(void *opaque, int level);
	void *opaque;
};

struct pl061 *pl061_create(struct pl061_irq irq);
void pl061_destroy(struct pl061 *gpio);
void pl061_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write, void *opaque);
/*
 * Drive input @pin to @level, from any thread. With @until_read, the pin
 * falls back to 0 once the guest has read its level as 1: a key press that
 * lasts until the driver has seen it, with no timer in vmm.
 */
void pl061_set_input(struct pl061 *gpio, unsigned int pin, bool level, bool until_read);

#endif
