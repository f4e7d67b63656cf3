// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-pci, modern (virtio 1.x, 4.1): vendor capabilities pointing into
 * BAR 0, MSI-X through KVM MSI routes and irqfds, INTx otherwise.
 * Layouts: linux/virtio_pci.h, linux/pci_regs.h.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "devices/pci.h"
#include "devices/virtio/pci.h"
#include "kvm/eventfd.h"
#include "kvm/irq.h"
#include "kvm/kvm.h"
#include "util/log.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device id: modern only */
#define VIRTIO_PCI_SUBSYS	0x1100	/* what QEMU reports */
#define VIRTIO_PCI_COMMON_SIZE	0x40	/* with queue_notify_data, queue_reset */
#define VIRTIO_PCI_ISR_SIZE	4
#define MSIX_MAX		(VIRTIO_MAX_QUEUES + 1)	/* a vector per queue + config */
#define MSIX_ENTRY_SIZE		16

struct msix_vec {
	u32 addr_lo, addr_hi, data, ctrl;
	bool pending;
	int gsi;			/* its KVM MSI route, -1: none yet */
	int fd;				/* irqfd on @gsi, -1: none */
};

struct virtio_pci {
	struct virtio_dev dev;
	struct vm *vm;
	struct pci_dev *pdev;
	char name[24];

	u32 dfselect, gfselect;
	u16 queue_sel;
	u16 msix_config;
	u16 queue_vector[VIRTIO_MAX_QUEUES];

	u64 notify_base;		/* where the notify ioeventfds sit, 0: none */

	/* MSI-X (dev->lock): none when the machine has no MSI. */
	unsigned int nr_vecs;
	int msix_cap;			/* its offset in configuration space */
	bool msix_enabled, msix_masked;
	struct msix_vec vec[MSIX_MAX];

	int cfg_cap;			/* VIRTIO_PCI_CAP_PCI_CFG offset */
	bool bus_master;		/* Bus Master Enable (dev->lock): DMA and MSIs */
	_Atomic u64 nr_irqs;
	_Atomic u64 nr_isr_reads;	/* INTx: the driver's acknowledgements */
};

static u16 le16_at(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static u32 le32_at(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* MSI-X: deliverable unless the function or the vector is masked. */
static bool msix_live(const struct virtio_pci *p, const struct msix_vec *v)
{
	return p->msix_enabled && !p->msix_masked && !(v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_fire(struct virtio_pci *p, struct msix_vec *v)
{
	u64 one = 1;

	atomic_fetch_add(&p->nr_irqs, 1);
	if (v->fd >= 0) {
		if (write(v->fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: already pending in the eventfd */
		}
		return;
	}
	irq_msi_signal(p->vm, (u64)v->addr_hi << 32 | v->addr_lo, v->data, pci_dev_rid(p->pdev));
}

/*
 * Make the route follow the table, then deliver what waited while masked.
 * Routes are made lazily, when a vector is first unmasked. dev->lock held.
 */
static void msix_sync(struct virtio_pci *p, struct msix_vec *v)
{
	u64 addr = (u64)v->addr_hi << 32 | v->addr_lo;

	if (!msix_live(p, v))
		return;
	if (v->gsi < 0) {
		int gsi = irq_route_msi_add(p->vm, addr, v->data, pci_dev_rid(p->pdev));

		if (gsi >= 0) {
			int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

			v->gsi = gsi;
			if (fd >= 0 && vm_irqfd_add(p->vm, gsi, fd, -1) < 0) {
				close(fd);
				fd = -1;
			}
			v->fd = fd;	/* -1: KVM_SIGNAL_MSI each time */
		}
	} else {
		irq_route_msi_set(p->vm, v->gsi, addr, v->data);
	}
	if (v->pending && p->bus_master) {
		v->pending = false;
		msix_fire(p, v);
	}
}

static void msix_sync_all(struct virtio_pci *p)
{
	for (unsigned int i = 0; i < p->nr_vecs; i++)
		msix_sync(p, &p->vec[i]);
}

/* The core's interrupt: on the I/O thread, dev->lock held. */
static void virtio_pci_interrupt(void *opaque, u32 isr, int queue)
{
	struct virtio_pci *p = opaque;
	u16 vector;

	if (p->msix_enabled) {
		vector = queue < 0 ? p->msix_config : p->queue_vector[queue];
		/*
		 * 4.1.5.1.2: no vector, no interrupt. An MSI is a memory write:
		 * without Bus Master Enable it goes nowhere (as on hardware).
		 */
		if (vector >= p->nr_vecs || !p->bus_master)
			return;
		if (msix_live(p, &p->vec[vector]))
			msix_fire(p, &p->vec[vector]);
		else
			p->vec[vector].pending = true;
		return;
	}
	atomic_fetch_add(&p->nr_irqs, 1);
	pci_dev_intx(p->pdev, true);
}

static u16 virtio_pci_vector(const struct virtio_pci *p, u16 val)
{
	/* 4.1.4.3.1: a vector we cannot map reads back as NO_VECTOR. */
	return val < p->nr_vecs ? val : VIRTIO_MSI_NO_VECTOR;
}

/* Fill the whole common configuration as the driver would read it now. */
static void common_image(struct virtio_pci *p, u8 *img)
{
	struct virtio_dev *dev = &p->dev;
	struct virtq *vq = virtio_dev_queue(dev, p->queue_sel);
	struct virtio_pci_common_cfg c = {
		.device_feature_select = htole32(p->dfselect),
		.device_feature = htole32(virtio_dev_host_features(dev, p->dfselect)),
		.guest_feature_select = htole32(p->gfselect),
		.guest_feature = htole32(p->gfselect < 2 ?
					 (u32)(dev->guest_features >> (32 * p->gfselect)) : 0),
		.msix_config = htole16(p->msix_config),
		.num_queues = htole16(dev->ops->nr_queues),
		.device_status = dev->status,
		.config_generation = dev->config_generation,
		.queue_select = htole16(p->queue_sel),
		.queue_size = htole16(vq ? vq->size : 0),
		.queue_msix_vector = htole16(vq ? p->queue_vector[p->queue_sel] :
					     VIRTIO_MSI_NO_VECTOR),
		.queue_enable = htole16(vq ? vq->ready : 0),
		.queue_notify_off = htole16(vq ? p->queue_sel : 0),
		.queue_desc_lo = htole32(vq ? (u32)vq->desc_gpa : 0),
		.queue_desc_hi = htole32(vq ? vq->desc_gpa >> 32 : 0),
		.queue_avail_lo = htole32(vq ? (u32)vq->avail_gpa : 0),
		.queue_avail_hi = htole32(vq ? vq->avail_gpa >> 32 : 0),
		.queue_used_lo = htole32(vq ? (u32)vq->used_gpa : 0),
		.queue_used_hi = htole32(vq ? vq->used_gpa >> 32 : 0),
	};

	memset(img, 0, VIRTIO_PCI_COMMON_SIZE);
	memcpy(img, &c, sizeof(c));
}

static void set_half(u64 *v, bool hi, u32 val)
{
	*v = hi ? (*v & 0xffffffffULL) | (u64)val << 32 : (*v & ~0xffffffffULL) | val;
}

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

/* 4.1.3.1: each field with its own width; anything else is dropped. */
static void common_write(struct virtio_pci *p, u32 off, u32 len, u32 val)
{
	struct virtio_dev *dev = &p->dev;
	struct virtq *vq = virtio_dev_queue(dev, p->queue_sel);
	/* 4.1.4.3.2: queue layout only while the queue is disabled. */
	struct virtq *setup = vq && !vq->ready ? vq : NULL;

	switch (len << 8 | off) {
	case 4 << 8 | CC(device_feature_select):
		p->dfselect = val;
		break;
	case 4 << 8 | CC(guest_feature_select):
		p->gfselect = val;
		break;
	case 4 << 8 | CC(guest_feature):
		virtio_dev_set_guest_features(dev, p->gfselect, val);
		break;
	case 2 << 8 | CC(msix_config):
		p->msix_config = virtio_pci_vector(p, val);
		break;
	case 1 << 8 | CC(device_status):
		virtio_dev_set_status(dev, val);
		if (!val) {
			/* Reset: the transport's own state goes too. */
			p->dfselect = p->gfselect = p->queue_sel = 0;
			p->msix_config = VIRTIO_MSI_NO_VECTOR;
			for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
				p->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
			/* What the device raised before the reset is gone with it. */
			for (unsigned int i = 0; i < p->nr_vecs; i++)
				p->vec[i].pending = false;
			pci_dev_intx(p->pdev, false);
		}
		break;
	case 2 << 8 | CC(queue_select):
		p->queue_sel = val;
		break;
	case 2 << 8 | CC(queue_size):
		if (setup)
			setup->size = val;	/* checked when enabled */
		break;
	case 2 << 8 | CC(queue_msix_vector):
		if (vq)
			p->queue_vector[p->queue_sel] = virtio_pci_vector(p, val);
		break;
	case 2 << 8 | CC(queue_enable):
		if (val == 1)		/* 4.1.4.3.2: the driver never writes 0 */
			virtio_dev_queue_ready(dev, p->queue_sel, true);
		break;
	case 4 << 8 | CC(queue_desc_lo):
	case 4 << 8 | CC(queue_desc_hi):
		if (setup)
			set_half(&setup->desc_gpa, off == CC(queue_desc_hi), val);
		break;
	case 4 << 8 | CC(queue_avail_lo):
	case 4 << 8 | CC(queue_avail_hi):
		if (setup)
			set_half(&setup->avail_gpa, off == CC(queue_avail_hi), val);
		break;
	case 4 << 8 | CC(queue_used_lo):
	case 4 << 8 | CC(queue_used_hi):
		if (setup)
			set_half(&setup->used_gpa, off == CC(queue_used_hi), val);
		break;
	default:
		break;			/* read-only, or a wrong width */
	}
}

static void msix_table_io(struct virtio_pci *p, u64 off, u8 *data, u32 len, bool is_write)
{
	unsigned int i = off / MSIX_ENTRY_SIZE, word = (off % MSIX_ENTRY_SIZE) / 4;
	struct msix_vec *v;
	u32 val;

	/* PCI 6.8.2: aligned DWORDs or QWORDs; anything else is dropped. */
	if ((len != 4 && len != 8) || (off & (len - 1)) || i >= p->nr_vecs) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	v = &p->vec[i];
	for (u32 k = 0; k < len / 4; k++, word++) {
		u32 *w[] = { &v->addr_lo, &v->addr_hi, &v->data, &v->ctrl };

		if (!is_write) {
			val = htole32(*w[word]);
			memcpy(data + 4 * k, &val, 4);
			continue;
		}
		memcpy(&val, data + 4 * k, 4);
		val = le32toh(val);
		if (word == 3)
			val &= PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* the rest is reserved */
		*w[word] = val;
	}
	if (is_write)
		msix_sync(p, v);
}

static void msix_pba_read(struct virtio_pci *p, u64 off, u8 *data, u32 len)
{
	u64 bits = 0;

	for (unsigned int i = 0; i < p->nr_vecs; i++)
		bits |= (u64)p->vec[i].pending << i;
	memset(data, 0, len);
	for (u32 i = 0; i < len; i++)
		if (off + i < 8)
			data[i] = bits >> (8 * (off + i));
}

static void virtio_pci_bar_io(void *opaque, unsigned int bar, u64 off, u8 *data, u32 len,
			      bool is_write)
{
	struct virtio_pci *p = opaque;
	struct virtio_dev *dev = &p->dev;
	u32 val = 0;

	if (bar != 0 || len > 8)
		goto unhandled;

	if (off >= VIRTIO_PCI_NOTIFY_OFF &&
	    off < VIRTIO_PCI_NOTIFY_OFF + dev->ops->nr_queues * VIRTIO_PCI_NOTIFY_MULT) {
		/* Only when no ioeventfd took it: same effect, slower. */
		if (is_write)
			virtio_dev_kick(dev, (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT);
		else
			memset(data, 0, len);
		return;
	}
	if (off >= VIRTIO_PCI_ISR_OFF && off < VIRTIO_PCI_ISR_OFF + VIRTIO_PCI_ISR_SIZE) {
		if (is_write)
			return;
		memset(data, 0, len);
		if (off != VIRTIO_PCI_ISR_OFF)
			return;
		/* 4.1.4.5: reading clears it and de-asserts INTx. */
		data[0] = atomic_exchange(&dev->isr, 0);
		atomic_fetch_add(&p->nr_isr_reads, 1);
		pci_dev_intx(p->pdev, false);
		/*
		 * Raised between the exchange and the line going low: keep it
		 * up, unless MSI-X took over meanwhile (decided under the lock).
		 */
		if (atomic_load(&dev->isr)) {
			pthread_mutex_lock(&dev->lock);
			if (atomic_load(&dev->isr) && !p->msix_enabled)
				pci_dev_intx(p->pdev, true);
			pthread_mutex_unlock(&dev->lock);
		}
		return;
	}

	pthread_mutex_lock(&dev->lock);
	if (off < VIRTIO_PCI_COMMON_SIZE) {
		if (is_write) {
			if (len <= 4) {
				memcpy(&val, data, len);
				common_write(p, off, len, le32toh(val));
			}
		} else {
			u8 img[VIRTIO_PCI_COMMON_SIZE];

			common_image(p, img);
			memset(data, 0, len);
			memcpy(data, img + off, MIN((u64)len, VIRTIO_PCI_COMMON_SIZE - off));
		}
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_DEVICE_OFF + 0x1000) {
		if (is_write)
			virtio_dev_config_write(dev, off - VIRTIO_PCI_DEVICE_OFF, data, len);
		else
			virtio_dev_config_read(dev, off - VIRTIO_PCI_DEVICE_OFF, data, len);
	} else if (p->nr_vecs && off >= VIRTIO_PCI_MSIX_TABLE_OFF &&
		   off < VIRTIO_PCI_MSIX_TABLE_OFF + p->nr_vecs * MSIX_ENTRY_SIZE) {
		msix_table_io(p, off - VIRTIO_PCI_MSIX_TABLE_OFF, data, len, is_write);
	} else if (p->nr_vecs && off >= VIRTIO_PCI_MSIX_PBA_OFF &&
		   off < VIRTIO_PCI_MSIX_PBA_OFF + 8) {
		if (!is_write)
			msix_pba_read(p, off - VIRTIO_PCI_MSIX_PBA_OFF, data, len);
	} else if (!is_write) {
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&dev->lock);
	return;

unhandled:
	if (!is_write)
		memset(data, 0, len);
}

static void notify_ioeventfds(struct virtio_pci *p, u64 base, unsigned int n, bool add)
{
	for (unsigned int q = 0; q < n; q++) {
		u64 addr = base + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT;

		if (!add) {
			vm_ioeventfd_del(p->vm, addr, 2, false, false, 0, p->dev.notify_fd[q]);
		} else if (vm_ioeventfd_add(p->vm, addr, 2, false, false, 0,
					    p->dev.notify_fd[q]) < 0) {
			/* All or none: a trapped kick works the same, only slower. */
			notify_ioeventfds(p, base, q, false);
			return;
		}
	}
	if (add)
		p->notify_base = base;
}

/* BAR 0 moved (or decoding switched): the kicks' ioeventfds follow it. */
static void virtio_pci_bar_map(void *opaque, unsigned int bar, u64 addr)
{
	struct virtio_pci *p = opaque;

	if (bar != 0)
		return;
	if (p->notify_base) {
		notify_ioeventfds(p, p->notify_base, p->dev.ops->nr_queues, false);
		p->notify_base = 0;
	}
	if (addr)
		notify_ioeventfds(p, addr, p->dev.ops->nr_queues, true);
}

/* The VIRTIO_PCI_CAP_PCI_CFG window: BAR access through config space. */
static void pci_cfg_window(struct virtio_pci *p, bool is_write)
{
	u8 *cap = pci_dev_cfg(p->pdev) + p->cfg_cap;
	u8 bar = cap[offsetof(struct virtio_pci_cap, bar)];
	u32 off = le32_at(cap + offsetof(struct virtio_pci_cap, offset));
	u32 len = le32_at(cap + offsetof(struct virtio_pci_cap, length));
	u8 *data = cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	/* 4.1.4.9: 1, 2 or 4 bytes, aligned, inside the BAR; else nothing. */
	if (bar != 0 || (len != 1 && len != 2 && len != 4) || (off & (len - 1)) ||
	    off >= VIRTIO_PCI_BAR_SIZE)
		return;
	virtio_pci_bar_io(p, 0, off, data, len, is_write);
}

static bool overlaps(u32 off, u32 len, u32 start, u32 size)
{
	return off < start + size && off + len > start;
}

/* Config-space accesses inside our capabilities; bus lock held. */
static void virtio_pci_cfg_access(void *opaque, u32 off, u32 len, bool is_write)
{
	struct virtio_pci *p = opaque;
	u32 data_off = p->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (overlaps(off, len, data_off, 4))
		pci_cfg_window(p, is_write);
	if (is_write && p->nr_vecs && overlaps(off, len, p->msix_cap + PCI_MSIX_FLAGS, 2)) {
		u16 flags = le16_at(pci_dev_cfg(p->pdev) + p->msix_cap + PCI_MSIX_FLAGS);

		pthread_mutex_lock(&p->dev.lock);
		p->msix_enabled = flags & PCI_MSIX_FLAGS_ENABLE;
		p->msix_masked = flags & PCI_MSIX_FLAGS_MASKALL;
		/* 6.8.2: INTx is off with MSI-X; back on without it, if still due. */
		pci_dev_intx(p->pdev, !p->msix_enabled && atomic_load(&p->dev.isr));
		msix_sync_all(p);
		pthread_mutex_unlock(&p->dev.lock);
	}
}

/*
 * Bus Master Enable: without it a PCI device must not touch memory, so the
 * queues take no new buffers (a kexec'd kernel clears it to keep devices
 * off the old kernel's buffers) and MSIs are not sent. Bus lock held.
 */
static void virtio_pci_command(void *opaque, u16 cmd)
{
	struct virtio_pci *p = opaque;

	pthread_mutex_lock(&p->dev.lock);
	p->bus_master = cmd & PCI_COMMAND_MASTER;
	virtio_dev_set_paused(&p->dev, !p->bus_master);
	if (p->bus_master)
		msix_sync_all(p);	/* what waited for it */
	pthread_mutex_unlock(&p->dev.lock);
}

static const struct pci_dev_ops virtio_pci_ops = {
	.bar_io = virtio_pci_bar_io,
	.bar_map = virtio_pci_bar_map,
	.cfg_access = virtio_pci_cfg_access,
	.command = virtio_pci_command,
};

static u32 virtio_pci_class(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return PCI_CLASS_NETWORK_ETHERNET << 8;
	case VIRTIO_ID_BLOCK:
		return PCI_CLASS_STORAGE_SCSI << 8;
	case VIRTIO_ID_CONSOLE:
		return PCI_CLASS_COMMUNICATION_OTHER << 8;
	default:
		return PCI_CLASS_OTHERS << 16;
	}
}

static int add_vcap(struct pci_dev *pdev, u8 type, u32 offset, u32 length)
{
	struct virtio_pci_cap c = {
		.cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(c), .cfg_type = type,
		.bar = 0, .offset = htole32(offset), .length = htole32(length),
	};

	return pci_dev_add_cap(pdev, &c, NULL, sizeof(c));
}

static int virtio_pci_caps(struct virtio_pci *p)
{
	const struct virtio_dev_ops *ops = p->dev.ops;
	struct virtio_pci_notify_cap n = {
		.cap = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(n),
			 .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG, .bar = 0,
			 .offset = htole32(VIRTIO_PCI_NOTIFY_OFF),
			 .length = htole32(ops->nr_queues * VIRTIO_PCI_NOTIFY_MULT) },
		.notify_off_multiplier = htole32(VIRTIO_PCI_NOTIFY_MULT),
	};
	struct virtio_pci_cfg_cap w = {
		.cap = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(w),
			 .cfg_type = VIRTIO_PCI_CAP_PCI_CFG },
	}, wmask;
	int r;

	if (add_vcap(p->pdev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		     VIRTIO_PCI_COMMON_SIZE) < 0 ||
	    add_vcap(p->pdev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF,
		     VIRTIO_PCI_ISR_SIZE) < 0 ||
	    pci_dev_add_cap(p->pdev, &n, NULL, sizeof(n)) < 0)
		return -ENOSPC;
	if (ops->config_size &&
	    add_vcap(p->pdev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
		     ops->config_size) < 0)
		return -ENOSPC;

	/* The window: bar, offset, length and data are the driver's to write. */
	memset(&wmask, 0, sizeof(wmask));
	wmask.cap.bar = 0xff;
	memset(&wmask.cap.offset, 0xff, 4);
	memset(&wmask.cap.length, 0xff, 4);
	memset(wmask.pci_cfg_data, 0xff, 4);
	r = pci_dev_add_cap(p->pdev, &w, &wmask, sizeof(w));
	if (r < 0)
		return r;
	p->cfg_cap = r;

	if (p->vm->msi) {
		u8 cap[PCI_CAP_MSIX_SIZEOF] = { PCI_CAP_ID_MSIX }, mask[PCI_CAP_MSIX_SIZEOF] = { 0 };
		u32 table = htole32(VIRTIO_PCI_MSIX_TABLE_OFF), pba = htole32(VIRTIO_PCI_MSIX_PBA_OFF);

		p->nr_vecs = ops->nr_queues + 1;
		cap[PCI_MSIX_FLAGS] = p->nr_vecs - 1;	/* table size - 1 */
		memcpy(cap + PCI_MSIX_TABLE, &table, 4);	/* BIR 0 */
		memcpy(cap + PCI_MSIX_PBA, &pba, 4);
		mask[PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
		r = pci_dev_add_cap(p->pdev, cap, mask, sizeof(cap));
		if (r < 0)
			return r;
		p->msix_cap = r;
		for (unsigned int i = 0; i < p->nr_vecs; i++)
			p->vec[i] = (struct msix_vec){ .ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT,
						       .gsi = -1, .fd = -1 };
	}
	return 0;
}

struct virtio_pci *virtio_pci_create(struct vm *vm, struct pci_bus *bus,
				     const struct virtio_dev_ops *ops, void *opaque,
				     int *err)
{
	struct virtio_pci *p = calloc(1, sizeof(*p));
	struct pci_dev_id id = {
		.vendor = VIRTIO_PCI_VENDOR, .device = VIRTIO_PCI_DEVICE_BASE + ops->device_id,
		.subsys_vendor = VIRTIO_PCI_VENDOR, .subsys = VIRTIO_PCI_SUBSYS,
		.class = virtio_pci_class(ops->device_id), .revision = 1,
	};
	int r;

	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->vm = vm;
	p->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		p->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
	snprintf(p->name, sizeof(p->name), "virtio-%s", ops->name);
	if (ops->config_size > 0x1000) {
		free(p);
		*err = -EINVAL;
		return NULL;
	}
	r = virtio_dev_init(&p->dev, vm, ops, opaque, virtio_pci_interrupt, p);
	if (r < 0) {
		free(p);
		*err = r;
		return NULL;
	}
	/* Bus Master Enable is clear at reset: no DMA until the driver sets it. */
	pthread_mutex_lock(&p->dev.lock);
	virtio_dev_set_paused(&p->dev, true);
	pthread_mutex_unlock(&p->dev.lock);
	p->pdev = pci_dev_add(bus, &id, &virtio_pci_ops, p, &r);
	if (!p->pdev) {
		virtio_dev_exit(&p->dev);
		free(p);
		*err = r;
		return NULL;
	}
	/* The BAR first: it is what can run out (-ENOSPC). */
	r = pci_dev_add_bar(p->pdev, 0, VIRTIO_PCI_BAR_SIZE);
	if (!r)
		r = virtio_pci_caps(p);
	if (r < 0) {
		/* The slot goes too: nothing on the bus may point at @p. */
		pci_dev_remove(p->pdev);
		p->pdev = NULL;
		virtio_pci_destroy(p);
		*err = r;
		return NULL;
	}
	log_debug("%s at 00:%02x.0, BAR 0x%llx: kicks by %s, interrupts by %s", p->name,
		  pci_dev_slot(p->pdev), (unsigned long long)pci_dev_bar_addr(p->pdev, 0),
		  p->notify_base ? "ioeventfd" : "trapped writes",
		  p->nr_vecs ? "MSI-X (irqfd) or INTx" : "INTx");
	return p;
}

void virtio_pci_destroy(struct virtio_pci *p)
{
	if (!p)
		return;
	log_debug("%s: %llu interrupts, last by %s", p->name,
		  (unsigned long long)atomic_load(&p->nr_irqs), p->msix_enabled ? "MSI-X" : "INTx");
	if (p->notify_base)
		notify_ioeventfds(p, p->notify_base, p->dev.ops->nr_queues, false);
	virtio_dev_exit(&p->dev);
	for (unsigned int i = 0; i < p->nr_vecs; i++) {
		struct msix_vec *v = &p->vec[i];

		if (v->fd >= 0) {
			vm_irqfd_del(p->vm, v->gsi, v->fd);
			close(v->fd);
		}
		if (v->gsi >= 0)
			irq_route_msi_del(p->vm, v->gsi);
	}
	free(p);
}

struct virtio_dev *virtio_pci_dev(struct virtio_pci *p)
{
	return &p->dev;
}

void virtio_pci_dump(struct virtio_pci *p, FILE *f)
{
	u16 rid = pci_dev_rid(p->pdev);

	fprintf(f, "%s: pci 00:%02x.%u, interrupts by %s: irqs_sent=%llu isr_reads=%llu",
		p->name, rid >> 3 & 0x1f, rid & 7, p->msix_enabled ? "MSI-X" : "INTx",
		(unsigned long long)atomic_load(&p->nr_irqs),
		(unsigned long long)atomic_load(&p->nr_isr_reads));
	if (p->msix_enabled) {
		fprintf(f, "%s", p->msix_masked ? " function-masked" : "");
		for (unsigned int q = 0; q < p->dev.ops->nr_queues; q++) {
			u16 v = p->queue_vector[q];

			fprintf(f, " q%u_vector=", q);
			if (v >= p->nr_vecs)
				fprintf(f, "none");
			else
				fprintf(f, "%u%s%s", v, p->vec[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT ?
					",masked" : "", p->vec[v].pending ? ",pending" : "");
		}
	}
	fprintf(f, "\n");
	virtio_dev_dump(&p->dev, f);
}

u64 virtio_pci_nr_irqs(const struct virtio_pci *p)
{
	return atomic_load(&p->nr_irqs);
}
