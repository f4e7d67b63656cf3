/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guest's virtio driver: one device model for both transports.
 * virtio.c holds the core (3.1.1 initialisation, the split ring, the
 * device tests) and the virtio-mmio transport; virtio_pci.c the modern
 * virtio-pci transport (4.1) and its interrupt checks (INTx, MSI-X).
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include "guest.h"

#define VIRTIO_MAX_DEVS		16
#define VQ_SIZE			16
#define VQ_TIMEOUT_US		3000000
#define VIRTIO_MSI_NO_VECTOR	0xffff

#define ID_NET			1
#define ID_BLOCK		2
#define ID_CONSOLE		3
#define ID_RNG			4

/* Status bits (virtio 1.x 2.1) */
#define S_ACKNOWLEDGE		1
#define S_DRIVER		2
#define S_DRIVER_OK		4
#define S_FEATURES_OK		8
#define S_NEEDS_RESET		0x40
#define S_FAILED		0x80

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* A split ring of @n entries: descriptors, avail, used (2.7 alignments). */
#define VRING_LAYOUT(n)							\
	struct vring_desc desc[n];					\
	struct {							\
		u16 flags, idx, ring[n], used_event;			\
	} avail __attribute__((aligned(64)));				\
	struct {							\
		u16 flags, idx;						\
		struct {						\
			u32 id, len;					\
		} ring[n];						\
		u16 avail_event;					\
	} used __attribute__((aligned(64)))

/* One page per device. */
struct vring {
	VRING_LAYOUT(VQ_SIZE);
} __attribute__((aligned(4096)));

struct vdev;

/* What differs between virtio-mmio and virtio-pci. */
struct vtransport {
	const char *name;		/* "mmio", "pci" */
	u8 (*get_status)(struct vdev *d);
	void (*set_status)(struct vdev *d, u8 status);
	u64 (*get_features)(struct vdev *d);
	void (*set_features)(struct vdev *d, u64 features);
	/* Queue @q of @num entries; false with d->err set. */
	bool (*queue_setup)(struct vdev *d, u32 q, u32 num, void *desc, void *avail, void *used);
	void (*notify)(struct vdev *d, u16 q);
	/* Read the interrupt status and acknowledge it. */
	u32 (*isr)(struct vdev *d);
	u32 (*config_generation)(struct vdev *d);
	u32 (*config_read32)(struct vdev *d, u32 off);
};

#define VQ_MAX			2

struct vdev {
	const struct vtransport *t;
	u64 base;			/* mmio: the window; pci: the common configuration */
	u32 size, irq;			/* mmio: window size, ISA irq; pci: INTx GSI */
	u32 magic, version, id, vendor;
	bool usable;			/* found, mapped, a device id */
	u64 offered, features;
	u16 avail_idx, last_used;
	struct vring *vr;
	char err[160];			/* why init or the last request failed */

	/* virtio-pci (virtio_pci.c) */
	struct pci_fn *pci;
	u64 common, isr_addr, device_cfg, notify_base;
	u32 notify_mult;
	u64 notify_addr[VQ_MAX];	/* queue q's doorbell */
	u8 common_bar;			/* where the common configuration is (the PCI_CFG window check) */
	u32 common_off;
	u8 cfg_cap;			/* VIRTIO_PCI_CAP_PCI_CFG, 0 if none */
	u8 msix_cap;			/* 0 if none */
	u16 msix_size;			/* table entries */
	u64 msix_table, msix_pba;
	u16 msix_config_vec, msix_queue_vec;	/* written at init: VIRTIO_MSI_NO_VECTOR by default */
};

/* virtio.c */
void virtio_probe(void);
int virtio_devs(struct vdev **devs);
bool virtio_features(struct vdev *d, u64 want);
bool virtio_driver_ok(struct vdev *d);
bool virtio_init(struct vdev *d, u64 want);
bool virtio_queue_setup(struct vdev *d, u32 q, struct vring *vr);
bool virtio_irq_request(struct vdev *d);
const char *virtio_dev_name(u32 id);

/* virtio_pci.c */
void virtio_pci_probe(struct vdev *devs, int *n, int max);
bool virtio_pci_irq_check(struct vdev *d, char *why, size_t len);
/* Two functions on one INTx line: up until both ISRs are read. -1 fail, 0 no such pair, 1 ok */
int virtio_pci_shared_intx_check(char *why, size_t len);

#endif
