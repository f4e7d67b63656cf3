// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI bus: configuration space through ECAM (on the MMIO bus) and
 * mechanism #1 (on the PIO bus), BARs that follow the guest, capabilities,
 * INTx. Devices here are recorders: they log what the bus hands them. The
 * VM fd is fake_kvm's, so the INTx lines the bus drives can be checked.
 */
#include <errno.h>

#include "fake_kvm.h"
#include "pci_guest.h"
#include "test.h"

#define BAR_SIZE	0x4000
#define DEV_ID		0x1234
#define VENDOR		0xabcd

/* A device that records what the bus does to it. */
struct rec {
	struct pci_dev *pdev;
	unsigned int nr_io, nr_map, nr_cfg;
	unsigned int bar;
	u64 off;
	u32 len;
	bool is_write;
	u64 wval;
	u64 map_addr;
	u32 cfg_off, cfg_len;
	bool cfg_write;
};

static void rec_bar_io(void *opaque, unsigned int bar, u64 off, u8 *data, u32 len,
		       bool is_write)
{
	struct rec *r = opaque;

	r->nr_io++;
	r->bar = bar;
	r->off = off;
	r->len = len;
	r->is_write = is_write;
	if (is_write) {
		r->wval = 0;
		memcpy(&r->wval, data, len);
	} else {
		for (u32 i = 0; i < len; i++)
			data[i] = 0xa0 + i;	/* recognisably not all-ones */
	}
}

static void rec_bar_map(void *opaque, unsigned int bar, u64 addr)
{
	struct rec *r = opaque;

	r->nr_map++;
	r->bar = bar;
	r->map_addr = addr;
}

static void rec_cfg_access(void *opaque, u32 off, u32 len, bool is_write)
{
	struct rec *r = opaque;

	r->nr_cfg++;
	r->cfg_off = off;
	r->cfg_len = len;
	r->cfg_write = is_write;
}

static const struct pci_dev_ops rec_ops = {
	.bar_io = rec_bar_io,
	.bar_map = rec_bar_map,
	.cfg_access = rec_cfg_access,
};

static struct guest g;
static struct pci_bus *bus;
static struct rec rec[4];

static const struct pci_dev_id rec_id = {
	.vendor = VENDOR, .device = DEV_ID, .subsys_vendor = VENDOR, .subsys = 7,
	.class = 0x0780aa, .revision = 3,
};

/* A bus with @n recorders in slots 1..n, each with a BAR 0 of BAR_SIZE. */
static bool start(unsigned int n, u64 mem_size)
{
	int err = 0;

	guest_init(&g, 16);
	g.vm.vm_fd = fake_kvm_open();
	memset(rec, 0, sizeof(rec));
	bus = pg_bus_create(&g, mem_size);
	if (!bus)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		rec[i].pdev = pci_dev_add(bus, &rec_id, &rec_ops, &rec[i], &err);
		if (!rec[i].pdev || pci_dev_add_bar(rec[i].pdev, 0, BAR_SIZE) < 0)
			return false;
	}
	return true;
}

static void stop(void)
{
	pci_bus_destroy(bus);
	bus = NULL;
	fake_kvm_close(&g.vm);
	guest_free(&g);
}

static u16 cmd(unsigned int slot)
{
	return pg_ecam_rd(&g, slot, 0, PCI_COMMAND, 2);
}

TEST(pci_host_bridge_through_ecam_and_cam)
{
	TEST_ASSERT(start(0, 0), "start");
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_CLASS_REVISION, 4) >> 8, 0x060000);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_SUBSYSTEM_VENDOR_ID, 2), PCI_VENDOR_REDHAT);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 0, 0, PCI_DEVICE_ID, 2), 0x0008);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 0, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 0, 0, PCI_CLASS_REVISION + 3, 1), 0x06);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 0, 0, PCI_CLASS_REVISION, 4) >> 8, 0x060000);
	/* The latch reads back what was written, reserved bits clear. */
	pci_cam_io(NULL, 0, (u8 *)&(u32){ 0xffffffff }, 4, true, bus);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, false, 0), 0x80fffffc);
	/* Called directly, as the x86 port handler does. */
	{
		u32 latch = pg_cam_latch(0, 0, 0), v = 0;

		pci_cam_io(NULL, 0, (u8 *)&latch, 4, true, bus);
		pci_cam_io(NULL, 4, (u8 *)&v, 4, false, bus);
		TEST_ASSERT_EQ(v, 0x00081b36);
		v = 0;
		pci_ecam_io(NULL, 0, (u8 *)&v, 4, false, bus);
		TEST_ASSERT_EQ(v, 0x00081b36);
		v = 0;
		pci_ecam_io(NULL, PCI_ECAM_SIZE, (u8 *)&v, 4, false, bus);
		TEST_ASSERT_EQ(v, 0xffffffff);		/* bus 1 */
	}
	stop();
}

TEST(pci_empty_slots_and_functions_read_all_ones)
{
	TEST_ASSERT(start(1, 0), "start");
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_VENDOR_ID, 4), (u32)DEV_ID << 16 | VENDOR);
	TEST_ASSERT_EQ(pg_cam_rd(&g, 1, 0, PCI_VENDOR_ID, 4), (u32)DEV_ID << 16 | VENDOR);
	for (unsigned int s = 2; s < PCI_NR_SLOTS; s++) {
		TEST_ASSERT_EQ(pg_ecam_rd(&g, s, 0, PCI_VENDOR_ID, 4), 0xffffffff);
		TEST_ASSERT_EQ(pg_cam_rd(&g, s, 0, PCI_VENDOR_ID, 2), 0xffff);
		pg_ecam_wr(&g, s, 0, PCI_COMMAND, 2, 0xffff);	/* nobody there */
		pg_cam_wr(&g, s, 0, PCI_COMMAND, 2, 0xffff);
	}
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int fn = 1; fn < 8; fn++) {
			TEST_ASSERT_EQ(pg_ecam_rd(&g, s, fn, PCI_VENDOR_ID, 4), 0xffffffff);
			TEST_ASSERT_EQ(pg_cam_rd(&g, s, fn, PCI_VENDOR_ID, 4), 0xffffffff);
			TEST_ASSERT_EQ(pg_ecam_rd(&g, s, fn, PCI_COMMAND, 1), 0xff);
			pg_ecam_wr(&g, s, fn, PCI_COMMAND, 2, 0);
			pg_cam_wr(&g, s, fn, PCI_COMMAND, 2, 0);
		}
	}
	/* Writes to function 1 did not land on function 0. */
	TEST_ASSERT(cmd(1) & PCI_COMMAND_MEMORY, "cmd=%#x", cmd(1));
	/* A single-function device: the multi-function bit is clear. */
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_HEADER_TYPE, 1) & 0x80, 0);
	stop();
}

TEST(pci_cam_needs_the_enable_bit_and_bus_0)
{
	u32 v;

	TEST_ASSERT(start(1, 0), "start");
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, 0) & ~0x80000000u);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 4, 4, false, 0), 0xffffffff);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 6, 2, false, 0), 0xffff);
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, PCI_COMMAND) & ~0x80000000u);
	pg_io(&g, BUS_PIO, PG_CAM_PORT + 4, 2, true, 0);
	TEST_ASSERT(cmd(1) & PCI_COMMAND_MEMORY, "disabled latch wrote");
	for (u32 b = 1; b < 256; b <<= 1) {
		pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, 0) | b << 16);
		TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 4, 4, false, 0), 0xffffffff);
		pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true,
		      pg_cam_latch(1, 0, PCI_COMMAND) | b << 16);
		pg_io(&g, BUS_PIO, PG_CAM_PORT + 4, 2, true, 0);
		TEST_ASSERT(cmd(1) & PCI_COMMAND_MEMORY, "bus %u wrote bus 0", b);
	}
	/* Byte and word reads of each data port reach the right bytes. */
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, 0));
	for (u32 i = 0; i < 4; i++) {
		v = pg_io(&g, BUS_PIO, PG_CAM_PORT + 4 + i, 1, false, 0);
		TEST_ASSERT_EQ(v, (((u32)DEV_ID << 16 | VENDOR) >> (8 * i)) & 0xff);
	}
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 6, 2, false, 0), DEV_ID);
	stop();
}

TEST(pci_narrow_writes_to_cf8_are_not_the_latch)
{
	TEST_ASSERT(start(1, 0), "start");
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, 0));
	/* Linux's type 1 probe: a byte to 0xcfb, then 0xcf8 read back. */
	pg_io(&g, BUS_PIO, PG_CAM_PORT + 3, 1, true, 0);
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 1, true, 0);
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 2, true, 0);
	pg_io(&g, BUS_PIO, PG_CAM_PORT + 2, 2, true, 0);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, false, 0), pg_cam_latch(1, 0, 0));
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 4, 4, false, 0),
		       (u32)DEV_ID << 16 | VENDOR);
	/* Narrow reads of the latch are not it either. */
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT, 2, false, 0), 0xffff);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 1, 1, false, 0), 0xff);
	/* Linux's check: 0x80000000 written reads back the same. */
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, 0x80000000);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, false, 0), 0x80000000);
	stop();
}

TEST(pci_unaligned_and_odd_accesses_are_dropped)
{
	u16 before;
	u64 v;

	TEST_ASSERT(start(1, 0), "start");
	before = cmd(1);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, 1, 2), 0xffff);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, 2, 4), 0xffffffff);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, 3, 2), 0xffff);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_CFG_SIZE - 2, 4), 0xffffffff);
	TEST_ASSERT_EQ(pg_mem_rd(&g, pg_ecam_addr(1, 0, 0), 8), ~0ULL);
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND + 1, 2, 0);
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND - 2, 4, 0);
	pg_mem_wr(&g, pg_ecam_addr(1, 0, PCI_COMMAND), 8, 0);
	TEST_ASSERT_EQ(cmd(1), before);
	/* Mechanism #1: within the dword only, and aligned to the width. */
	pg_io(&g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(1, 0, PCI_COMMAND));
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 5, 2, false, 0), 0xffff);
	TEST_ASSERT_EQ(pg_io(&g, BUS_PIO, PG_CAM_PORT + 6, 4, false, 0), 0xffffffff);
	pg_io(&g, BUS_PIO, PG_CAM_PORT + 5, 2, true, 0);
	pg_io(&g, BUS_PIO, PG_CAM_PORT + 7, 1, true, 0);	/* status: read-only */
	TEST_ASSERT_EQ(cmd(1), before);
	v = 0;
	pci_cam_io(NULL, 4, (u8 *)&v, 8, false, bus);
	TEST_ASSERT_EQ(v, ~0ULL);
	v = 0;
	pci_cam_io(NULL, 4, (u8 *)&v, 3, false, bus);
	TEST_ASSERT_EQ(v, 0xffffff);
	v = 0;
	pci_ecam_io(NULL, pg_ecam_addr(1, 0, 0) - PG_ECAM_BASE, (u8 *)&v, 3, false, bus);
	TEST_ASSERT_EQ(v, 0xffffff);
	pci_ecam_io(NULL, pg_ecam_addr(1, 0, PCI_COMMAND) - PG_ECAM_BASE, (u8 *)&v, 3, true,
		    bus);
	TEST_ASSERT_EQ(cmd(1), before);
	stop();
}

TEST(pci_read_only_fields_ignore_writes)
{
	static const u32 ro[] = { PCI_VENDOR_ID, PCI_CLASS_REVISION, PCI_SUBSYSTEM_VENDOR_ID,
				  PCI_CAPABILITY_LIST, PCI_ROM_ADDRESS, PCI_BASE_ADDRESS_5 };
	u32 snap[ARRAY_SIZE(ro)];

	TEST_ASSERT(start(1, 0), "start");
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
			snap[i] = pg_ecam_rd(&g, s, 0, ro[i], 4);
		for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++) {
			pg_ecam_wr(&g, s, 0, ro[i], 4, 0x5a5a5a5a);
			pg_cam_wr(&g, s, 0, ro[i], 1, 0);
			pg_ecam_wr(&g, s, 0, ro[i] + 2, 2, 0);
		}
		for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
			TEST_ASSERT(pg_ecam_rd(&g, s, 0, ro[i], 4) == snap[i],
				    "slot %u reg %#x: %#x != %#x", s, ro[i],
				    pg_ecam_rd(&g, s, 0, ro[i], 4), snap[i]);
		/* Header type and BIST are read-only; cache line, latency are not. */
		pg_ecam_wr(&g, s, 0, PCI_CACHE_LINE_SIZE, 4, 0xffffffff);
		TEST_ASSERT_EQ(pg_ecam_rd(&g, s, 0, PCI_CACHE_LINE_SIZE, 4), 0x0000ffff);
		/* Status: nothing writable, not even write-1-to-clear bits. */
		pg_ecam_wr(&g, s, 0, PCI_STATUS, 2, 0xffff);
		TEST_ASSERT_EQ(pg_ecam_rd(&g, s, 0, PCI_STATUS, 2) & ~PCI_STATUS_CAP_LIST, 0);
		/* Interrupt pin read-only, line writable. */
		pg_ecam_wr(&g, s, 0, PCI_INTERRUPT_LINE, 2, 0x0509);
		TEST_ASSERT_EQ(pg_ecam_rd(&g, s, 0, PCI_INTERRUPT_LINE, 2), s ? 0x0109 : 0x0009);
	}
	/* The command register keeps only the bits a guest may set. */
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND, 2, 0xffff);
	TEST_ASSERT_EQ(cmd(1), PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			       PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	TEST_ASSERT(pci_dev_bus_master(rec[0].pdev), "bus master");
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	TEST_ASSERT(!pci_dev_bus_master(rec[0].pdev), "bus master stuck");
	/* Extended space: zeroes, not writable. */
	pg_ecam_wr(&g, 1, 0, 0x100, 4, 0xffffffff);
	pg_ecam_wr(&g, 1, 0, 0xffc, 4, 0xffffffff);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, 0x100, 4), 0);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, 0xffc, 4), 0);
	stop();
}

TEST(pci_bar_sizing_reads_the_size_and_restores)
{
	u32 addr;

	TEST_ASSERT(start(2, 0), "start");
	addr = pg_bar(&g, 1, 0);
	TEST_ASSERT(addr >= PG_MEM_BASE && addr + BAR_SIZE <= PG_MEM_BASE + PG_MEM_SIZE,
		    "BAR at %#x", addr);
	TEST_ASSERT_EQ(addr & (BAR_SIZE - 1), 0);
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[0].pdev, 0), addr);
	TEST_ASSERT(pg_bar(&g, 2, 0) != addr, "two BARs at one address");
	TEST_ASSERT(cmd(1) & PCI_COMMAND_MEMORY, "firmware leaves decoding on");

	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	/* mem32, not prefetchable: the flag bits read 0 */
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_BASE_ADDRESS_0, 4), ~(u32)(BAR_SIZE - 1));
	/* While sized it decodes nowhere; the device was told. */
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[0].pdev, 0), 0);
	TEST_ASSERT_EQ(rec[0].map_addr, 0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr, 4), 0xffffffff);
	TEST_ASSERT_EQ(rec[0].nr_io, 0);
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, addr);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_BASE_ADDRESS_0, 4), addr);
	TEST_ASSERT_EQ(rec[0].map_addr, addr);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + 4, 2), 0xa1a0);
	TEST_ASSERT_EQ(rec[0].off, 4);

	TEST_ASSERT_EQ(pg_bar_size(&g, 1, 0), BAR_SIZE);
	for (unsigned int b = 1; b < PCI_NR_BARS; b++)
		TEST_ASSERT(pg_bar_size(&g, 1, b) == 0, "BAR %u implemented", b);
	TEST_ASSERT_EQ(pg_bar_size(&g, 0, 0), 0);	/* the host bridge has none */
	TEST_ASSERT_EQ(pg_bar(&g, 1, 0), addr);
	stop();
}

TEST(pci_moved_bar_decodes_at_its_new_place_only)
{
	u32 old, new;
	unsigned int maps;

	TEST_ASSERT(start(1, 0), "start");
	old = pg_bar(&g, 1, 0);
	new = PG_MEM_BASE + PG_MEM_SIZE - BAR_SIZE;
	maps = rec[0].nr_map;
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, new);
	TEST_ASSERT_EQ(rec[0].nr_map, maps + 1);
	TEST_ASSERT_EQ(rec[0].map_addr, new);
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[0].pdev, 0), new);

	pg_mem_wr(&g, new + 0x10, 4, 0xdeadbeef);
	TEST_ASSERT_EQ(rec[0].nr_io, 1);
	TEST_ASSERT(rec[0].is_write && rec[0].off == 0x10 && rec[0].len == 4 &&
		    rec[0].wval == 0xdeadbeef && rec[0].bar == 0, "write not delivered");
	TEST_ASSERT_EQ(pg_mem_rd(&g, new + BAR_SIZE - 8, 8), 0xa7a6a5a4a3a2a1a0ULL);
	TEST_ASSERT_EQ(rec[0].off, BAR_SIZE - 8);
	/* The old place is empty now. */
	TEST_ASSERT_EQ(pg_mem_rd(&g, old, 4), 0xffffffff);
	pg_mem_wr(&g, old + 8, 4, 1);
	TEST_ASSERT_EQ(rec[0].nr_io, 2);
	/* Moving by CAM, a word at a time, as a 16-bit guest might. */
	pg_cam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 2, old & 0xffff);
	pg_cam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0 + 2, 2, old >> 16);
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[0].pdev, 0), old);
	TEST_ASSERT_EQ(pg_mem_rd(&g, old, 1), 0xa0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, new, 1), 0xff);
	/* Writing the same address again does not tell the device. */
	maps = rec[0].nr_map;
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, old);
	TEST_ASSERT_EQ(rec[0].nr_map, maps);
	stop();
}

TEST(pci_memory_decode_off_reads_all_ones)
{
	u32 addr;

	TEST_ASSERT(start(1, 0), "start");
	addr = pg_bar(&g, 1, 0);
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND, 2, cmd(1) & ~PCI_COMMAND_MEMORY);
	TEST_ASSERT_EQ(rec[0].map_addr, 0);
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[0].pdev, 0), 0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr, 4), 0xffffffff);
	pg_mem_wr(&g, addr, 4, 0);
	TEST_ASSERT_EQ(rec[0].nr_io, 0);
	/* The BAR register keeps its value, and moving it now maps nothing. */
	TEST_ASSERT_EQ(pg_bar(&g, 1, 0), addr);
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, addr + BAR_SIZE);
	TEST_ASSERT_EQ(rec[0].map_addr, 0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + BAR_SIZE, 4), 0xffffffff);
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	TEST_ASSERT_EQ(rec[0].map_addr, addr + BAR_SIZE);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + BAR_SIZE, 1), 0xa0);
	TEST_ASSERT_EQ(rec[0].nr_io, 1);
	stop();
}

TEST(pci_bar_outside_the_window_or_overlapping_is_harmless)
{
	static const u32 bad[] = { 0, 0x1000, PG_MEM_BASE - BAR_SIZE,
				   PG_MEM_BASE + PG_MEM_SIZE, 0xfffff000, PG_ECAM_BASE,
				   GUEST_MMIO_BASE };
	u32 a1, a2;

	TEST_ASSERT(start(2, 0), "start");
	a1 = pg_bar(&g, 1, 0);
	a2 = pg_bar(&g, 2, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		pg_ecam_wr(&g, 2, 0, PCI_BASE_ADDRESS_0, 4, bad[i]);
		TEST_ASSERT(pci_dev_bar_addr(rec[1].pdev, 0) == 0, "decodes at %#x", bad[i]);
		TEST_ASSERT_EQ(rec[1].map_addr, 0);
		pg_mem_rd(&g, bad[i], 4);
	}
	/* ECAM is still ECAM. */
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	/* Unaligned: the low bits are not the guest's, it lands aligned. */
	pg_ecam_wr(&g, 2, 0, PCI_BASE_ADDRESS_0, 4, PG_MEM_BASE + PG_MEM_SIZE - BAR_SIZE / 2);
	TEST_ASSERT_EQ(pci_dev_bar_addr(rec[1].pdev, 0), PG_MEM_BASE + PG_MEM_SIZE - BAR_SIZE);
	TEST_ASSERT_EQ(rec[1].nr_io, 0);
	/* On top of device 1: one of them answers, nobody crashes. */
	pg_ecam_wr(&g, 2, 0, PCI_BASE_ADDRESS_0, 4, a1);
	TEST_ASSERT_EQ(pg_mem_rd(&g, a1, 1), 0xa0);
	TEST_ASSERT_EQ(rec[0].nr_io + rec[1].nr_io, 1);
	/* Device 1 moves away: device 2 has the place to itself. */
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_0, 4, a2);
	pg_mem_rd(&g, a1, 4);
	TEST_ASSERT_EQ(rec[1].nr_io, rec[0].nr_io ? 1 : 2);
	pg_mem_rd(&g, a2, 4);
	TEST_ASSERT(rec[0].nr_io >= 1, "device 1 at its new place");
	stop();
}

TEST(pci_accesses_across_the_end_of_a_bar_are_dropped)
{
	u32 addr;

	TEST_ASSERT(start(2, 0), "start");
	addr = pg_bar(&g, 1, 0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + BAR_SIZE - 4, 8), ~0ULL);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + BAR_SIZE - 1, 2), 0xffff);
	pg_mem_wr(&g, addr + BAR_SIZE - 2, 4, 0);
	TEST_ASSERT_EQ(rec[0].nr_io + rec[1].nr_io, 0);
	TEST_ASSERT_EQ(pg_mem_rd(&g, addr + BAR_SIZE - 4, 4), 0xa3a2a1a0);
	TEST_ASSERT_EQ(rec[0].nr_io, 1);
	stop();
}

/* Capabilities as pci_dev_add_cap() lays them out, walked as Linux does. */
TEST(pci_capability_list_is_well_formed)
{
	static const u8 lens[] = { 2, 3, 12, 5, 16, 4 };
	u8 cap[64], mask[64];
	int off[ARRAY_SIZE(lens)], pos;

	TEST_ASSERT(start(1, 0), "start");
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	TEST_ASSERT_EQ(pg_find_cap(&g, 1, 0x09, 0), -1);
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(cap, 0x11 * (i + 1), sizeof(cap));
		cap[0] = 0x40 + i;		/* id; next is the bus's to fill */
		cap[1] = 0xee;
		memset(mask, 0xff, sizeof(mask));
		off[i] = pci_dev_add_cap(rec[0].pdev, cap, i & 1 ? mask : NULL, lens[i]);
		TEST_ASSERT(off[i] >= 0x40 && off[i] + lens[i] <= 0x100, "cap %u at %d", i,
			    off[i]);
		TEST_ASSERT(!i || off[i] >= off[i - 1] + lens[i - 1], "cap %u overlaps", i);
	}
	TEST_ASSERT(pg_ecam_rd(&g, 1, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "no CAP_LIST");
	pos = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		pos = pg_find_cap(&g, 1, 0x40 + i, 0);
		TEST_ASSERT(pos == off[i], "cap %u found at %d, added at %d", i, pos, off[i]);
		/* The body is what was given. */
		if (lens[i] > 2)
			TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, pos + 2, 1), 0x11 * (i + 1));
	}
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, pos + PCI_CAP_LIST_NEXT, 1), 0);
	TEST_ASSERT_EQ(pg_find_cap(&g, 1, 0x3f, 0), -1);
	/* Id and next are never the guest's, whatever the mask said. */
	pg_ecam_wr(&g, 1, 0, off[1], 2, 0x4444);
	pg_ecam_wr(&g, 1, 0, PCI_CAPABILITY_LIST, 1, off[3]);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, off[1], 2), (u32)off[2] << 8 | 0x41);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_CAPABILITY_LIST, 1), (u32)off[0]);
	/* A cap added without a mask is read-only; with one, writable. */
	pg_ecam_wr(&g, 1, 0, off[2] + 4, 4, 0);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, off[2] + 4, 4), 0x33333333);
	pg_ecam_wr(&g, 1, 0, off[3] + 4, 1, 0x5a);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, off[3] + 4, 1), 0x5a);
	/* Only the cap's own bytes: the padding after a 3-byte cap is not. */
	pg_ecam_wr(&g, 1, 0, off[1] + 3, 1, 0x77);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, off[1] + 3, 1), 0);
	stop();
}

TEST(pci_capabilities_fill_exactly_to_the_end_and_no_further)
{
	u8 cap[64] = { 0x09 };
	int off, last = 0;

	TEST_ASSERT(start(1, 0), "start");
	/* 0x40 + 3 * 64 = 0x100: the last one ends on the last byte. */
	for (int i = 0; i < 3; i++) {
		off = pci_dev_add_cap(rec[0].pdev, cap, NULL, 64);
		TEST_ASSERT(off == 0x40 + 64 * i, "cap %d at %d", i, off);
		last = off;
	}
	TEST_ASSERT_EQ(pci_dev_add_cap(rec[0].pdev, cap, NULL, 2), -ENOSPC);
	TEST_ASSERT_EQ(pci_dev_add_cap(rec[0].pdev, cap, NULL, 1), -ENOSPC);
	/* Nothing was written over the header. */
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 1, 0, PCI_VENDOR_ID, 4), (u32)DEV_ID << 16 | VENDOR);
	TEST_ASSERT_EQ(pg_find_cap(&g, 1, 0x10, 0), -1);
	TEST_ASSERT_EQ(pg_find_cap(&g, 1, 0x09, 0xc0), -1);
	TEST_ASSERT_EQ(pg_find_cap(&g, 1, 0x09, 0x80), last);
	/* The device still hears about accesses to its last cap's last bytes. */
	rec[0].nr_cfg = 0;
	pg_ecam_rd(&g, 1, 0, 0xfc, 4);
	TEST_ASSERT_EQ(rec[0].nr_cfg, 1);
	TEST_ASSERT(rec[0].cfg_off == 0xfc && rec[0].cfg_len == 4 && !rec[0].cfg_write,
		    "cfg_access(%#x, %u, %d)", rec[0].cfg_off, rec[0].cfg_len,
		    rec[0].cfg_write);
	stop();
}

TEST(pci_device_hears_of_accesses_inside_its_caps_only)
{
	u8 cap[8] = { 0x05 }, mask[8];
	int off;

	memset(mask, 0xff, sizeof(mask));
	TEST_ASSERT(start(1, 0), "start");
	off = pci_dev_add_cap(rec[0].pdev, cap, mask, sizeof(cap));
	TEST_ASSERT(off > 0, "add_cap %d", off);
	pg_ecam_wr(&g, 1, 0, off + 4, 2, 0x1234);
	TEST_ASSERT_EQ(rec[0].nr_cfg, 1);
	TEST_ASSERT(rec[0].cfg_write && rec[0].cfg_off == (u32)off + 4 && rec[0].cfg_len == 2,
		    "write not reported");
	TEST_ASSERT_EQ(pg_cam_rd(&g, 1, 0, off + 4, 2), 0x1234);
	TEST_ASSERT_EQ(rec[0].nr_cfg, 2);
	TEST_ASSERT(!rec[0].cfg_write, "read reported as a write");
	pg_ecam_rd(&g, 1, 0, PCI_VENDOR_ID, 4);
	pg_ecam_wr(&g, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pg_ecam_rd(&g, 1, 0, off + sizeof(cap), 4);
	pg_ecam_rd(&g, 1, 0, 0x3c, 4);
	pg_ecam_rd(&g, 1, 0, 0x200, 4);
	pg_ecam_rd(&g, 1, 1, off, 4);			/* function 1 */
	TEST_ASSERT_EQ(rec[0].nr_cfg, 2);
	stop();
}

TEST(pci_intx_status_and_line_follow_the_device_and_interrupt_disable)
{
	unsigned int s1, s5;
	int err = 0;

	TEST_ASSERT(start(4, 0), "start");
	/* Slot 5 shares slot 1's line (s % 4). */
	rec[3].pdev = pci_dev_add(bus, &rec_id, &rec_ops, &rec[3], &err);
	TEST_ASSERT(rec[3].pdev, "slot 5: %d", err);
	s1 = pci_dev_slot(rec[0].pdev);
	s5 = pci_dev_slot(rec[3].pdev);
	TEST_ASSERT(s1 == 1 && s5 == 5, "slots %u %u", s1, s5);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, s1, 0, PCI_INTERRUPT_PIN, 1), 1);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_INTERRUPT_PIN, 1), 0);

	pci_dev_intx(rec[0].pdev, true);
	TEST_ASSERT(pg_ecam_rd(&g, s1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status");
	TEST_ASSERT(pg_cam_rd(&g, s1, 0, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT, "status (CAM)");
	TEST_ASSERT(pg_cam_rd(&g, s1, 0, PCI_COMMAND, 4) & PCI_STATUS_INTERRUPT << 16,
		    "status in the dword");
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 2, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 1);
	/* The bit is reported, never stored: a write cannot set or clear it. */
	pg_ecam_wr(&g, s1, 0, PCI_STATUS, 2, 0);
	TEST_ASSERT(pg_ecam_rd(&g, s1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "cleared");

	/* Interrupt Disable drops the line; the status bit still tells the truth. */
	pg_ecam_wr(&g, s1, 0, PCI_COMMAND, 2, cmd(s1) | PCI_COMMAND_INTX_DISABLE);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 0);
	TEST_ASSERT(pg_ecam_rd(&g, s1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status");
	pci_dev_intx(rec[0].pdev, false);
	pci_dev_intx(rec[0].pdev, true);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 0);
	/* Re-enabled while still asserted: up again. */
	pg_ecam_wr(&g, s1, 0, PCI_COMMAND, 2, cmd(s1) & ~PCI_COMMAND_INTX_DISABLE);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 1);

	/* A shared line stays up while either device asserts it. */
	pci_dev_intx(rec[3].pdev, true);
	pci_dev_intx(rec[0].pdev, false);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, s1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 1);
	pci_dev_intx(rec[3].pdev, false);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(1)), 0);
	/* Other lines were never touched. */
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(2)), -1);
	TEST_ASSERT_EQ(fake_kvm.nr_bad, 0);
	stop();
}

TEST(pci_host_bridge_interrupt_disable_touches_no_line)
{
	TEST_ASSERT(start(2, 0), "start");
	pg_ecam_wr(&g, 0, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	pg_ecam_wr(&g, 0, 0, PCI_COMMAND, 2, 0);
	for (unsigned int l = 0; l < FAKE_KVM_LINES; l++)
		TEST_ASSERT(fake_kvm_line(l) == -1, "line %u set to %d", l, fake_kvm_line(l));
	TEST_ASSERT_EQ(fake_kvm.nr_line_calls, 0);
	stop();
}

TEST(pci_bus_fills_up_and_bars_are_checked)
{
	struct pci_dev *d[PCI_NR_SLOTS] = { 0 };
	int err = 0;

	TEST_ASSERT(start(0, 4 * BAR_SIZE), "start");
	for (unsigned int s = 1; s < PCI_NR_SLOTS; s++) {
		d[s] = pci_dev_add(bus, &rec_id, NULL, NULL, &err);
		TEST_ASSERT(d[s] && pci_dev_slot(d[s]) == s, "slot %u", s);
	}
	err = 0;
	TEST_ASSERT(!pci_dev_add(bus, &rec_id, NULL, NULL, &err), "33rd function");
	TEST_ASSERT_EQ(err, -ENOSPC);
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 31, 0, PCI_VENDOR_ID, 2), VENDOR);

	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], PCI_NR_BARS, BAR_SIZE), -EINVAL);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, 0), -EINVAL);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, 2048), -EINVAL);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, 3 * 4096), -EINVAL);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, 1ULL << 32), -EINVAL);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, 8 * BAR_SIZE), -ENOSPC);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, BAR_SIZE), 0);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 0, BAR_SIZE), -EINVAL);	/* twice */
	TEST_ASSERT_EQ(pci_dev_add_bar(d[1], 2, 2 * BAR_SIZE), 0);	/* aligned up */
	TEST_ASSERT_EQ(pci_dev_bar_addr(d[1], 2) & (2 * BAR_SIZE - 1), 0);
	TEST_ASSERT_EQ(pci_dev_add_bar(d[2], 0, BAR_SIZE), -ENOSPC);	/* window full */
	TEST_ASSERT_EQ(pg_bar_size(&g, 2, 0), 0);
	/* No ops: accesses to its BARs read all-ones, nothing crashes. */
	TEST_ASSERT_EQ(pg_mem_rd(&g, pci_dev_bar_addr(d[1], 0), 4), 0xffffffff);
	pg_mem_wr(&g, pci_dev_bar_addr(d[1], 2), 4, 0);
	pg_ecam_wr(&g, 1, 0, PCI_BASE_ADDRESS_2, 4, PG_MEM_BASE);
	TEST_ASSERT_EQ(pci_dev_bar_addr(d[1], 2), PG_MEM_BASE);
	pci_dev_intx(d[7], true);
	TEST_ASSERT_EQ(fake_kvm_line(PG_INTX_LINE(7)), 1);
	stop();
}

/* Random writes everywhere, through both mechanisms; identities survive. */
TEST(pci_config_space_fuzz)
{
	static const u32 widths[] = { 1, 2, 4, 8, 3 };
	u32 seed = 0x1234567;

	TEST_ASSERT(start(3, 0), "start");
	for (int i = 0; i < 20000; i++) {
		u32 r = pg_rand(&seed), val = pg_rand(&seed);
		unsigned int slot = r % 5, fn = (r >> 3) % 8 == 7 ? 1 : 0;
		u32 off = (r >> 8) % (r & 0x80000000 ? 0x1000 : 0x100);
		u32 len = widths[(r >> 20) % ARRAY_SIZE(widths)];

		if (r & 0x40000000) {
			if (len <= 4)
				pg_cam_wr(&g, slot, fn, off, len, val);
			else
				pg_io(&g, BUS_PIO, PG_CAM_PORT + (off & 7), len, true, val);
		} else if (len <= 4) {
			pg_ecam_wr(&g, slot, fn, off, len, val);
		} else {
			pg_mem_wr(&g, pg_ecam_addr(slot, fn, off), len, val);
		}
		if (r & 0x20000000)
			pg_ecam_rd(&g, slot, fn, off & ~3u, 4);
		else
			pg_cam_rd(&g, slot, fn, off, len > 4 ? 4 : len);
		if ((r & 0xff) == 0)
			pg_mem_rd(&g, PG_MEM_BASE + (val % PG_MEM_SIZE), 4);
	}
	TEST_ASSERT_EQ(pg_ecam_rd(&g, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	for (unsigned int s = 1; s <= 3; s++) {
		u32 addr = PG_MEM_BASE + s * 0x10000;

		TEST_ASSERT_EQ(pg_cam_rd(&g, s, 0, PCI_VENDOR_ID, 4), (u32)DEV_ID << 16 | VENDOR);
		TEST_ASSERT_EQ(pg_ecam_rd(&g, s, 0, PCI_CLASS_REVISION, 4), 0x0780aa03);
		/* The firmware's job again: place it, turn it on. */
		pg_ecam_wr(&g, s, 0, PCI_BASE_ADDRESS_0, 4, addr);
		pg_ecam_wr(&g, s, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
		TEST_ASSERT_EQ(pci_dev_bar_addr(rec[s - 1].pdev, 0), addr);
		TEST_ASSERT_EQ(pg_mem_rd(&g, addr + 2, 2), 0xa1a0);
	}
	TEST_ASSERT_EQ(fake_kvm.nr_bad, 0);
	stop();
}
