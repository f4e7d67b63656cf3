/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_PCI_H
#define VMM_DEVICES_VIRTIO_PCI_H

#include <stdio.h>

#include "devices/virtio/virtio.h"
#include "util/types.h"

/*
 * virtio-pci, modern only (virtio 1.x, 4.1): vendor 0x1af4, device
 * 0x1040 + device id, revision 1. Everything is in one 32-bit memory BAR 0
 * found through vendor capabilities (linux/virtio_pci.h), as a driver must:
 *
 *   0x0000  common configuration (struct virtio_pci_common_cfg)
 *   0x1000  ISR status (a read returns and clears it, lowering INTx)
 *   0x2000  device configuration
 *   0x3000  notifications: queue q at 0x3000 + q * 4 (multiplier 4),
 *           each an ioeventfd, so a kick never exits to userspace
 *   0x4000  MSI-X table, 0x5000 MSI-X PBA (when the machine has MSI)
 *
 * plus the VIRTIO_PCI_CAP_PCI_CFG window capability.
 *
 * Interrupts: with MSI-X enabled, each vector is a KVM MSI route with an
 * irqfd (kvm/irq.h); a masked vector sets its pending bit and fires on
 * unmask. Otherwise INTA#, level-triggered, asserted with ISR bits set and
 * lowered by the ISR read.
 */

#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000

struct vm;
struct pci_bus;
struct virtio_pci;

/*
 * Create the device core (which starts the I/O thread) and its PCI
 * function on @bus. NULL with *err = -errno. The backend must outlive it.
 */
struct virtio_pci *virtio_pci_create(struct vm *vm, struct pci_bus *bus,
				     const struct virtio_dev_ops *ops, void *opaque,
				     int *err);
/* Once the vcpus have stopped: stop the I/O thread, drop eventfds, free. */
void virtio_pci_destroy(struct virtio_pci *p);

struct virtio_dev *virtio_pci_dev(struct virtio_pci *p);
/* Interrupts raised so far (for tests and --debug statistics). */
u64 virtio_pci_nr_irqs(const struct virtio_pci *p);
/* A stall report: the function, its interrupts (vectors), virtio_dev_dump(). */
void virtio_pci_dump(struct virtio_pci *p, FILE *f);

#endif
