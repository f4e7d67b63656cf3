// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the guest's whole view of a virtio-pci function. The
 * input is a machine (parameter byte 0), how many guest accesses follow
 * (byte 1), the accesses (8-byte records), then the contents of guest RAM,
 * where the rings the accesses set up live. Accesses go through the buses
 * as a vcpu's would: configuration space by ECAM and by 0xcf8/0xcfc, BAR 0
 * through the BAR window (common cfg, ISR, device cfg, notify, MSI-X table
 * and PBA, anything else), the VIRTIO_PCI_CAP_PCI_CFG window, BAR moves
 * and decode and Bus Master toggles, MSI-X set-up; kicks run the backend (virtio-rng, or
 * the echo backend of the unit tests) on guest RAM. Each input gets a new bus and
 * device, so it runs the same way every time.
 *
 * With fake_kvm (parameter bit 1) KVM calls succeed and are recorded:
 * kicks get ioeventfds, vectors irqfds, INTx line levels. That adds
 * oracles: the notify ioeventfds are where BAR 0 decodes and nowhere else,
 * the INTx line is what the function reports (Interrupt Status and
 * Interrupt Disable), no KVM request is malformed, and nothing is left
 * assigned once the device is gone.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>
#include <linux/virtio_pci.h>

#include "devices/pci.h"
#include "devices/virtio/pci.h"
#include "devices/virtio/rng.h"
#include "kvm/irq.h"
#include "tests/unit/fake_kvm.h"
#include "tests/unit/virtio_echo.h"
#include "fuzz_vm.h"

#define RAM_SIZE	0x10000
#define PARAMS		2
#define ECAM_BASE	0xe0000000ULL
#define MEM_BASE	0xc0000000ULL
#define MEM_SIZE	0x00100000ULL
#define CAM_PORT	0xcf8
#define SLOT		1		/* the first device the bus gets */
#define INTX_LINE(s)	(100 + (s) % 4)

/* Parameter byte 0. */
#define P_MSI		0x01		/* the machine has MSI: MSI-X capability */
#define P_FAKE_KVM	0x02
#define P_ECHO		0x04		/* the echo backend, else virtio-rng */
#define P_NO_AUTOPUMP	0x08		/* the I/O thread runs on OP_PUMP only */

enum {
	OP_ECAM_RD, OP_ECAM_WR,		/* raw config access: devfn = arg >> 3 */
	OP_CAM_LATCH, OP_CAM_RD, OP_CAM_WR,
	OP_BAR_RD, OP_BAR_WR,		/* a region of BAR 0: arg >> 3 & 7 */
	OP_COMMON_WR,			/* a common cfg field at its width */
	OP_DRIVER_INIT, OP_QUEUE_SETUP, OP_KICK, OP_MSIX, OP_RAM_WR,
	OP_PCI_CFG, OP_BAR_MOVE, OP_ISR_RD, OP_RESET, OP_PUMP,
	OP_WINDOW_RD, OP_WINDOW_WR,	/* anywhere in the BAR window */
	NR_OPS
};

static const u8 lens[8] = { 1, 2, 4, 1, 2, 4, 8, 3 };

/* BAR 0 regions: where an OP_BAR_* offset lands. */
static const struct {
	u32 base, mask;
} regions[8] = {
	{ VIRTIO_PCI_COMMON_OFF, 0x3f }, { VIRTIO_PCI_ISR_OFF, 0x7 },
	{ VIRTIO_PCI_DEVICE_OFF, 0xf }, { VIRTIO_PCI_NOTIFY_OFF, 0xf },
	{ VIRTIO_PCI_MSIX_TABLE_OFF, 0x3f }, { VIRTIO_PCI_MSIX_PBA_OFF, 0xf },
	{ 0, 0x7fff }, { 0, 0xffff },
};

#define CC(f)	offsetof(struct virtio_pci_common_cfg, f)

static const struct {
	u8 off, len;
} fields[] = {
	{ CC(device_feature_select), 4 }, { CC(device_feature), 4 },
	{ CC(guest_feature_select), 4 }, { CC(guest_feature), 4 },
	{ CC(msix_config), 2 }, { CC(num_queues), 2 }, { CC(device_status), 1 },
	{ CC(config_generation), 1 }, { CC(queue_select), 2 }, { CC(queue_size), 2 },
	{ CC(queue_msix_vector), 2 }, { CC(queue_enable), 2 }, { CC(queue_notify_off), 2 },
	{ CC(queue_desc_lo), 4 }, { CC(queue_desc_hi), 4 }, { CC(queue_avail_lo), 4 },
	{ CC(queue_avail_hi), 4 }, { CC(queue_used_lo), 4 }, { CC(queue_used_hi), 4 },
	{ 0x38, 2 }, { 0x3a, 2 },	/* queue_notify_data, queue_reset */
};

static struct vm vm;
static u8 p0;
static const struct virtio_dev_ops *ops;
static int cap_pcicfg, cap_msix;	/* config space offsets, 0: none */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static u64 io(enum bus_kind kind, u64 addr, u32 len, bool is_write, u64 val)
{
	u8 d[8];

	memcpy(d, &val, sizeof(d));
	bus_access(&vm.bus[kind], NULL, addr, d, len, is_write);
	memcpy(&val, d, sizeof(d));
	return len < 8 ? val & ((1ULL << (8 * len)) - 1) : val;
}

static u32 cfg_rd(u32 off, u32 len)
{
	return io(BUS_MMIO, ECAM_BASE + ((u64)SLOT << 15) + off, len, false, 0);
}

static void cfg_wr(u32 off, u32 len, u32 val)
{
	io(BUS_MMIO, ECAM_BASE + ((u64)SLOT << 15) + off, len, true, val);
}

/* Where the guest put BAR 0 (decoding or not). */
static u64 bar0(void)
{
	return cfg_rd(PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
}

static u64 bar_rd(u32 off, u32 len)
{
	return io(BUS_MMIO, bar0() + off, len, false, 0);
}

static void bar_wr(u32 off, u32 len, u64 val)
{
	io(BUS_MMIO, bar0() + off, len, true, val);
}

static void common_wr(u32 field, u32 len, u32 val)
{
	bar_wr(VIRTIO_PCI_COMMON_OFF + field, len, val);
}

static u32 common_rd(u32 field, u32 len)
{
	return bar_rd(VIRTIO_PCI_COMMON_OFF + field, len);
}

/* The capabilities, found the way a driver walks them. */
static void find_caps(void)
{
	u8 seen[256] = { 0 };
	u32 pos = cfg_rd(PCI_CAPABILITY_LIST, 1);

	cap_pcicfg = cap_msix = 0;
	while (pos) {
		u8 id = cfg_rd(pos, 1);

		fuzz_check(pos >= 0x40 && pos <= 0xfc && !(pos & 3) && !seen[pos]++,
			   "malformed capability list at 0x%x", pos);
		if (id == PCI_CAP_ID_MSIX)
			cap_msix = pos;
		else if (id == PCI_CAP_ID_VNDR &&
			 cfg_rd(pos + offsetof(struct virtio_pci_cap, cfg_type), 1) ==
				 VIRTIO_PCI_CAP_PCI_CFG)
			cap_pcicfg = pos;
		pos = cfg_rd(pos + PCI_CAP_LIST_NEXT, 1);
	}
	fuzz_check(cap_pcicfg && !cap_msix == !(p0 & P_MSI), "capabilities missing");
}

/* As Linux's virtio_pci_probe() and virtio_dev_probe(): bus master, then status and features. */
static void driver_init(u8 arg, u32 val)
{
	u64 f;
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	if (!(arg & 4))		/* else a driver that forgot: no DMA, no MSI */
		cfg_wr(PCI_COMMAND, 2, cfg_rd(PCI_COMMAND, 2) | PCI_COMMAND_MEMORY |
		       PCI_COMMAND_MASTER);
	common_wr(CC(device_status), 1, 0);
	common_wr(CC(device_status), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	common_wr(CC(device_status), 1, s);
	common_wr(CC(device_feature_select), 4, 0);
	f = common_rd(CC(device_feature), 4);
	common_wr(CC(device_feature_select), 4, 1);
	f |= (u64)common_rd(CC(device_feature), 4) << 32;
	if (arg & 1)
		f &= (u64)val << 32 | val;
	common_wr(CC(guest_feature_select), 4, 0);
	common_wr(CC(guest_feature), 4, (u32)f);
	common_wr(CC(guest_feature_select), 4, 1);
	common_wr(CC(guest_feature), 4, f >> 32);
	common_wr(CC(device_status), 1, s | VIRTIO_CONFIG_S_FEATURES_OK);
	s = common_rd(CC(device_status), 1);
	if (!(arg & 2))
		common_wr(CC(device_status), 1, s | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void queue_setup(u8 arg, u16 off, u32 val)
{
	common_wr(CC(queue_select), 2, arg & 0xf);
	common_wr(CC(queue_size), 2, arg & 0x80 ? off : 1u << ((arg >> 4) & 7));
	common_wr(CC(queue_desc_lo), 4, (val & 0xff) << 8);
	common_wr(CC(queue_desc_hi), 4, 0);
	common_wr(CC(queue_avail_lo), 4, ((val >> 8) & 0xff) << 8);
	common_wr(CC(queue_avail_hi), 4, 0);
	common_wr(CC(queue_used_lo), 4, ((val >> 16) & 0xff) << 8);
	common_wr(CC(queue_used_hi), 4, 0);
	if (val & 0x01000000) {
		u32 vec = (val >> 25) & 7;

		common_wr(CC(queue_msix_vector), 2, vec == 7 ? VIRTIO_MSI_NO_VECTOR : vec);
		common_wr(CC(msix_config), 2, vec == 7 ? VIRTIO_MSI_NO_VECTOR : 0);
	}
	if (!(val & 0x80000000))
		common_wr(CC(queue_enable), 2, 1);
}

/* One MSI-X table entry, then (maybe) the function's Enable and Mask All. */
static void msix(u8 arg, u16 off, u32 val)
{
	u32 entry = VIRTIO_PCI_MSIX_TABLE_OFF + (arg & 0x1f) * 16;
	u32 ctrl = arg & 0x80 ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;
	u32 addr = 0xfee00000u | (val & 0xff0);

	if (arg & 0x40) {
		bar_wr(entry, 8, addr);			/* QWORD accesses */
		bar_wr(entry + 8, 8, (u64)ctrl << 32 | val >> 16);
	} else {
		bar_wr(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, addr);
		bar_wr(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		bar_wr(entry + PCI_MSIX_ENTRY_DATA, 4, val >> 16);
		bar_wr(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, ctrl);
	}
	if ((arg & 0x20) && cap_msix)
		cfg_wr(cap_msix + PCI_MSIX_FLAGS, 2,
		       (off & 1 ? PCI_MSIX_FLAGS_ENABLE : 0) |
		       (off & 2 ? PCI_MSIX_FLAGS_MASKALL : 0));
}

/* The VIRTIO_PCI_CAP_PCI_CFG window: program it, then one access through it. */
static void pci_cfg(u8 arg, u16 off, u32 val)
{
	u32 c = cap_pcicfg, r = (arg >> 3) & 7;
	/* The data field itself: at any of its bytes, with any width. */
	u32 data = c + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data) + (off >> 14);
	u32 width = lens[(val >> 1) & 3];

	cfg_wr(c + offsetof(struct virtio_pci_cap, bar), 1, arg & 0x80 ? arg & 7 : 0);
	cfg_wr(c + offsetof(struct virtio_pci_cap, offset), 4,
	       regions[r].base + (off & regions[r].mask));
	cfg_wr(c + offsetof(struct virtio_pci_cap, length), 4,
	       arg & 0x40 ? val >> 24 : lens[arg & 7]);
	if (val & 1)
		cfg_wr(data, width, val);
	else
		cfg_rd(data, width);
}

static void bar_move(u8 arg, u32 val)
{
	u32 cmd = (arg & 2 ? PCI_COMMAND_MEMORY : 0) | (arg & 4 ? PCI_COMMAND_MASTER : 0) |
		  (arg & 8 ? PCI_COMMAND_INTX_DISABLE : 0);
	u32 bar = arg & 1 ? val : MEM_BASE + ((val & 0x1f) << 15);

	if (arg & 0x10)
		cfg_wr(PCI_COMMAND, 2, cmd);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, bar);
	if (!(arg & 0x10))
		cfg_wr(PCI_COMMAND, 2, cmd);
}

static void run_op(struct virtio_dev *dev, struct fuzz_op op)
{
	u8 a = op.arg;
	u32 len = lens[a & 7], blen = 1 + (a & 7);
	u32 roff = regions[(a >> 3) & 7].base + (op.off & regions[(a >> 3) & 7].mask);

	switch (op.kind % NR_OPS) {
	case OP_ECAM_RD:
		io(BUS_MMIO, ECAM_BASE + ((u64)(a >> 3) << 12) + (op.off & 0xfff), len, false, 0);
		break;
	case OP_ECAM_WR:
		io(BUS_MMIO, ECAM_BASE + ((u64)(a >> 3) << 12) + (op.off & 0xfff), len, true,
		   op.val);
		break;
	case OP_CAM_LATCH:
		io(BUS_PIO, CAM_PORT, 4, true, a & 0x80 ? op.val :
		   0x80000000u | (a & 0x7f) << 8 | (op.off & 0xfc));
		break;
	case OP_CAM_RD:
		io(BUS_PIO, CAM_PORT + (op.off & 7), len, false, 0);
		break;
	case OP_CAM_WR:
		io(BUS_PIO, CAM_PORT + (op.off & 7), len, true, op.val);
		break;
	case OP_BAR_RD:
		bar_rd(roff, blen);
		break;
	case OP_BAR_WR:
		bar_wr(roff, blen, (u64)op.val << 32 | op.val);
		break;
	case OP_COMMON_WR:
		common_wr(fields[a % ARRAY_SIZE(fields)].off, fields[a % ARRAY_SIZE(fields)].len,
			  op.val);
		break;
	case OP_DRIVER_INIT:
		driver_init(a, op.val);
		break;
	case OP_QUEUE_SETUP:
		queue_setup(a, op.off, op.val);
		break;
	case OP_KICK:
		bar_wr(VIRTIO_PCI_NOTIFY_OFF + (a & 3) * VIRTIO_PCI_NOTIFY_MULT, a & 4 ? 4 : 2,
		       a & 3);
		break;
	case OP_MSIX:
		msix(a, op.off, op.val);
		break;
	case OP_RAM_WR:
		memcpy(vm.regions[0].hva + MIN(op.off, RAM_SIZE - 4), &op.val, lens[a & 3]);
		break;
	case OP_PCI_CFG:
		pci_cfg(a, op.off, op.val);
		break;
	case OP_BAR_MOVE:
		bar_move(a, op.val);
		break;
	case OP_ISR_RD:
		bar_rd(VIRTIO_PCI_ISR_OFF, 1);
		break;
	case OP_RESET:
		common_wr(CC(device_status), 1, 0);
		break;
	case OP_PUMP:
		fuzz_dev_pump(dev, FUZZ_PUMP_ROUNDS);
		break;
	case OP_WINDOW_RD:
		io(BUS_MMIO, MEM_BASE + ((u64)(op.val & 0xf) << 16) + op.off, blen, false, 0);
		break;
	case OP_WINDOW_WR:
		io(BUS_MMIO, MEM_BASE + ((u64)(a >> 4) << 16) + op.off, blen, true,
		   (u64)op.val << 32 | op.val);
		break;
	}
}

/* With fake_kvm: what KVM was told must match what the guest sees. */
static void check_kvm(void)
{
	u16 cmd = cfg_rd(PCI_COMMAND, 2), status = cfg_rd(PCI_STATUS, 2);
	u64 bar = bar0();
	bool decodes = (cmd & PCI_COMMAND_MEMORY) && bar >= MEM_BASE &&
		       bar - MEM_BASE <= MEM_SIZE - VIRTIO_PCI_BAR_SIZE;
	bool intx = (status & PCI_STATUS_INTERRUPT) && !(cmd & PCI_COMMAND_INTX_DISABLE);
	unsigned int nr = fake_kvm_nr_ioeventfds();

	fuzz_check(!fake_kvm.nr_bad, "a malformed KVM request");
	fuzz_check(nr == (decodes ? ops->nr_queues : 0), "%u notify ioeventfds, BAR 0x%llx %s",
		   nr, (unsigned long long)bar, decodes ? "decoding" : "off");
	fuzz_check(!decodes || fake_kvm_has_ioeventfd(bar + VIRTIO_PCI_NOTIFY_OFF, 2),
		   "no ioeventfd at the notify address");
	fuzz_check((fake_kvm_line(INTX_LINE(SLOT)) == 1) == intx,
		   "INTx line %d, the function says %d", fake_kvm_line(INTX_LINE(SLOT)), intx);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct pci_bus_info info = {
		.ecam_base = ECAM_BASE, .mem_base = MEM_BASE, .mem_size = MEM_SIZE,
	};
	u8 p[PARAMS] = { 0 };
	struct virtio_rng *rng = NULL;
	struct virtio_pci *vp;
	struct virtio_dev *dev;
	struct pci_bus *bus;
	const u8 *opv, *rest;
	size_t nr_ops, rest_len;
	void *opaque;
	u8 *ram;
	int err;

	ram = fuzz_split(data, size, p, PARAMS, 1, &opv, &nr_ops, &rest, &rest_len, RAM_SIZE);
	if (!ram)
		return 0;
	p0 = p[0];
	fuzz_vm_init(&vm, ram, RAM_SIZE);
	vm.msi = p0 & P_MSI;
	if (p0 & P_FAKE_KVM)
		vm.vm_fd = fake_kvm_open();

	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		info.intx_gsi[s] = 16 + s % 4;
		info.intx_line[s] = INTX_LINE(s);
	}
	bus = pci_bus_create(&vm, &info);
	if (!bus || pci_bus_register(bus) < 0 ||
	    bus_register(&vm, BUS_PIO, CAM_PORT, 8, pci_cam_io, bus, "pci-cam") < 0)
		abort();
	vm.pci = bus;
	if (p0 & P_ECHO) {
		memset(&echo, 0, sizeof(echo));
		ops = &echo_ops;
		opaque = &echo;
	} else {
		rng = virtio_rng_create();
		ops = &virtio_rng_ops;
		opaque = rng;
	}
	vp = virtio_pci_create(&vm, bus, ops, opaque, &err);
	if (!vp)
		abort();
	dev = virtio_pci_dev(vp);
	fuzz_dev_own(dev);
	find_caps();

	for (size_t i = 0; i < nr_ops; i++) {
		run_op(dev, fuzz_op_at(opv + i * FUZZ_OP_SIZE));
		if (!(p0 & P_NO_AUTOPUMP))
			fuzz_dev_pump(dev, FUZZ_PUMP_ROUNDS);
		if (p0 & P_FAKE_KVM)
			check_kvm();
	}
	fuzz_dev_pump(dev, FUZZ_PUMP_ROUNDS);

	pthread_mutex_lock(&dev->lock);
	if (ops->reset)
		ops->reset(opaque);
	pthread_mutex_unlock(&dev->lock);
	virtio_pci_destroy(vp);
	virtio_rng_destroy(rng);
	pci_bus_destroy(bus);
	irq_routing_free(&vm);
	if (p0 & P_FAKE_KVM) {
		fuzz_check(!fake_kvm.nr_bad && !fake_kvm_nr_ioeventfds() && !fake_kvm.nr_irqfds,
			   "left in KVM: %u ioeventfds, %d irqfds (%u bad requests)",
			   fake_kvm_nr_ioeventfds(), fake_kvm.nr_irqfds, fake_kvm.nr_bad);
		fake_kvm_close(&vm);
	}
	fuzz_vm_free(&vm);
	free(ram);
	return 0;
}
