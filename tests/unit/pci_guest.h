/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_TEST_PCI_GUEST_H
#define VMM_TEST_PCI_GUEST_H

/*
 * The guest's side of the PCI bus for unit tests, on top of the fake guest
 * of virtio_guest.h: a bus laid out like the PC's (ECAM and a BAR window
 * on the MMIO bus, mechanism #1 at 0xcf8 on the PIO bus), configuration
 * accessors for both mechanisms, BAR accessors through the MMIO bus and a
 * capability walk done the way a driver does it.
 */
#include <linux/pci_regs.h>

#include "devices/pci.h"
#include "virtio_guest.h"

#define PG_ECAM_BASE	0xe0000000ULL
#define PG_MEM_BASE	0xc0000000ULL
#define PG_MEM_SIZE	0x00100000ULL	/* 1 MiB: 32 BARs of 32 KiB */
#define PG_CAM_PORT	0xcf8
/* INTA# of slot s: GSI 16 + s % 4, passed to irq_line_set() as 100 + s % 4. */
#define PG_INTX_GSI(s)	(16 + (s) % 4)
#define PG_INTX_LINE(s)	(100 + (s) % 4)

/* The bus on @g's buses; NULL on failure. A 0 @mem_size: PG_MEM_SIZE. */
static inline struct pci_bus *pg_bus_create(struct guest *g, u64 mem_size)
{
	struct pci_bus_info info = {
		.ecam_base = PG_ECAM_BASE,
		.mem_base = PG_MEM_BASE,
		.mem_size = mem_size ? mem_size : PG_MEM_SIZE,
	};
	struct pci_bus *bus;

	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		info.intx_gsi[s] = PG_INTX_GSI(s);
		info.intx_line[s] = PG_INTX_LINE(s);
	}
	bus = pci_bus_create(&g->vm, &info);
	if (!bus)
		return NULL;
	if (pci_bus_register(bus) < 0 ||
	    bus_register(&g->vm, BUS_PIO, PG_CAM_PORT, 8, pci_cam_io, bus, "pci-cam") < 0) {
		pci_bus_destroy(bus);
		return NULL;
	}
	g->vm.pci = bus;
	return bus;
}

/* One access of @len bytes on bus @kind; a read returns what came back. */
static inline u64 pg_io(struct guest *g, enum bus_kind kind, u64 addr, u32 len, bool is_write,
			u64 val)
{
	u8 d[8];

	memcpy(d, &val, sizeof(d));
	bus_access(&g->vm.bus[kind], NULL, addr, d, len, is_write);
	memcpy(&val, d, sizeof(d));
	return len < 8 ? val & ((1ULL << (8 * len)) - 1) : val;
}

static inline u64 pg_mem_rd(struct guest *g, u64 addr, u32 len)
{
	return pg_io(g, BUS_MMIO, addr, len, false, 0);
}

static inline void pg_mem_wr(struct guest *g, u64 addr, u32 len, u64 val)
{
	pg_io(g, BUS_MMIO, addr, len, true, val);
}

static inline u64 pg_ecam_addr(unsigned int slot, unsigned int fn, u32 off)
{
	return PG_ECAM_BASE + ((u64)slot << 15 | fn << 12 | off);
}

static inline u32 pg_ecam_rd(struct guest *g, unsigned int slot, unsigned int fn, u32 off,
			     u32 len)
{
	return pg_mem_rd(g, pg_ecam_addr(slot, fn, off), len);
}

static inline void pg_ecam_wr(struct guest *g, unsigned int slot, unsigned int fn, u32 off,
			      u32 len, u32 val)
{
	pg_mem_wr(g, pg_ecam_addr(slot, fn, off), len, val);
}

/* Mechanism #1: the 0xcf8 latch for bus 0, then 0xcfc + (off & 3). */
static inline u32 pg_cam_latch(unsigned int slot, unsigned int fn, u32 off)
{
	return 0x80000000u | slot << 11 | fn << 8 | (off & 0xfc);
}

static inline u32 pg_cam_rd(struct guest *g, unsigned int slot, unsigned int fn, u32 off,
			    u32 len)
{
	pg_io(g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(slot, fn, off));
	return pg_io(g, BUS_PIO, PG_CAM_PORT + 4 + (off & 3), len, false, 0);
}

static inline void pg_cam_wr(struct guest *g, unsigned int slot, unsigned int fn, u32 off,
			     u32 len, u32 val)
{
	pg_io(g, BUS_PIO, PG_CAM_PORT, 4, true, pg_cam_latch(slot, fn, off));
	pg_io(g, BUS_PIO, PG_CAM_PORT + 4 + (off & 3), len, true, val);
}

/*
 * The next capability with id @id after the one at @after (0: from the
 * start), as Linux's pci_find_next_capability walks it: -1 when none, -2
 * when the list is malformed (a pointer outside 0x40-0xfc, not aligned,
 * or a loop).
 */
static inline int pg_find_cap(struct guest *g, unsigned int slot, u8 id, u8 after)
{
	u8 seen[256] = { 0 };
	u32 pos;

	if (!(pg_ecam_rd(g, slot, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return -1;
	pos = after ? pg_ecam_rd(g, slot, 0, after + PCI_CAP_LIST_NEXT, 1)
		    : pg_ecam_rd(g, slot, 0, PCI_CAPABILITY_LIST, 1);
	while (pos) {
		if (pos < 0x40 || pos > 0xfc || (pos & 3) || seen[pos]++)
			return -2;
		if (pg_ecam_rd(g, slot, 0, pos + PCI_CAP_LIST_ID, 1) == id)
			return pos;
		pos = pg_ecam_rd(g, slot, 0, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return -1;
}

/* BAR @bar's address as the guest programmed it (memory BARs). */
static inline u32 pg_bar(struct guest *g, unsigned int slot, unsigned int bar)
{
	return pg_ecam_rd(g, slot, 0, PCI_BASE_ADDRESS_0 + 4 * bar, 4) &
	       PCI_BASE_ADDRESS_MEM_MASK;
}

/* Size BAR @bar as firmware does (all-ones, read, restore): its size, 0 if none. */
static inline u32 pg_bar_size(struct guest *g, unsigned int slot, unsigned int bar)
{
	u32 off = PCI_BASE_ADDRESS_0 + 4 * bar;
	u32 old = pg_ecam_rd(g, slot, 0, off, 4), mask;

	pg_ecam_wr(g, slot, 0, off, 4, 0xffffffff);
	mask = pg_ecam_rd(g, slot, 0, off, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	pg_ecam_wr(g, slot, 0, off, 4, old);
	return ~mask + 1;
}

/* A tiny xorshift: reproducible "random" accesses for the fuzz loops. */
static inline u32 pg_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#endif
