/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_KVM_IRQ_H
#define VMM_KVM_IRQ_H

#include "util/types.h"

struct vm;

/*
 * The VM's GSI routing table. KVM_SET_GSI_ROUTING replaces the whole table
 * at once, so one place owns it: the machine adds its interrupt controller
 * pins at init (irq_route_irqchip, then irq_routing_commit), and devices
 * add and change MSI routes at any time from any thread.
 */

/* Add @gsi -> (@chip, @pin) to the table; not applied until a commit. */
int irq_route_irqchip(struct vm *vm, u32 gsi, u32 chip, u32 pin);
/* Apply the table (KVM_SET_GSI_ROUTING). */
int irq_routing_commit(struct vm *vm);
/*
 * A new MSI route on a free GSI above every irqchip one, applied now:
 * returns the GSI (for an irqfd) or -errno (-ENOSPC: table full).
 * @devid: the requester (PCI: bus << 8 | devfn), which an arm64 ITS needs
 * (vm->msi_devid) and x86 ignores.
 */
int irq_route_msi_add(struct vm *vm, u64 addr, u32 data, u32 devid);
/* Point GSI @gsi (from irq_route_msi_add) at another address/data. */
int irq_route_msi_set(struct vm *vm, u32 gsi, u64 addr, u32 data);
/* Drop an MSI route. */
void irq_route_msi_del(struct vm *vm, u32 gsi);
void irq_routing_free(struct vm *vm);
/* Deliver one MSI now, without a route (KVM_SIGNAL_MSI): 0 or -errno. */
int irq_msi_signal(struct vm *vm, u64 addr, u32 data, u32 devid);

#endif
