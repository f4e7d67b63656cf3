// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio version 2 transport (virtio 1.x, 4.2.2). The register layout
 * is linux/virtio_mmio.h; legacy (version 1) registers are not decoded.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "devices/virtio/mmio.h"
#include "kvm/eventfd.h"
#include "kvm/kvm.h"
#include "util/log.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR	0x004d4d56	/* "VMM" */

struct virtio_mmio {
	struct virtio_dev dev;
	struct vm *vm;
	u64 base;
	u32 gsi;
	u32 irq_line;			/* KVM_IRQ_LINE's number for the same line */
	int irq_fd;			/* the irqfd's eventfd, or -1 */
	_Atomic bool irqfd;		/* irq_fd is attached: else KVM_IRQ_LINE */
	bool ioeventfd;			/* QueueNotify ioeventfds registered */
	char name[24];

	u32 host_features_sel;
	u32 guest_features_sel;
	u32 queue_sel;
	_Atomic u64 nr_irqs;
	_Atomic u64 nr_acks;		/* InterruptACK writes */
};

static void virtio_mmio_interrupt(void *opaque, u32 isr, int queue)
{
	struct virtio_mmio *m = opaque;
	u64 one = 1;

	atomic_fetch_add(&m->nr_irqs, 1);
	/*
	 * One edge per notification: Linux's handler reads InterruptStatus
	 * and serves every queue, and an edge that arrives while it runs stays
	 * pending in the interrupt controller, so none is lost, and no resample
	 * exit is needed as a level line would.
	 */
	if (atomic_load(&m->irqfd)) {
		if (write(m->irq_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: an interrupt is already pending */
		}
		return;
	}
	irq_line_set(m->vm, m->irq_line, 1);
	irq_line_set(m->vm, m->irq_line, 0);
}

static u32 virtio_mmio_read(struct virtio_mmio *m, u64 off)
{
	struct virtio_dev *dev = &m->dev;
	struct virtq *vq = virtio_dev_queue(dev, m->queue_sel);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_dev_host_features(dev, m->host_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vq->max_size : 0;	/* 0: no such queue */
	case VIRTIO_MMIO_QUEUE_NUM:
		return vq ? vq->size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return atomic_load(&dev->isr);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return vq ? (u32)vq->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return vq ? vq->desc_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return vq ? (u32)vq->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return vq ? vq->avail_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return vq ? (u32)vq->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return vq ? vq->used_gpa >> 32 : 0;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffff;		/* 4.2.2: no shared memory region */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

static void set_lo(u64 *v, u32 lo)
{
	*v = (*v & ~0xffffffffULL) | lo;
}

static void set_hi(u64 *v, u32 hi)
{
	*v = (*v & 0xffffffffULL) | ((u64)hi << 32);
}

static void virtio_mmio_write(struct virtio_mmio *m, u64 off, u32 val)
{
	struct virtio_dev *dev = &m->dev;
	struct virtq *vq = virtio_dev_queue(dev, m->queue_sel);
	/* 4.2.2.3: queue layout is written only while the queue is not ready. */
	struct virtq *setup = vq && !vq->ready ? vq : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->host_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_dev_set_guest_features(dev, m->guest_features_sel, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->guest_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (setup)
			setup->size = val;	/* checked at QueueReady */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		virtio_dev_queue_ready(dev, m->queue_sel, val & 1);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_dev_set_status(dev, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if (setup)
			set_lo(&setup->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (setup)
			set_hi(&setup->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		if (setup)
			set_lo(&setup->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (setup)
			set_hi(&setup->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		if (setup)
			set_lo(&setup->used_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (setup)
			set_hi(&setup->used_gpa, val);
		break;
	default:
		break;			/* read-only or unknown: dropped */
	}
}

void virtio_mmio_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		    bool is_write, void *opaque)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *dev = &m->dev;
	u32 val;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		u64 coff = offset - VIRTIO_MMIO_CONFIG;

		if (len > 8 || coff >= VIRTIO_MMIO_SIZE) {
			if (!is_write)
				memset(data, 0, len);
			return;
		}
		pthread_mutex_lock(&dev->lock);
		if (is_write)
			virtio_dev_config_write(dev, coff, data, len);
		else
			virtio_dev_config_read(dev, coff, data, len);
		pthread_mutex_unlock(&dev->lock);
		return;
	}

	/* 4.2.2.2: control registers are 32-bit, aligned; anything else is dropped. */
	if (len != 4 || (offset & 3)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		if (offset == VIRTIO_MMIO_INTERRUPT_STATUS) {
			val = atomic_load(&dev->isr);	/* hot: no lock */
		} else {
			pthread_mutex_lock(&dev->lock);
			val = virtio_mmio_read(m, offset);
			pthread_mutex_unlock(&dev->lock);
		}
		val = htole32(val);
		memcpy(data, &val, 4);
		return;
	}

	memcpy(&val, data, 4);
	val = le32toh(val);
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_dev_kick(dev, val);	/* no ioeventfd matched */
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		atomic_fetch_and(&dev->isr, ~val);
		atomic_fetch_add(&m->nr_acks, 1);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	virtio_mmio_write(m, offset, val);
	pthread_mutex_unlock(&dev->lock);
}

static void virtio_mmio_del_ioeventfds(struct virtio_mmio *m, unsigned int n)
{
	for (unsigned int q = 0; q < n; q++)
		vm_ioeventfd_del(m->vm, m->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, false,
				 true, q, m->dev.notify_fd[q]);
}

static void virtio_mmio_add_ioeventfds(struct virtio_mmio *m)
{
	unsigned int n = m->dev.ops->nr_queues;

	for (unsigned int q = 0; q < n; q++) {
		if (vm_ioeventfd_add(m->vm, m->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4,
				     false, true, q, m->dev.notify_fd[q]) < 0) {
			/* All or none: a trapped kick works the same, only slower. */
			virtio_mmio_del_ioeventfds(m, q);
			return;
		}
	}
	m->ioeventfd = true;
}

struct virtio_mmio *virtio_mmio_create(struct vm *vm, u64 base, u32 gsi,
				       const struct virtio_dev_ops *ops,
				       void *opaque, int *err)
{
	struct virtio_mmio *m = calloc(1, sizeof(*m));
	int r;

	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	m->vm = vm;
	m->base = base;
	m->gsi = gsi;
	m->irq_line = gsi;
	m->irq_fd = -1;
	snprintf(m->name, sizeof(m->name), "virtio-%s", ops->name);

	r = virtio_dev_init(&m->dev, vm, ops, opaque, virtio_mmio_interrupt, m);
	if (r < 0) {
		free(m);
		*err = r;
		return NULL;
	}
	m->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->irq_fd >= 0) {
		r = vm_irqfd_add(vm, gsi, m->irq_fd, -1);
		if (!r) {
			m->irqfd = true;
		} else if (r != -EAGAIN) {
			close(m->irq_fd);
			m->irq_fd = -1;
		}
		/*
		 * -EAGAIN: the in-kernel interrupt controller is not
		 * initialised yet (arm64: the vgic until CTRL_INIT, which
		 * needs every vcpu); virtio_mmio_irqfd_late() retries.
		 */
	}
	virtio_mmio_add_ioeventfds(m);

	r = bus_register(vm, BUS_MMIO, base, VIRTIO_MMIO_SIZE, virtio_mmio_io, m,
			 m->name);
	if (r < 0) {
		virtio_mmio_destroy(m);
		*err = r;
		return NULL;
	}
	log_debug("%s at 0x%llx, gsi %u: queue kicks by %s, interrupts by %s", m->name,
		  (unsigned long long)base, gsi, m->ioeventfd ? "ioeventfd" : "trapped writes",
		  m->irqfd ? "irqfd" : m->irq_fd >= 0 ? "irqfd once the interrupt controller "
		  "is initialised" : "KVM_IRQ_LINE");
	return m;
}

void virtio_mmio_irqfd_late(struct virtio_mmio *m)
{
	int r;

	if (m->irqfd || m->irq_fd < 0)
		return;
	r = vm_irqfd_add(m->vm, m->gsi, m->irq_fd, -1);
	if (!r) {
		atomic_store(&m->irqfd, true);
	} else {
		close(m->irq_fd);
		m->irq_fd = -1;
	}
	log_debug("%s: interrupts by %s", m->name,
		  r ? "KVM_IRQ_LINE (irqfd refused)" : "irqfd");
}

void virtio_mmio_set_irq_line(struct virtio_mmio *m, u32 line)
{
	m->irq_line = line;
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	if (!m)
		return;
	if (m->ioeventfd)
		virtio_mmio_del_ioeventfds(m, m->dev.ops->nr_queues);
	virtio_dev_exit(&m->dev);
	if (m->irqfd)
		vm_irqfd_del(m->vm, m->gsi, m->irq_fd);
	if (m->irq_fd >= 0)
		close(m->irq_fd);
	free(m);
}

u64 virtio_mmio_nr_irqs(const struct virtio_mmio *m)
{
	return atomic_load(&m->nr_irqs);
}

void virtio_mmio_dump(struct virtio_mmio *m, FILE *f)
{
	fprintf(f, "%s: mmio 0x%llx gsi %u, interrupts by %s: irqs_sent=%llu acks=%llu\n",
		m->name, (unsigned long long)m->base, m->gsi,
		atomic_load(&m->irqfd) ? "irqfd" : "KVM_IRQ_LINE",
		(unsigned long long)atomic_load(&m->nr_irqs),
		(unsigned long long)atomic_load(&m->nr_acks));
	virtio_dev_dump(&m->dev, f);
}

struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m)
{
	return &m->dev;
}

int virtio_mmio_cmdline(char *buf, size_t size, u64 base, u32 irq)
{
	return snprintf(buf, size, "virtio_mmio.device=%u@0x%llx:%u",
			VIRTIO_MMIO_SIZE, (unsigned long long)base, irq);
}
