// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 PC: RAM below the 3 GiB hole and above 4 GiB, the in-kernel
 * PIC/IOAPIC/LAPIC and PIT, COM1, power and reset ports. Implements the
 * arch hooks of kvm/arch.h, in the order KVM requires.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/console.h"
#include "devices/pci.h"
#include "devices/uart8250.h"
#include "hw/x86/bootparams.h"
#include "hw/x86/cpu.h"
#include "hw/x86/layout.h"
#include "hw/x86/machine.h"
#include "hw/x86/pci.h"
#include "hw/x86/power.h"
#include "kvm/arch.h"
#include "kvm/irq.h"
#include "kvm/kvm.h"
#include "util/kernel_release.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

unsigned long arch_vm_type(struct vm *vm)
{
	return 0;
}

const char *arch_default_cmdline(const struct vm_config *cfg)
{
	/*
	 * Serial console on COM1 at the speed the UART claims; reboot by the
	 * keyboard controller (we implement it); panic=-1 turns a panic into a
	 * reset, which vmm reports.
	 */
#define X86_CMDLINE "console=ttyS0 earlyprintk=serial,ttyS0 reboot=k panic=-1 " \
		    "i8042.noaux i8042.nokbd"
/*
 * --exec: the command's output alone, unless the kernel has an error to
 * tell. No early console: it replays the boot log before "quiet" is read,
 * and early_printk() ignores the log level.
 */
#define X86_EXEC_CMDLINE "quiet console=ttyS0 reboot=k panic=-1 i8042.noaux i8042.nokbd"
	static char line[sizeof(X86_CMDLINE) + 32];

	/* --console virtio: the last console= is /dev/console (printk.c). */
	snprintf(line, sizeof(line), "%s%s", cfg->exec_cmd ? X86_EXEC_CMDLINE : X86_CMDLINE,
		 cfg->console == VM_CONSOLE_VIRTIO ? " console=hvc0" : "");
	return line;
}

u64 arch_exec_status_addr(void)
{
	return X86_EXEC_STATUS_ADDR;
}

int arch_kernel_release(const u8 *img, size_t len, char *out, size_t outlen)
{
	/* A bzImage's setup header points at its version string (boot.rst: kernel_version). */
	if (len > 0x210 && !memcmp(img + 0x202, "HdrS", 4)) {
		size_t kv = (size_t)img[0x20e] | (size_t)img[0x20f] << 8;

		if (!kv || kv + 0x200 >= len)
			return -ENOENT;
		return kernel_release_word((const char *)img + kv + 0x200, len - kv - 0x200,
					   out, outlen);
	}
	return kernel_release_find(img, len, out, outlen);	/* an ELF vmlinux */
}

static void com1_irq_set(void *opaque, int level)
{
	irq_line_set(opaque, X86_COM1_IRQ, level);
}

static void com1_out(void *opaque, const u8 *buf, size_t len)
{
	console_write(opaque, buf, len);
}

static size_t com1_rx(void *opaque, const u8 *buf, size_t len)
{
	return uart8250_receive(opaque, buf, len);
}

#define X86_IOAPIC_PINS	24

/*
 * KVM's default routing sends GSI n to IOAPIC pin n, but on a PC (and in
 * our MADT and MP table) ISA IRQ0 arrives at IOAPIC pin 2. Route GSI 0 (the
 * in-kernel PIT) there; every other GSI keeps its PIC and IOAPIC pins.
 * KVM_SET_GSI_ROUTING replaces the whole table, defaults included.
 */
static int x86_irq_routing_init(struct vm *vm)
{
	int r = 0;

	for (u32 gsi = 0; gsi < 16; gsi++)
		r |= irq_route_irqchip(vm, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
				       KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	for (u32 gsi = 0; gsi < X86_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;	/* pin 2 belongs to GSI 0 */
		r |= irq_route_irqchip(vm, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	return r ? r : irq_routing_commit(vm);
}

static int x86_irqchip_init(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (kvm_require_cap(vm, KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR") < 0 ||
	    kvm_require_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP") < 0 ||
	    kvm_require_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2") < 0 ||
	    kvm_require_cap(vm, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING") < 0)
		return -ENOTSUP;
	/* The TSS and identity map must exist before vcpus, outside RAM. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, X86_TSS_ADDR) < 0) {
		log_error("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -errno;
	}
	if (kvm_cap(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
		u64 addr = X86_IDENTITY_MAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
			log_error("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
			return -errno;
		}
	}
	/* api.rst 4.24: the irqchip before any vcpu, so each gets a LAPIC. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	if (x86_irq_routing_init(vm) < 0)
		return -ENOTSUP;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_error("KVM_CREATE_PIT2: %s", strerror(errno));
		return -errno;
	}
	/*
	 * Ticks the vcpu could not take in time are dropped, not replayed in a
	 * burst: on a busy host replaying made the guest count 2000 Hz from a
	 * 1000 Hz PIT, which is what a guest calibrating against it must not see.
	 */
	if (kvm_cap(vm, KVM_CAP_REINJECT_CONTROL)) {
		struct kvm_reinject_control rc = { .pit_reinject = 0 };

		if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc) < 0)
			log_warn("KVM_REINJECT_CONTROL: %s", strerror(errno));
	}
	return 0;
}

int arch_vm_init(struct vm *vm)
{
	struct x86_machine *m = calloc(1, sizeof(*m));
	u64 gpa[2], size[2];
	int n, r;

	if (!m)
		return -ENOMEM;
	vm->arch = m;

	if (vm->cfg->irqchip != VM_IRQCHIP_DEFAULT) {
		log_error("--irqchip %s: the x86 PC has no GIC",
			  config_irqchip_name(vm->cfg->irqchip));
		return -EINVAL;
	}
	if (vm->cfg->pmu) {
		log_error("--pmu is for arm64: x86 guests find KVM's PMU through CPUID");
		return -EINVAL;
	}
	r = x86_irqchip_init(vm);
	if (r < 0)
		return r;

	x86_ram_regions(vm->cfg->ram_size, gpa, size, &n);
	for (int i = 0; i < n; i++) {
		r = vm_add_ram(vm, gpa[i], size[i]);
		if (r < 0) {
			log_error("cannot map %llu MiB of guest RAM at 0x%llx: %s",
				  (unsigned long long)(size[i] >> 20),
				  (unsigned long long)gpa[i], strerror(-r));
			return r;
		}
	}

	m->com1 = uart8250_create((struct uart_irq){ com1_irq_set, vm },
				  (struct uart_out){ com1_out, vm });
	if (!m->com1)
		return -ENOMEM;
	r = bus_register(vm, BUS_PIO, X86_COM1_PORT, 8, uart8250_io, m->com1, "com1");
	if (r < 0)
		return r;
	bus_set_console(&vm->bus[BUS_PIO], X86_COM1_PORT);
	vm->console_rx = com1_rx;
	vm->console_opaque = m->com1;

	r = x86_power_init(vm);
	if (r < 0)
		return r;
	r = x86_pci_init(vm);
	if (r < 0)
		return r;
	/* MSI-X vectors become KVM MSI routes with irqfds. */
	vm->msi = kvm_cap(vm, KVM_CAP_SIGNAL_MSI) > 0;

	m->cpuid = x86_cpuid_supported(vm);
	return m->cpuid ? 0 : -ENOTSUP;
}

/*
 * ISA lines nothing else uses: edge-triggered, as virtio-mmio's one edge
 * per notification wants (COM1 has 4, the SCI 9, the PIT 0, the PIC 2).
 */
static const u8 x86_virtio_irqs[] = { 5, 6, 7, 10, 11, 12, 14, 15, 3, 1 };

int arch_virtio_mmio_slot(struct vm *vm, unsigned int index, u64 *base, u32 *gsi,
			  u32 *line)
{
	if (index >= ARRAY_SIZE(x86_virtio_irqs))
		return -ENOSPC;
	*base = X86_VIRTIO_MMIO_BASE + index * X86_VIRTIO_MMIO_STRIDE;
	*gsi = *line = x86_virtio_irqs[index];
	return 0;
}

enum vm_virtio_transport arch_default_virtio_transport(void)
{
	return VM_VIRTIO_PCI;	/* what a stock PC kernel looks for */
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	struct x86_machine *m = vcpu->vm->arch;
	int r;

	r = x86_vcpu_setup_cpuid(vcpu, m->cpuid);
	if (r < 0)
		return r;
	r = x86_vcpu_setup_msrs(vcpu);
	if (r < 0)
		return r;
	r = x86_vcpu_setup_lapic(vcpu);
	if (r < 0) {
		log_error("vcpu %u: LAPIC set-up failed: %s", vcpu->id, strerror(-r));
		return r;
	}
	/* Application processors wait in the LAPIC for INIT/SIPI. */
	if (vcpu->id == 0) {
		r = x86_vcpu_setup_boot(vcpu, &m->entry);
		if (r < 0)
			log_error("vcpu 0: boot register set-up failed: %s", strerror(-r));
	}
	return r;
}

int arch_vm_vcpus_created(struct vm *vm)
{
	return 0;
}

int arch_handle_exit(struct vcpu *vcpu)
{
	return -1;
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
	x86_vcpu_dump(vcpu);
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
}

void arch_vm_destroy(struct vm *vm)
{
	struct x86_machine *m = vm->arch;

	if (!m)
		return;
	vm->console_rx = NULL;
	pci_bus_destroy(vm->pci);
	vm->pci = NULL;
	if (m->com1)
		uart8250_destroy(m->com1);
	x86_power_destroy(vm);
	free(m->cpuid);
	free(m);
	vm->arch = NULL;
}
