/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_PCI_H
#define VMM_DEVICES_PCI_H

#include "util/types.h"

/*
 * A PCI bus 0 with a host bridge at 00:00.0 and up to 31 single-function
 * devices. Configuration space is reached through ECAM (an MMIO window,
 * 4 KiB per function) and, on x86, through the 0xcf8/0xcfc mechanism #1;
 * the machine registers whichever it has (pci_ecam_io, pci_cam_io).
 *
 * Memory BARs: vmm assigns each BAR an address in the machine's window as
 * firmware would (x86 Linux keeps them), and follows the guest when it
 * moves one (arm64 Linux reassigns everything). The whole window is one
 * range on the MMIO bus and dispatches to whichever BAR decodes the
 * address, so moving a BAR never touches the bus. A device learns where
 * its BAR decodes through ops->bar_map (to move its ioeventfds).
 *
 * Interrupts: INTA# of each slot is a level-triggered line the machine
 * chose (pci_bus_info.intx_gsi/intx_line); MSI-X is the device's own
 * business (a capability plus a table in a BAR, routed with kvm/irq.h).
 *
 * Locking: one bus lock serialises configuration accesses (the 0xcf8
 * latch is shared by all vcpus, as on hardware) and BAR moves; device
 * callbacks made from configuration accesses run with it held, so a device
 * may take its own lock inside them but must never call into the bus while
 * holding its own lock.
 */

#define PCI_NR_SLOTS		32
#define PCI_CFG_SIZE		4096	/* PCIe: ECAM reaches 4 KiB per function */
#define PCI_ECAM_SIZE		(PCI_NR_SLOTS * 8 * PCI_CFG_SIZE)	/* bus 0: 1 MiB */
#define PCI_NR_BARS		6

/* Class codes (base << 8 | sub-class; not in the UAPI headers). */
#define PCI_CLASS_STORAGE_SCSI		0x0100
#define PCI_CLASS_NETWORK_ETHERNET	0x0200
#define PCI_CLASS_BRIDGE_HOST		0x0600
#define PCI_CLASS_COMMUNICATION_OTHER	0x0780
#define PCI_CLASS_OTHERS		0xff

/* Red Hat's vendor id: the QEMU host bridge (1b36:0008) is what we are. */
#define PCI_VENDOR_REDHAT	0x1b36
#define PCI_DEVICE_REDHAT_HOST	0x0008

struct vm;
struct vcpu;
struct pci_bus;
struct pci_dev;

/* Where the machine put the bus. */
struct pci_bus_info {
	u64 ecam_base;			/* 0: no ECAM (CAM only) */
	u64 mem_base, mem_size;		/* 32-bit memory window for BARs */
	/*
	 * INTA# of slot s: the GSI as KVM routes it (irqfd numbering) and
	 * the number irq_line_set() wants for the same line (arch-encoded
	 * on arm64). Filled by the machine for every slot.
	 */
	u32 intx_gsi[PCI_NR_SLOTS];
	u32 intx_line[PCI_NR_SLOTS];
};

struct pci_dev_ops {
	/* An access to BAR @bar at @offset (inside its size). Any vcpu thread. */
	void (*bar_io)(void *opaque, unsigned int bar, u64 offset, u8 *data, u32 len,
		       bool is_write);
	/*
	 * BAR @bar now decodes at @addr, or nowhere (0): memory decoding was
	 * switched, or the BAR moved. Bus lock held. May be NULL.
	 */
	void (*bar_map)(void *opaque, unsigned int bar, u64 addr);
	/*
	 * An access to configuration space at [@off, @off + @len) inside a
	 * capability the device added: before a read (to refresh the bytes in
	 * pci_dev_cfg()) and after a write (already stored through the
	 * capability's write mask). Bus lock held. May be NULL.
	 */
	void (*cfg_access)(void *opaque, u32 off, u32 len, bool is_write);
	/* The command register changed (e.g. Bus Master Enable). Bus lock held. May be NULL. */
	void (*command)(void *opaque, u16 cmd);
};

struct pci_dev_id {
	u16 vendor, device;
	u16 subsys_vendor, subsys;
	u32 class;			/* base class << 16 | sub-class << 8 | prog-if */
	u8 revision;
};

/* @info is copied. NULL on allocation failure. */
struct pci_bus *pci_bus_create(struct vm *vm, const struct pci_bus_info *info);
/* Register the BAR window on the MMIO bus (and ECAM if any). */
int pci_bus_register(struct pci_bus *bus);
void pci_bus_destroy(struct pci_bus *bus);

/*
 * A new function 0 in the next free slot (the host bridge takes slot 0 at
 * bus creation). NULL with *err = -ENOSPC when the bus is full.
 */
struct pci_dev *pci_dev_add(struct pci_bus *bus, const struct pci_dev_id *id,
			    const struct pci_dev_ops *ops, void *opaque, int *err);
/*
 * Take a device that failed to set up off the bus again, before the
 * machine runs: its slot reads empty, its BARs decode nowhere.
 */
void pci_dev_remove(struct pci_dev *dev);
/*
 * A 32-bit non-prefetchable memory BAR of @size bytes (a power of 2,
 * >= 4 KiB), given an address in the window now. -ENOSPC when the window is
 * full. Before the machine runs only.
 */
int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar, u64 size);
/*
 * Append a capability: @len bytes of @cap (its first two bytes, id and
 * next, are filled in here); @wmask says which bits the guest may write
 * (NULL: none). Returns its offset in configuration space, or < 0.
 */
int pci_dev_add_cap(struct pci_dev *dev, const void *cap, const void *wmask, u8 len);
/* The configuration space bytes (little endian). Bus lock held to touch. */
u8 *pci_dev_cfg(struct pci_dev *dev);
unsigned int pci_dev_slot(const struct pci_dev *dev);
/* Its requester id (bus << 8 | devfn): what an MSI names it by. */
static inline u32 pci_dev_rid(const struct pci_dev *dev)
{
	return pci_dev_slot(dev) << 3;
}
/* Where BAR @bar decodes now, 0 when it does not. */
u64 pci_dev_bar_addr(const struct pci_dev *dev, unsigned int bar);
/* The command register's Bus Master Enable bit. */
bool pci_dev_bus_master(const struct pci_dev *dev);
/*
 * Drive INTA# (level: stays asserted until set to 0). Dropped while the
 * command register's Interrupt Disable bit is set (and raised again when
 * it is cleared, if still asserted). Any thread.
 */
void pci_dev_intx(struct pci_dev *dev, bool level);

/*
 * Bus handlers (kvm/bus.h bus_handler_t). ECAM: offset in the ECAM window.
 * CAM: x86 ports 0xcf8-0xcff, offset from 0xcf8.
 */
void pci_ecam_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		 void *opaque);
void pci_cam_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		void *opaque);

#endif
