// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the PC's port I/O and MMIO as a vcpu reaches them.
 * The buses carry what hw/x86/machine.c puts there without KVM: COM1 (the
 * 8250 UART), the power, reset, CMOS, pvpanic and POST ports
 * (x86_power_init), the PCI host (x86_pci_init: 0xcf8/0xcfc with the 0xcf9
 * reset byte, ECAM, the BAR window) with its host bridge, the null
 * MMIO page, and --exec's status register (0xdffff000, from the null page's
 * base). A virtio function on the bus is fuzz_virtio_pci's: creating
 * one (and its thread) per input here made this target 15 times slower. Every access goes through bus_access() or, for a port
 * I/O exit, bus_pio_exit() (string I/O: count items in one exit), into a
 * buffer of exactly the size KVM's would have, so ASan sees a handler write
 * past it.
 *
 * The input is a sequence of 16-byte records, then a byte pool:
 *   kind  bit 0: MMIO (else port I/O), bit 1: write, bits 2-3: size
 *         (1, 2, 4, 8; port I/O has no 8: 4), bit 4: string I/O (count
 *         items; port I/O only), bits 5-6: the MMIO base (ECAM, BAR
 *         window, null page, 0), bit 7: host input for COM1 instead, or
 *         with bit 0 too, a press of the power button (vmm shutdown)
 *   count u16: string I/O items (at most a page of data, as in kvm_run),
 *         or how many pool bytes the host input is; a byte unused
 *   addr  u32: port (its low 16 bits), or offset from the MMIO base
 *   data  8 bytes: what a write writes; string writes take the pool
 *
 * Oracles: an access nothing decodes reads all-ones; the UART's interrupt
 * callback only ever reports a change of level; COM1 transmits no more
 * bytes than the guest wrote to its data port; a stop is requested only by
 * a write to a power, reset or pvpanic port; no KVM request is malformed;
 * the SCI is high exactly while PWRBTN_STS and PWRBTN_EN are both set.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/uart8250.h"
#include "hw/x86/layout.h"
#include "hw/x86/machine.h"
#include "hw/x86/pci.h"
#include "hw/x86/power.h"
#include "kvm/arch.h"
#include "kvm/irq.h"
#include "tests/unit/fake_kvm.h"
#include "vcpu/vcpu.h"
#include "fuzz_vm.h"

#define REC_SIZE	16
#define RAM_SIZE	0x10000
#define PAGE		4096

#define K_MMIO		0x01
#define K_WRITE		0x02
#define K_SIZE(k)	(((k) >> 2) & 3)
#define K_STRING	0x10
#define K_BASE(k)	(((k) >> 5) & 3)
#define K_HOST_INPUT	0x80

static const u64 mmio_bases[4] = { X86_PCI_ECAM_BASE, X86_PCI_MEM_BASE, X86_NULL_MMIO_ADDR, 0 };

static struct vm vm;
static struct x86_machine machine;
static struct vcpu vcpu = { .vm = &vm };
static int com1_level;
static size_t com1_tx, com1_data_writes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void com1_irq(void *opaque, int level)
{
	fuzz_check(level != com1_level, "COM1 interrupt set to %d twice", level);
	com1_level = level;
}

static void com1_out(void *opaque, const u8 *buf, size_t len)
{
	com1_tx += len;
}

/* A write the power, reset and pvpanic ports may stop the VM for. */
static bool stops(bool mmio, u32 addr)
{
	u16 port = addr;	/* the port's 16 bits */

	if (mmio)
		return false;
	return port == X86_RESET_PORT || port == X86_I8042_PORT + 4 ||
	       port == X86_PVPANIC_PORT || port == X86_PM1A_CNT || port == X86_PM1A_CNT + 1;
}

static void guest_access(u8 kind, u32 count, u32 addr, const u8 *val, const u8 *pool,
			 size_t pool_len)
{
	static const u8 sizes[4] = { 1, 2, 4, 8 };
	bool mmio = kind & K_MMIO, write = kind & K_WRITE;
	u32 size = sizes[K_SIZE(kind)];
	u64 gpa;
	u8 *d;

	if (!mmio && size == 8)
		size = 4;
	if (mmio || !(kind & K_STRING))
		count = 1;
	/* KVM hands over at most a page of string data. */
	count = MIN(MAX(count, 1u), PAGE / size);
	d = malloc((size_t)size * count);
	if (!d)
		return;
	for (u32 i = 0; i < size * count; i++)
		d[i] = count == 1 ? val[i] : pool_len ? pool[i % pool_len] : (u8)i;

	if (mmio) {
		gpa = mmio_bases[K_BASE(kind)] + addr;
		if (!bus_access(&vm.bus[BUS_MMIO], &vcpu, gpa, d, size, write) && !write) {
			for (u32 i = 0; i < size; i++)
				fuzz_check(d[i] == 0xff, "unhandled MMIO read 0x%llx gave %02x",
					   (unsigned long long)gpa, d[i]);
		}
	} else {
		u16 port = addr;

		if (!bus_find(&vm.bus[BUS_PIO], port) && !write)
			memset(d, 0, (size_t)size * count);
		bus_pio_exit(&vm.bus[BUS_PIO], &vcpu, port, d, size, count, write);
		if (!bus_find(&vm.bus[BUS_PIO], port) && !write) {
			for (u32 i = 0; i < size * count; i++)
				fuzz_check(d[i] == 0xff, "unhandled port read 0x%x gave %02x",
					   port, d[i]);
		}
		if (write && port == X86_COM1_PORT)
			com1_data_writes += count;
	}
	fuzz_check(vm_stop_reason(&vm) == VM_RUNNING || (write && stops(mmio, addr)),
		   "%s %s 0x%x stopped the VM (reason %d)", mmio ? "MMIO" : "port",
		   write ? "write" : "read", addr, vm_stop_reason(&vm));
	/* A guest carries on after a reset request until its vcpu sees it. */
	atomic_store(&vm.stop_reason, VM_RUNNING);
	free(d);
}

/* The SCI follows PM1 status & enable's power-button bit, nothing else. */
static void sci_check(void)
{
	u8 pm[4];
	bool want;
	int line = fake_kvm.line[X86_PM_SCI_IRQ];

	bus_access(&vm.bus[BUS_PIO], &vcpu, X86_PM1A_EVT, pm, 4, false);
	want = (pm[1] & pm[3]) & 1;	/* bit 8: PWRBTN_STS, PWRBTN_EN */
	fuzz_check(line == want || (line == -1 && !want), "SCI %d with PM1 sts %02x%02x en %02x%02x",
		   line, pm[1], pm[0], pm[3], pm[2]);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	size_t nr = size / REC_SIZE;
	const u8 *pool = data + nr * REC_SIZE;
	static const struct vm_config cfg = { .exec_cmd = "true" };
	size_t pool_len = size - nr * REC_SIZE;
	struct uart8250 *com1;
	u8 *ram = calloc(1, RAM_SIZE);

	if (!ram)
		return 0;
	fuzz_vm_init(&vm, ram, RAM_SIZE);
	vm.cfg = &cfg;		/* --exec: the status register is mapped too */
	vm.vm_fd = fake_kvm_open();
	vm.msi = true;
	com1_level = 0;
	com1_tx = com1_data_writes = 0;

	/* As arch_vm_init() wires them, KVM's own chips aside. */
	com1 = uart8250_create((struct uart_irq){ com1_irq, NULL },
			       (struct uart_out){ com1_out, NULL });
	vm.arch = &machine;
	if (!com1 || bus_register(&vm, BUS_PIO, X86_COM1_PORT, 8, uart8250_io, com1, "com1") ||
	    x86_power_init(&vm) || x86_pci_init(&vm))
		abort();

	for (size_t i = 0; i < nr; i++) {
		const u8 *r = data + i * REC_SIZE;
		u32 count = r[1] | r[2] << 8;
		u32 addr = r[4] | r[5] << 8 | r[6] << 16 | (u32)r[7] << 24;

		if ((r[0] & (K_HOST_INPUT | K_MMIO)) == (K_HOST_INPUT | K_MMIO)) {
			fuzz_check(!arch_power_button(&vm), "no power button");
		} else if (r[0] & K_HOST_INPUT) {
			/* The terminal's thread hands COM1 some of the pool. */
			size_t n = MIN((size_t)count, pool_len);

			fuzz_check(uart8250_receive(com1, pool, n) <= n, "COM1 took too much");
		} else {
			guest_access(r[0], count, addr, r + 8, pool, pool_len);
		}
		fuzz_check(!fake_kvm.nr_bad, "a malformed KVM request");
		sci_check();
	}
	fuzz_check(com1_tx <= com1_data_writes, "COM1 sent %zu bytes for %zu writes", com1_tx,
		   com1_data_writes);

	pci_bus_destroy(vm.pci);
	vm.pci = NULL;
	uart8250_destroy(com1);
	x86_power_destroy(&vm);
	vm.arch = NULL;
	irq_routing_free(&vm);
	fuzz_check(!fake_kvm.nr_bad && !fake_kvm_nr_ioeventfds() && !fake_kvm.nr_irqfds,
		   "left in KVM: %u ioeventfds, %d irqfds", fake_kvm_nr_ioeventfds(),
		   fake_kvm.nr_irqfds);
	fake_kvm_close(&vm);
	fuzz_vm_free(&vm);
	free(ram);
	return 0;
}
