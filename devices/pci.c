// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0: configuration space (type 0 headers, capabilities), CAM and
 * ECAM access, 32-bit memory BARs that follow the guest, INTx lines.
 * Register layouts are linux/pci_regs.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "devices/pci.h"
#include "kvm/kvm.h"
#include "util/log.h"

/* Command bits a guest may change: I/O, memory, bus master, SERR, INTx off. */
#define PCI_COMMAND_WMASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
				 PCI_COMMAND_INTX_DISABLE)
#define PCI_CAP_START		0x40
#define PCI_CAP_END		0x100	/* capabilities live in the legacy 256 bytes */

struct pci_dev {
	struct pci_bus *bus;
	unsigned int slot;
	const struct pci_dev_ops *ops;
	void *opaque;
	u8 cfg[PCI_CFG_SIZE];
	u8 wmask[PCI_CFG_SIZE];
	u64 bar_size[PCI_NR_BARS];	/* 0: no BAR */
	u64 bar_addr[PCI_NR_BARS];	/* where it decodes now, 0: nowhere */
	u8 cap_last;			/* offset of the last capability, 0: none */
	u16 cap_end;			/* first free byte for the next one (<= 0x100) */
	bool intx;			/* INTA# as the device drives it */
};

struct pci_bus {
	struct vm *vm;
	struct pci_bus_info info;
	pthread_mutex_t lock;		/* config accesses, BAR moves */
	pthread_rwlock_t bars_lock;	/* bar_addr[] against dispatch */
	pthread_mutex_t intx_lock;	/* leaf: INTx levels and line state */
	struct pci_dev *devs[PCI_NR_SLOTS];
	u32 cam_addr;			/* the 0xcf8 latch */
	u64 next_bar;			/* firmware-style BAR allocation */
	bool registered;
};

static u16 cfg_get16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static u32 cfg_get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void cfg_put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void cfg_put32(u8 *p, u32 v)
{
	cfg_put16(p, v);
	cfg_put16(p + 2, v >> 16);
}

static struct pci_dev *pci_dev_new(struct pci_bus *bus, unsigned int slot,
				   const struct pci_dev_id *id)
{
	struct pci_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->bus = bus;
	dev->slot = slot;
	cfg_put16(dev->cfg + PCI_VENDOR_ID, id->vendor);
	cfg_put16(dev->cfg + PCI_DEVICE_ID, id->device);
	dev->cfg[PCI_REVISION_ID] = id->revision;
	dev->cfg[PCI_CLASS_PROG] = id->class;
	cfg_put16(dev->cfg + PCI_CLASS_DEVICE, id->class >> 8);
	dev->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg_put16(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, id->subsys_vendor);
	cfg_put16(dev->cfg + PCI_SUBSYSTEM_ID, id->subsys);
	cfg_put16(dev->wmask + PCI_COMMAND, PCI_COMMAND_WMASK);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->cap_end = PCI_CAP_START;
	bus->devs[slot] = dev;
	return dev;
}

struct pci_bus *pci_bus_create(struct vm *vm, const struct pci_bus_info *info)
{
	static const struct pci_dev_id host = {
		.vendor = PCI_VENDOR_REDHAT, .device = PCI_DEVICE_REDHAT_HOST,
		.subsys_vendor = PCI_VENDOR_REDHAT,
		.class = PCI_CLASS_BRIDGE_HOST << 8,
	};
	struct pci_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	bus->vm = vm;
	bus->info = *info;
	bus->next_bar = info->mem_base;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_rwlock_init(&bus->bars_lock, NULL);
	pthread_mutex_init(&bus->intx_lock, NULL);
	if (!pci_dev_new(bus, 0, &host)) {
		pci_bus_destroy(bus);
		return NULL;
	}
	return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 0; i < PCI_NR_SLOTS; i++)
		free(bus->devs[i]);
	pthread_mutex_destroy(&bus->lock);
	pthread_rwlock_destroy(&bus->bars_lock);
	pthread_mutex_destroy(&bus->intx_lock);
	free(bus);
}

struct pci_dev *pci_dev_add(struct pci_bus *bus, const struct pci_dev_id *id,
			    const struct pci_dev_ops *ops, void *opaque, int *err)
{
	struct pci_dev *dev = NULL;

	for (unsigned int slot = 1; slot < PCI_NR_SLOTS && !dev; slot++) {
		if (bus->devs[slot])
			continue;
		dev = pci_dev_new(bus, slot, id);
		if (!dev) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	if (!dev) {
		*err = -ENOSPC;
		return NULL;
	}
	dev->ops = ops;
	dev->opaque = opaque;
	dev->cfg[PCI_INTERRUPT_PIN] = 1;	/* INTA# */
	/* As firmware leaves it: the line INTA# reaches (ACPI guests ignore it). */
	dev->cfg[PCI_INTERRUPT_LINE] = bus->info.intx_gsi[dev->slot] & 0xff;
	return dev;
}

void pci_dev_remove(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->lock);
	pthread_rwlock_wrlock(&bus->bars_lock);
	bus->devs[dev->slot] = NULL;
	pthread_rwlock_unlock(&bus->bars_lock);
	pthread_mutex_unlock(&bus->lock);
	free(dev);
}

static bool pci_bar_in_window(const struct pci_bus *bus, u64 addr, u64 size)
{
	return addr >= bus->info.mem_base && size <= bus->info.mem_size &&
	       addr - bus->info.mem_base <= bus->info.mem_size - size;
}

/* Where BAR @bar decodes given the command register and its address. */
static u64 pci_bar_decode(const struct pci_dev *dev, unsigned int bar)
{
	u64 addr = cfg_get32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * bar) &
		   PCI_BASE_ADDRESS_MEM_MASK;

	if (!dev->bar_size[bar] || !(cfg_get16(dev->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0;
	/* Outside the window nothing routes to it: half-sized, or misplaced. */
	if (!pci_bar_in_window(dev->bus, addr, dev->bar_size[bar]))
		return 0;
	return addr;
}

/* After a command or BAR write: follow the guest. Bus lock held. */
static void pci_bars_update(struct pci_dev *dev)
{
	for (unsigned int bar = 0; bar < PCI_NR_BARS; bar++) {
		u64 addr = pci_bar_decode(dev, bar);

		if (addr == dev->bar_addr[bar])
			continue;
		pthread_rwlock_wrlock(&dev->bus->bars_lock);
		dev->bar_addr[bar] = addr;
		pthread_rwlock_unlock(&dev->bus->bars_lock);
		if (dev->ops && dev->ops->bar_map)
			dev->ops->bar_map(dev->opaque, bar, addr);
	}
}

int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar, u64 size)
{
	struct pci_bus *bus = dev->bus;
	u64 addr = (bus->next_bar + size - 1) & ~(size - 1);

	if (bar >= PCI_NR_BARS || size < 4096 || (size & (size - 1)) || size > 1ULL << 31 ||
	    dev->bar_size[bar])
		return -EINVAL;
	if (!pci_bar_in_window(bus, addr, size))
		return -ENOSPC;
	bus->next_bar = addr + size;
	dev->bar_size[bar] = size;
	cfg_put32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * bar, addr);	/* mem32, not prefetchable */
	cfg_put32(dev->wmask + PCI_BASE_ADDRESS_0 + 4 * bar, ~(u32)(size - 1));
	/* As firmware leaves it: decoding on at the address it chose. */
	cfg_put16(dev->cfg + PCI_COMMAND, cfg_get16(dev->cfg + PCI_COMMAND) | PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&bus->lock);
	pci_bars_update(dev);
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

int pci_dev_add_cap(struct pci_dev *dev, const void *cap, const void *wmask, u8 len)
{
	unsigned int off = (dev->cap_end + 3) & ~3u;

	if (len < 2 || off + len > PCI_CAP_END)
		return -ENOSPC;
	memcpy(dev->cfg + off, cap, len);
	if (wmask)
		memcpy(dev->wmask + off, wmask, len);
	dev->wmask[off] = dev->wmask[off + 1] = 0;
	dev->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + PCI_CAP_LIST_NEXT] = off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	cfg_put16(dev->cfg + PCI_STATUS, cfg_get16(dev->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	dev->cap_last = off;
	dev->cap_end = off + len;
	return off;
}

u8 *pci_dev_cfg(struct pci_dev *dev)
{
	return dev->cfg;
}

unsigned int pci_dev_slot(const struct pci_dev *dev)
{
	return dev->slot;
}

u64 pci_dev_bar_addr(const struct pci_dev *dev, unsigned int bar)
{
	return bar < PCI_NR_BARS ? dev->bar_addr[bar] : 0;
}

bool pci_dev_bus_master(const struct pci_dev *dev)
{
	return cfg_get16(dev->cfg + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

/*
 * A line may be shared (x86 has 8 for 31 slots): it is high while any
 * device on it asserts INTA# with interrupts enabled. intx_lock held.
 */
static void pci_intx_update_line(struct pci_bus *bus, u32 gsi)
{
	bool found = false, level = false;
	u32 line = 0;

	for (unsigned int s = 1; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *d = bus->devs[s];

		if (!d || bus->info.intx_gsi[s] != gsi)
			continue;
		found = true;
		line = bus->info.intx_line[s];
		if (d->intx && !(cfg_get16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE))
			level = true;
	}
	/* No device on it (the host bridge's Interrupt Disable): not line 0's business. */
	if (found && bus->vm && bus->vm->vm_fd >= 0)
		irq_line_set(bus->vm, line, level);
}

void pci_dev_intx(struct pci_dev *dev, bool level)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->intx_lock);
	if (dev->intx != level) {
		dev->intx = level;
		pci_intx_update_line(bus, bus->info.intx_gsi[dev->slot]);
	}
	pthread_mutex_unlock(&bus->intx_lock);
}

/* Is [off, off + len) inside a capability the device added? */
static bool pci_in_caps(const struct pci_dev *dev, u32 off, u32 len)
{
	return dev->cap_last && off >= PCI_CAP_START && off + len <= dev->cap_end;
}

static void pci_cfg_read(struct pci_bus *bus, unsigned int slot, unsigned int fn, u32 off,
			 u8 *data, u32 len)
{
	struct pci_dev *dev = slot < PCI_NR_SLOTS ? bus->devs[slot] : NULL;

	/* Empty slots and functions, and unaligned accesses, read all-ones. */
	if (!dev || fn || off + len > PCI_CFG_SIZE || (off & (len - 1))) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	if (dev->ops && dev->ops->cfg_access && pci_in_caps(dev, off, len))
		dev->ops->cfg_access(dev->opaque, off, len, false);
	memcpy(data, dev->cfg + off, len);
	pthread_mutex_unlock(&bus->lock);
	/* PCI_STATUS_INTERRUPT: reported, never stored. */
	if (off <= PCI_STATUS && off + len > PCI_STATUS) {
		pthread_mutex_lock(&bus->intx_lock);
		if (dev->intx)
			data[PCI_STATUS - off] |= PCI_STATUS_INTERRUPT;
		pthread_mutex_unlock(&bus->intx_lock);
	}
}

static bool pci_overlaps(u32 off, u32 len, u32 start, u32 end)
{
	return off < end && off + len > start;
}

static void pci_cfg_write(struct pci_bus *bus, unsigned int slot, unsigned int fn, u32 off,
			  const u8 *data, u32 len)
{
	struct pci_dev *dev = slot < PCI_NR_SLOTS ? bus->devs[slot] : NULL;
	u16 old_cmd;

	if (!dev || fn || off + len > PCI_CFG_SIZE || (off & (len - 1)))
		return;
	pthread_mutex_lock(&bus->lock);
	old_cmd = cfg_get16(dev->cfg + PCI_COMMAND);
	for (u32 i = 0; i < len; i++)
		dev->cfg[off + i] = (dev->cfg[off + i] & ~dev->wmask[off + i]) |
				    (data[i] & dev->wmask[off + i]);
	if (pci_overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    pci_overlaps(off, len, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_5 + 4))
		pci_bars_update(dev);
	if ((old_cmd ^ cfg_get16(dev->cfg + PCI_COMMAND)) & PCI_COMMAND_INTX_DISABLE) {
		pthread_mutex_lock(&bus->intx_lock);
		pci_intx_update_line(bus, bus->info.intx_gsi[dev->slot]);
		pthread_mutex_unlock(&bus->intx_lock);
	}
	if (dev->ops && dev->ops->command && old_cmd != cfg_get16(dev->cfg + PCI_COMMAND))
		dev->ops->command(dev->opaque, cfg_get16(dev->cfg + PCI_COMMAND));
	if (dev->ops && dev->ops->cfg_access && pci_in_caps(dev, off, len))
		dev->ops->cfg_access(dev->opaque, off, len, true);
	pthread_mutex_unlock(&bus->lock);
}

static bool pci_len_ok(u32 len)
{
	return len == 1 || len == 2 || len == 4;
}

void pci_ecam_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		 void *opaque)
{
	struct pci_bus *bus = opaque;
	unsigned int slot = (offset >> 15) & 0x1f, fn = (offset >> 12) & 7;
	u32 reg = offset & 0xfff;

	if (offset >= PCI_ECAM_SIZE || !pci_len_ok(len)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_cfg_write(bus, slot, fn, reg, data, len);
	else
		pci_cfg_read(bus, slot, fn, reg, data, len);
}

/*
 * Mechanism #1: a 32-bit write to 0xcf8 latches enable | bus | device |
 * function | register; 0xcfc-0xcff then reach that dword. Narrower
 * accesses to 0xcf8 are not the latch (Linux probes with a byte to 0xcfb).
 */
void pci_cam_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		void *opaque)
{
	struct pci_bus *bus = opaque;
	u32 addr, reg;

	if (offset < 4) {
		if (offset || len != 4) {
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		pthread_mutex_lock(&bus->lock);
		if (is_write)
			bus->cam_addr = cfg_get32(data) & 0x80fffffc;
		else
			cfg_put32(data, bus->cam_addr);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	addr = bus->cam_addr;
	pthread_mutex_unlock(&bus->lock);
	reg = (addr & 0xfc) + (offset - 4);
	/* Disabled, another bus, or an access past 0xcff: nothing answers. */
	if (!(addr & 0x80000000) || (addr >> 16 & 0xff) || !pci_len_ok(len) ||
	    offset - 4 + len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_cfg_write(bus, addr >> 11 & 0x1f, addr >> 8 & 7, reg, data, len);
	else
		pci_cfg_read(bus, addr >> 11 & 0x1f, addr >> 8 & 7, reg, data, len);
}

/* The BAR window: find the BAR that decodes @offset now. */
static void pci_mem_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		       void *opaque)
{
	struct pci_bus *bus = opaque;
	u64 addr = bus->info.mem_base + offset;
	struct pci_dev *hit = NULL;
	unsigned int hit_bar = 0;
	u64 bar_off = 0;

	pthread_rwlock_rdlock(&bus->bars_lock);
	for (unsigned int s = 1; s < PCI_NR_SLOTS && !hit; s++) {
		struct pci_dev *d = bus->devs[s];

		for (unsigned int b = 0; d && b < PCI_NR_BARS; b++) {
			if (d->bar_addr[b] && addr >= d->bar_addr[b] &&
			    addr - d->bar_addr[b] < d->bar_size[b] &&
			    len <= d->bar_size[b] - (addr - d->bar_addr[b])) {
				hit = d;
				hit_bar = b;
				bar_off = addr - d->bar_addr[b];
				break;
			}
		}
	}
	pthread_rwlock_unlock(&bus->bars_lock);
	/* Devices are never removed while vcpus run: safe to call unlocked. */
	if (hit && hit->ops && hit->ops->bar_io) {
		hit->ops->bar_io(hit->opaque, hit_bar, bar_off, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
}

int pci_bus_register(struct pci_bus *bus)
{
	int r;

	r = bus_register(bus->vm, BUS_MMIO, bus->info.mem_base, bus->info.mem_size,
			 pci_mem_io, bus, "pci-mem");
	if (!r && bus->info.ecam_base)
		r = bus_register(bus->vm, BUS_MMIO, bus->info.ecam_base, PCI_ECAM_SIZE,
				 pci_ecam_io, bus, "pci-ecam");
	bus->registered = !r;
	return r;
}
