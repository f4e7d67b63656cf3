/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_VPCI_DRIVER_H
#define VMM_TEST_VPCI_DRIVER_H

/*
 * The driver's side of a modern virtio-pci function, done the way Linux's
 * virtio_pci_modern does it: capabilities found by walking the list,
 * everything else through BAR 0 on the MMIO bus (pci_guest.h). Include it
 * after defining the fake guest `g` (virtio_guest.h) and QSIZE; call
 * vpci_find() once the function exists.
 */
#include <stddef.h>

#include <linux/pci_regs.h>
#include <linux/virtio_pci.h>

#include "pci_guest.h"

#define CC(f)		offsetof(struct virtio_pci_common_cfg, f)
#define MSI_ADDR	0xfee00000u

static unsigned int slot;

/* What the driver learnt from the capabilities. */
struct vcaps {
	int common, isr, device, notify, pcicfg, msix;	/* config space offsets */
	u32 common_off, isr_off, device_off, notify_off;	/* in BAR 0 */
	u32 common_len, device_len, notify_len, mult;
	u32 msix_table, msix_pba, msix_size;
	u64 bar;
};
static struct vcaps c;

static inline u32 cfg_rd(u32 off, u32 len)
{
	return pg_ecam_rd(&g, slot, 0, off, len);
}

static inline void cfg_wr(u32 off, u32 len, u32 val)
{
	pg_ecam_wr(&g, slot, 0, off, len, val);
}

/*
 * Linux's virtio_pci_find_capability(): the first vendor cap of @type on
 * BAR 0 (the PCI_CFG cap's bar is the window's, whatever the driver wrote).
 */
static inline int find_vcap(u8 type)
{
	for (int pos = pg_find_cap(&g, slot, PCI_CAP_ID_VNDR, 0); pos > 0;
	     pos = pg_find_cap(&g, slot, PCI_CAP_ID_VNDR, pos))
		if (cfg_rd(pos + VIRTIO_PCI_CAP_CFG_TYPE, 1) == type &&
		    (type == VIRTIO_PCI_CAP_PCI_CFG || cfg_rd(pos + VIRTIO_PCI_CAP_BAR, 1) == 0))
			return pos;
	return -1;
}

static inline void discover(void)
{
	memset(&c, 0, sizeof(c));
	c.common = find_vcap(VIRTIO_PCI_CAP_COMMON_CFG);
	c.isr = find_vcap(VIRTIO_PCI_CAP_ISR_CFG);
	c.device = find_vcap(VIRTIO_PCI_CAP_DEVICE_CFG);
	c.notify = find_vcap(VIRTIO_PCI_CAP_NOTIFY_CFG);
	c.pcicfg = find_vcap(VIRTIO_PCI_CAP_PCI_CFG);
	c.msix = pg_find_cap(&g, slot, PCI_CAP_ID_MSIX, 0);
	if (c.common > 0) {
		c.common_off = cfg_rd(c.common + VIRTIO_PCI_CAP_OFFSET, 4);
		c.common_len = cfg_rd(c.common + VIRTIO_PCI_CAP_LENGTH, 4);
	}
	if (c.isr > 0)
		c.isr_off = cfg_rd(c.isr + VIRTIO_PCI_CAP_OFFSET, 4);
	if (c.device > 0) {
		c.device_off = cfg_rd(c.device + VIRTIO_PCI_CAP_OFFSET, 4);
		c.device_len = cfg_rd(c.device + VIRTIO_PCI_CAP_LENGTH, 4);
	}
	if (c.notify > 0) {
		c.notify_off = cfg_rd(c.notify + VIRTIO_PCI_CAP_OFFSET, 4);
		c.notify_len = cfg_rd(c.notify + VIRTIO_PCI_CAP_LENGTH, 4);
		c.mult = cfg_rd(c.notify + sizeof(struct virtio_pci_cap), 4);
	}
	if (c.msix > 0) {
		c.msix_size = (cfg_rd(c.msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
		c.msix_table = cfg_rd(c.msix + PCI_MSIX_TABLE, 4);
		c.msix_pba = cfg_rd(c.msix + PCI_MSIX_PBA, 4);
	}
	c.bar = pg_bar(&g, slot, 0);
}

/* ---- BAR 0, as the driver sees it ---- */

static inline u64 rd(u64 off, u32 len)
{
	return pg_mem_rd(&g, c.bar + off, len);
}

static inline void wr(u64 off, u32 len, u64 val)
{
	pg_mem_wr(&g, c.bar + off, len, val);
}

static inline u32 cc_rd(u32 field, u32 len)
{
	return rd(c.common_off + field, len);
}

static inline void cc_wr(u32 field, u32 len, u32 val)
{
	wr(c.common_off + field, len, val);
}

static inline u8 status(void)
{
	return cc_rd(CC(device_status), 1);
}

static inline void set_status(u8 s)
{
	cc_wr(CC(device_status), 1, s);
}

static inline void set_features(u64 f)
{
	cc_wr(CC(guest_feature_select), 4, 0);
	cc_wr(CC(guest_feature), 4, (u32)f);
	cc_wr(CC(guest_feature_select), 4, 1);
	cc_wr(CC(guest_feature), 4, f >> 32);
}

static inline u64 device_features(void)
{
	u64 f;

	cc_wr(CC(device_feature_select), 4, 0);
	f = cc_rd(CC(device_feature), 4);
	cc_wr(CC(device_feature_select), 4, 1);
	return f | (u64)cc_rd(CC(device_feature), 4) << 32;
}

static inline void setup_queue(u16 q, u64 desc, u64 avail, u64 used)
{
	cc_wr(CC(queue_select), 2, q);
	cc_wr(CC(queue_size), 2, QSIZE);
	cc_wr(CC(queue_desc_lo), 4, (u32)desc);
	cc_wr(CC(queue_desc_hi), 4, desc >> 32);
	cc_wr(CC(queue_avail_lo), 4, (u32)avail);
	cc_wr(CC(queue_avail_hi), 4, avail >> 32);
	cc_wr(CC(queue_used_lo), 4, (u32)used);
	cc_wr(CC(queue_used_hi), 4, used >> 32);
	cc_wr(CC(queue_enable), 2, 1);
}

/* The kick: a 16-bit write at notify_off * multiplier, as Linux does it. */
static inline void vpci_kick(u16 q)
{
	u16 off;

	cc_wr(CC(queue_select), 2, q);
	off = cc_rd(CC(queue_notify_off), 2);
	wr(c.notify_off + off * c.mult, 2, q);
}

static inline u8 isr(void)
{
	return rd(c.isr_off, 1);
}

/* ---- MSI-X ---- */

static inline void msix_entry(unsigned int v, u32 data, bool masked)
{
	u64 e = c.msix_table + v * PCI_MSIX_ENTRY_SIZE;

	wr(e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, MSI_ADDR);
	wr(e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
	wr(e + PCI_MSIX_ENTRY_DATA, 4, data);
	wr(e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, masked);
}

static inline void msix_ctrl(u16 flags)
{
	cfg_wr(c.msix + PCI_MSIX_FLAGS, 2, flags);
}

static inline u64 pba(void)
{
	return rd(c.msix_pba, 8);
}

/* The first virtio function on the bus (its slot), and its capabilities. */
static inline bool vpci_find(void)
{
	for (slot = 1; slot < PCI_NR_SLOTS; slot++)
		if (cfg_rd(PCI_VENDOR_ID, 2) == 0x1af4)
			break;
	if (slot == PCI_NR_SLOTS)
		return false;
	discover();
	return true;
}

#endif
