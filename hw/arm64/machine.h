/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_ARM64_MACHINE_H
#define VMM_HW_ARM64_MACHINE_H

#include <linux/kvm.h>

#include "util/types.h"

struct vm;
struct uart8250;
struct pl061;

/* vm->arch on arm64. */
struct arm64_machine {
	struct uart8250 *uart;
	struct pl061 *gpio;		/* the power key (arch_power_button) */
	struct kvm_vcpu_init target;	/* KVM_ARM_PREFERRED_TARGET */
	int gic_fd;
	int its_fd;			/* the GICv3 ITS, or -1 */
	u32 gic_version;		/* 3, or 2 where the host has no GICv3 */
	u64 *mpidr;			/* per vcpu, read by its own thread */

	/* Decided by arch_load_kernel, used by vcpu 0 and the FDT. */
	u64 entry;			/* kernel entry point (PC) */
	u64 fdt_gpa;
	u64 initrd_start, initrd_end;
	char *cmdline;

};

/* KVM_IRQ_LINE's irq field for an SPI (api.rst 4.25, arm64). */
static inline u32 arm64_spi_irq(u32 spi)
{
	return KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (32 + spi);
}

/* gic.c: create the in-kernel GIC (v3, else v2) and place it; before vcpus. */
int arm64_gic_create(struct vm *vm, struct arm64_machine *m, unsigned int nr_cpus);
/* After every vcpu exists, before any runs: also decides vm->msi. */
int arm64_gic_finalize(struct vm *vm, struct arm64_machine *m);
void arm64_gic_destroy(struct arm64_machine *m);

/* boot.c: the FDT, once every vcpu's MPIDR is known. */
int arm64_write_fdt(struct vm *vm);

#endif
