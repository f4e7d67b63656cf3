/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_POWER_H
#define VMM_HW_X86_POWER_H

#include "util/types.h"

struct vm;

/*
 * The PC's ways to power off and reset: ACPI PM1a (event and control
 * blocks), the i8042 controller's reset line, the 0xcf9 reset register,
 * the pvpanic port and a CMOS RTC. Registers them on @vm's PIO bus; the
 * PM1 block's state (the power button, arch_power_button()) lives in
 * vm->arch until x86_power_destroy().
 */
int x86_power_init(struct vm *vm);
void x86_power_destroy(struct vm *vm);

/*
 * The 0xcf9 reset control register: a byte at 0xcf9 is it, while 0xcf8 as
 * a dword is the PCI address latch, so hw/x86/pci.c owns the range and
 * hands this byte here.
 */
struct vcpu;
void x86_reset_cf9_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		      bool is_write, void *opaque);

#endif
