/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_POWER_H
#define VMM_HW_X86_POWER_H

struct vm;

/*
 * The PC's ways to power off and reset: ACPI PM1a (event and control
 * blocks), the i8042 controller's reset line, the 0xcf9 reset register,
 * the pvpanic port and a CMOS RTC. Registers them on @vm's PIO bus.
 */
int x86_power_init(struct vm *vm);

#endif
