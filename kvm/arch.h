/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_KVM_ARCH_H
#define VMM_KVM_ARCH_H

/*
 * The hooks every hw/<arch>/ implements once; shared code calls only these.
 * The Makefile links exactly one architecture.
 */
#include "cli/config.h"
#include "util/types.h"

struct vm;
struct vcpu;
struct vm_config;

/* KVM_CREATE_VM machine type (arm64: IPA size); kvm_cap() works here. */
unsigned long arch_vm_type(struct vm *vm);
/* Before any vcpu: RAM, irqchip, timers, devices. */
int arch_vm_init(struct vm *vm);
/* Kernel, initrd, command line, firmware tables into guest memory. */
int arch_load_kernel(struct vm *vm);
/* On the vcpu's own thread, after KVM_CREATE_VCPU and the mmap. */
int arch_vcpu_init(struct vcpu *vcpu);
/*
 * Once all vcpus exist (and ran arch_vcpu_init), before any runs: e.g. the
 * arm64 GIC CTRL_INIT and an FDT that needs every vcpu's MPIDR.
 */
int arch_vm_vcpus_created(struct vm *vm);
/* An exit the common loop does not know. Returns 0 to go on, < 0 to stop. */
int arch_handle_exit(struct vcpu *vcpu);
/* Print the vcpu's registers for a fatal exit (vcpu thread). */
void arch_vcpu_dump(struct vcpu *vcpu);
/* Tear down what arch_vm_init and arch_vcpu_init made. */
void arch_vm_destroy(struct vm *vm);
void arch_vcpu_destroy(struct vcpu *vcpu);
/*
 * Where the @index-th virtio-mmio device goes: its window, the GSI its
 * irqfd uses, and the number irq_line_set() wants for the same line.
 * -ENOSPC when the machine has no more slots.
 */
int arch_virtio_mmio_slot(struct vm *vm, unsigned int index, u64 *base, u32 *gsi,
			  u32 *line);
/*
 * Press the machine's power button (a graceful shutdown request the guest
 * may act on), from the run loop's thread. 0, or -ENOTSUP: no button.
 */
int arch_power_button(struct vm *vm);
/* --virtio-transport when not given. */
enum vm_virtio_transport arch_default_virtio_transport(void);
/* The kernel command line vmm always passes, before the user's part. */
const char *arch_default_cmdline(const struct vm_config *cfg);
/* --exec: the guest-physical address of the status register (devices/exec_status.h). */
u64 arch_exec_status_addr(void);
/*
 * The release ("6.1.0-18-amd64") of the Linux kernel in the @len bytes of
 * the kernel file at @img, for its modules' directory. -ENOENT: not found.
 */
int arch_kernel_release(const u8 *img, size_t len, char *out, size_t outlen);

#endif
