/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_CPU_H
#define VMM_HW_X86_CPU_H

#include "util/types.h"

struct vm;
struct vcpu;
struct kvm_cpuid2;

/* How the boot vcpu enters the kernel. */
enum x86_entry_mode {
	X86_ENTRY_LONG64,	/* 64-bit boot protocol: long mode, rsi = boot_params */
	X86_ENTRY_PVH32,	/* PVH: 32-bit protected mode, ebx = hvm_start_info */
	X86_ENTRY_MULTIBOOT32,	/* as PVH32, ebx = multiboot info, eax = its magic */
};

struct x86_entry {
	enum x86_entry_mode mode;
	u64 rip;
	u64 arg;		/* rsi (LONG64) or ebx (PVH32, MULTIBOOT32) */
};

/* KVM_GET_SUPPORTED_CPUID once per VM; vcpus copy and adjust it. */
struct kvm_cpuid2 *x86_cpuid_supported(struct vm *vm);
/* Adjust @cpuid for vcpu @id of @nr (APIC ids, topology leaves). Pure. */
void x86_cpuid_for_vcpu(struct kvm_cpuid2 *cpuid, unsigned int id, unsigned int nr,
			bool tsc_deadline);
int x86_vcpu_setup_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *supported);
int x86_vcpu_setup_msrs(struct vcpu *vcpu);
int x86_vcpu_setup_lapic(struct vcpu *vcpu);
/* Registers and segments of the boot vcpu; page tables must be written. */
int x86_vcpu_setup_boot(struct vcpu *vcpu, const struct x86_entry *entry);
/* Identity page tables for the low 4 GiB and the boot GDT. */
int x86_write_boot_tables(struct vm *vm);
void x86_vcpu_dump(struct vcpu *vcpu);

#endif
