/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_MACHINE_H
#define VMM_HW_X86_MACHINE_H

#include "hw/x86/cpu.h"

struct uart8250;
struct kvm_cpuid2;
struct x86_pm1;

/* vm->arch on x86. */
struct x86_machine {
	struct uart8250 *com1;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct x86_entry entry;		/* where vcpu 0 starts */
	struct x86_pm1 *pm1;		/* ACPI PM1 events: hw/x86/power.c */
};

#endif
