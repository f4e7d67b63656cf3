/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_VIRTIO_GUEST_H
#define VMM_TEST_VIRTIO_GUEST_H

/*
 * A fake guest for virtio unit tests: a struct vm with one malloc'ed RAM
 * region and vm_fd = -1 (no KVM: ioeventfd/irqfd fall back), a split ring
 * laid out the way a driver would, and the driver's side of it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VIRTIO_RING_NO_LEGACY
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "kvm/kvm.h"

#define GUEST_RAM_SIZE	(4ULL << 20)
#define GUEST_DESC	0x1000ULL
#define GUEST_HEAP	0x100000ULL

struct guest {
	struct vm vm;
	u8 *ram;
	u16 qsize;
	u64 desc, avail, used;	/* ring gpas */
	u16 avail_idx;		/* the driver's shadow */
	u64 heap;		/* bump allocator for buffers */
};

static inline void guest_init(struct guest *g, u16 qsize)
{
	memset(g, 0, sizeof(*g));
	g->ram = aligned_alloc(4096, GUEST_RAM_SIZE);
	memset(g->ram, 0, GUEST_RAM_SIZE);
	g->vm.vm_fd = g->vm.sys_fd = -1;
	g->vm.regions[0] = (struct mem_region){ .gpa = 0, .size = GUEST_RAM_SIZE,
						.hva = g->ram };
	g->vm.nr_regions = 1;
	bus_init(&g->vm.bus[BUS_PIO], "pio");
	bus_init(&g->vm.bus[BUS_MMIO], "mmio");
	g->qsize = qsize;
	g->desc = GUEST_DESC;
	g->avail = g->desc + 16ULL * qsize;
	g->used = ALIGN_UP(g->avail + 6 + 2ULL * qsize, 4);
	g->heap = GUEST_HEAP;
}

static inline void guest_free(struct guest *g)
{
	bus_free(&g->vm.bus[BUS_PIO]);
	bus_free(&g->vm.bus[BUS_MMIO]);
	free(g->ram);
}

static inline void *guest_ptr(struct guest *g, u64 gpa)
{
	return g->ram + gpa;
}

static inline u64 guest_alloc(struct guest *g, u64 size)
{
	u64 a = g->heap;

	if (a + size > GUEST_RAM_SIZE)
		a = GUEST_HEAP;		/* tests are short: wrap around */
	g->heap = ALIGN_UP(a + size, 16);
	return a;
}

static inline void guest_desc(struct guest *g, u64 table, u16 i, u64 addr,
			      u32 len, u16 flags, u16 next)
{
	struct vring_desc *d = guest_ptr(g, table + 16ULL * i);

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static inline struct vring_avail *guest_avail(struct guest *g)
{
	return guest_ptr(g, g->avail);
}

static inline struct vring_used *guest_used(struct guest *g)
{
	return guest_ptr(g, g->used);
}

/* Make descriptor @head available (2.7.13). */
static inline void guest_publish(struct guest *g, u16 head)
{
	struct vring_avail *a = guest_avail(g);

	a->ring[g->avail_idx % g->qsize] = head;
	__atomic_store_n(&a->idx, ++g->avail_idx, __ATOMIC_RELEASE);
}

static inline u16 guest_used_idx(struct guest *g)
{
	return __atomic_load_n(&guest_used(g)->idx, __ATOMIC_ACQUIRE);
}

/* Wait (up to 5 s) for the used idx to reach @idx: the I/O thread's work. */
static inline bool guest_wait_used(struct guest *g, u16 idx)
{
	for (int i = 0; i < 5000; i++) {
		if (guest_used_idx(g) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

/* A chain of @n direct descriptors starting at @first: {addr, len, write}. */
struct seg {
	u64 addr;
	u32 len;
	bool write;
};

static inline void guest_chain(struct guest *g, u16 first, const struct seg *s,
			       unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		guest_desc(g, g->desc, (first + i) % g->qsize, s[i].addr, s[i].len,
			   (s[i].write ? VRING_DESC_F_WRITE : 0) |
			   (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			   (first + i + 1) % g->qsize);
}

/* The transport under test sits here on the guest's MMIO bus. */
#define GUEST_MMIO_BASE	0xd0000000ULL

static inline void guest_mmio_w32(struct guest *g, u64 off, u32 val)
{
	bus_access(&g->vm.bus[BUS_MMIO], NULL, GUEST_MMIO_BASE + off, (u8 *)&val, 4, true);
}

static inline u32 guest_mmio_r32(struct guest *g, u64 off)
{
	u32 v = 0;

	bus_access(&g->vm.bus[BUS_MMIO], NULL, GUEST_MMIO_BASE + off, (u8 *)&v, 4, false);
	return v;
}

/*
 * A driver's start up to FEATURES_OK (virtio 1.2, 3.1.1): ACKNOWLEDGE,
 * DRIVER, and every feature the device offers accepted, as Linux mostly does.
 */
static inline void guest_mmio_features_ok(struct guest *g)
{
	guest_mmio_w32(g, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	guest_mmio_w32(g, VIRTIO_MMIO_STATUS,
		       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (u32 i = 0; i < 2; i++) {
		guest_mmio_w32(g, VIRTIO_MMIO_DEVICE_FEATURES_SEL, i);
		u32 f = guest_mmio_r32(g, VIRTIO_MMIO_DEVICE_FEATURES);

		guest_mmio_w32(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, i);
		guest_mmio_w32(g, VIRTIO_MMIO_DRIVER_FEATURES, f);
	}
	guest_mmio_w32(g, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

/* Queue @q gets @ring's rings (@qsize entries), then QueueReady. */
static inline void guest_mmio_queue_setup(struct guest *bus, u32 q, const struct guest *ring,
					  u32 qsize)
{
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_SEL, q);
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_NUM, qsize);
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_DESC_LOW, ring->desc);
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_AVAIL_LOW, ring->avail);
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_USED_LOW, ring->used);
	guest_mmio_w32(bus, VIRTIO_MMIO_QUEUE_READY, 1);
}

#endif
