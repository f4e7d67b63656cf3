// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the virtio-mmio transport (version 2) as a guest sees
 * it. Two devices sit on the MMIO bus, as the x86 machine places them: the
 * echo backend of the unit tests (two queues, 8 bytes of configuration) and
 * virtio-rng. The input is which device most operations address and how
 * many follow (parameter bytes), 8-byte operations, then guest RAM, where
 * the rings the operations set up live. Every access goes through
 * bus_access() as a vcpu's would: registers at their width and at any
 * other, configuration space, QueueNotify, InterruptACK, Linux's probe
 * sequence, queue set-up from the input's addresses, rings filled with
 * chains; kicks run the backend on guest RAM (fuzz_vm.h's pump).
 *
 * The devices (each with its I/O thread stopped) serve every input: each
 * input starts with what a new driver does first, a reset (status 0) and
 * the selectors at 0, so it runs the same way whatever ran before.
 *
 * Oracles: the identification registers never change; a register access
 * that is not a 32-bit aligned one reads zero; a reset leaves status 0 and
 * every queue not ready; InterruptStatus holds only the two defined bits;
 * a queue number the device lacks reads as absent; the notify ioeventfds
 * stay as created, at QueueNotify; no KVM request is malformed.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_mmio.h>

#include "devices/virtio/mmio.h"
#include "devices/virtio/rng.h"
#include "hw/x86/layout.h"
#include "tests/unit/fake_kvm.h"
#include "tests/unit/virtio_echo.h"
#include "fuzz_vm.h"

#define RAM_SIZE	0x10000
#define PARAMS		2
#define NR_DEVS		2
#define BASE(i)		(X86_VIRTIO_MMIO_BASE + (i) * X86_VIRTIO_MMIO_STRIDE)
#define FILL_BUF	0x8000

enum {
	OP_RD, OP_WR,		/* a register (off & 0xfc) at 32 bits */
	OP_RAW_RD, OP_RAW_WR,	/* anywhere in the window, 1/2/4/8 bytes */
	OP_CFG_RD, OP_CFG_WR,	/* device configuration, any width */
	OP_DRIVER_INIT, OP_QUEUE_SETUP, OP_KICK, OP_ACK, OP_RAM_WR, OP_FILL,
	OP_RESET, OP_PUMP,
	NR_OPS
};

static struct vm vm;
static struct virtio_mmio *mm[NR_DEVS];
static const struct virtio_dev_ops *dev_ops[NR_DEVS] = { &echo_ops, &virtio_rng_ops };
/*
 * fake_kvm keeps one ioeventfd per address (no datamatch), so echo's two
 * queues get none and trap; what the devices got must not change.
 */
static unsigned int nr_ioeventfds;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct virtio_rng *rng;
	int err;

	fuzz_quiet();
	fuzz_vm_init(&vm, NULL, RAM_SIZE);	/* RAM: each input's own */
	vm.vm_fd = fake_kvm_open();
	rng = virtio_rng_create();
	mm[0] = virtio_mmio_create(&vm, BASE(0), 5, &echo_ops, &echo, &err);
	mm[1] = rng ? virtio_mmio_create(&vm, BASE(1), 6, &virtio_rng_ops, rng, &err) : NULL;
	if (!mm[0] || !mm[1])
		abort();
	for (int i = 0; i < NR_DEVS; i++)
		fuzz_dev_own(virtio_mmio_dev(mm[i]));
	nr_ioeventfds = fake_kvm_nr_ioeventfds();
	return 0;
}

static u64 io(unsigned int d, u64 off, u32 len, bool is_write, u64 val)
{
	u8 *b = malloc(len);	/* exactly KVM's width: ASan sees a byte past it */
	u64 r = 0;

	if (!b)
		abort();
	memcpy(b, &val, len);
	bus_access(&vm.bus[BUS_MMIO], NULL, BASE(d) + off, b, len, is_write);
	memcpy(&r, b, len);
	free(b);
	return r;
}

static u32 rd(unsigned int d, u32 reg)
{
	return io(d, reg, 4, false, 0);
}

static void wr(unsigned int d, u32 reg, u32 val)
{
	io(d, reg, 4, true, val);
}

/* Linux's virtio_mmio probe and virtio_dev_probe(), @sel picking features. */
static void driver_init(unsigned int d, u8 sel, u32 mask)
{
	u32 f[2];

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (u32 i = 0; i < 2; i++) {
		wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, i);
		f[i] = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
		if (sel & (1 << i))
			f[i] &= mask;
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, i);
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES, f[i]);
	}
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(sel & 4))
		wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Queue @a & 3 (of at most 2: one too many), size from @a, rings from @val. */
static void queue_setup(unsigned int d, u8 a, u16 off, u32 val)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, a & 3);
	fuzz_check(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == ((a & 3) < dev_ops[d]->nr_queues ?
		   dev_ops[d]->max_queue_size : 0), "QueueNumMax of queue %u", a & 3);
	if (rd(d, VIRTIO_MMIO_QUEUE_READY) && !(a & 0x80))
		wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, a & 0x40 ? off : 1u << ((a >> 2) & 7));
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (val & 0xff) << 8);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, a & 0x20 ? off : 0);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, ((val >> 8) & 0xff) << 8);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, ((val >> 16) & 0xff) << 8);
	wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	if (!(val & 0x80000000))
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Chains on the selected queue, where the device says its rings are. */
static void fill(unsigned int d, u8 a, u16 off, u32 val)
{
	u64 desc = rd(d, VIRTIO_MMIO_QUEUE_DESC_LOW) |
		   (u64)rd(d, VIRTIO_MMIO_QUEUE_DESC_HIGH) << 32;
	u64 avail = rd(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW) |
		    (u64)rd(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH) << 32;
	u32 size = rd(d, VIRTIO_MMIO_QUEUE_NUM);

	if (size > 0xffff)
		return;
	fuzz_ring_fill(vm.regions[0].hva, RAM_SIZE, desc, avail, size, (a >> 1) + 1,
		       (off & 7) + 1, val & 0xff, FILL_BUF, a & 1);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, rd(d, VIRTIO_MMIO_QUEUE_SEL));
}

static void check_regs(unsigned int d)
{
	u32 isr = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	fuzz_check(rd(d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976 &&
		   rd(d, VIRTIO_MMIO_VERSION) == 2 &&
		   rd(d, VIRTIO_MMIO_DEVICE_ID) == dev_ops[d]->device_id,
		   "device %u lost its identity", d);
	fuzz_check(!(isr & ~3u), "InterruptStatus 0x%x", isr);
}

static void run_op(unsigned int d, struct fuzz_op op)
{
	static const u8 lens[4] = { 1, 2, 4, 8 };
	u8 a = op.arg;
	u32 len = lens[a & 3];
	u64 v;

	switch (op.kind % NR_OPS) {
	case OP_RD:
		rd(d, op.off & 0xfc);
		break;
	case OP_WR:
		wr(d, op.off & 0xfc, op.val);
		break;
	case OP_RAW_RD:
		v = io(d, op.off % VIRTIO_MMIO_SIZE, len, false, 0);
		fuzz_check(op.off % VIRTIO_MMIO_SIZE >= VIRTIO_MMIO_CONFIG ||
			   (len == 4 && !(op.off & 3)) || !v,
			   "a %u-byte read at 0x%x gave 0x%llx", len, op.off % VIRTIO_MMIO_SIZE,
			   (unsigned long long)v);
		break;
	case OP_RAW_WR:
		io(d, op.off % VIRTIO_MMIO_SIZE, len, true, (u64)op.val << 32 | op.val);
		break;
	case OP_CFG_RD:
		io(d, VIRTIO_MMIO_CONFIG + (op.off & 0xff), len, false, 0);
		break;
	case OP_CFG_WR:
		io(d, VIRTIO_MMIO_CONFIG + (op.off & 0xff), len, true, (u64)op.val << 32 | op.val);
		break;
	case OP_DRIVER_INIT:
		driver_init(d, a, op.val);
		break;
	case OP_QUEUE_SETUP:
		queue_setup(d, a, op.off, op.val);
		break;
	case OP_KICK:
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, a & 0x80 ? op.val : a & 3);
		break;
	case OP_ACK:
		wr(d, VIRTIO_MMIO_INTERRUPT_ACK, a & 0x80 ? op.val :
		   rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
		break;
	case OP_RAM_WR:
		memcpy(vm.regions[0].hva + MIN(op.off, RAM_SIZE - 4), &op.val, MIN(len, 4u));
		break;
	case OP_FILL:
		fill(d, a, op.off, op.val);
		break;
	case OP_RESET:
		wr(d, VIRTIO_MMIO_STATUS, 0);
		fuzz_check(!rd(d, VIRTIO_MMIO_STATUS), "status after reset");
		for (u32 q = 0; q < 3; q++) {
			wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
			fuzz_check(!rd(d, VIRTIO_MMIO_QUEUE_READY), "queue %u ready after reset", q);
		}
		break;
	case OP_PUMP:
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 p[PARAMS] = { 0 };
	const u8 *opv, *rest;
	size_t nr_ops, rest_len;
	u8 *ram;

	ram = fuzz_split(data, size, p, PARAMS, 1, &opv, &nr_ops, &rest, &rest_len, RAM_SIZE);
	if (!ram)
		return 0;
	vm.regions[0].hva = ram;
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		wr(d, VIRTIO_MMIO_STATUS, 0);
		wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		wr(d, VIRTIO_MMIO_INTERRUPT_ACK, ~0u);
		fuzz_dev_pump(virtio_mmio_dev(mm[d]), FUZZ_PUMP_ROUNDS);	/* stale kicks */
	}

	for (size_t i = 0; i < nr_ops; i++) {
		struct fuzz_op op = fuzz_op_at(opv + i * FUZZ_OP_SIZE);
		/* Most go to the device p[0] picks; the op's top kind bit: the other. */
		unsigned int d = (p[0] ^ (op.kind >> 7)) & 1;

		run_op(d, op);
		fuzz_dev_pump(virtio_mmio_dev(mm[d]), FUZZ_PUMP_ROUNDS);
		check_regs(d);
	}
	fuzz_check(!fake_kvm.nr_bad, "a malformed KVM request");
	fuzz_check(fake_kvm_nr_ioeventfds() == nr_ioeventfds &&
		   fake_kvm_has_ioeventfd(BASE(1) + VIRTIO_MMIO_QUEUE_NOTIFY, 4),
		   "%u notify ioeventfds, %u at start", fake_kvm_nr_ioeventfds(), nr_ioeventfds);

	/* Nothing may point into this input's RAM any more. */
	for (unsigned int d = 0; d < NR_DEVS; d++)
		wr(d, VIRTIO_MMIO_STATUS, 0);
	vm.regions[0].hva = NULL;
	free(ram);
	return 0;
}
