// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 machine: RAM from 2 GiB, an in-kernel GIC, PSCI vcpus, an 8250
 * UART and pvpanic on MMIO, described to the guest by an FDT. Implements
 * the arch hooks of kvm/arch.h in the order KVM requires.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/console.h"
#include "devices/pci.h"
#include "devices/boot_timer.h"
#include "devices/exec_status.h"
#include "devices/pl061.h"
#include "devices/pvpanic.h"
#include "devices/virtio/devices.h"
#include "devices/virtio/mmio.h"
#include "devices/uart8250.h"
#include "hw/arm64/image.h"
#include "hw/arm64/layout.h"
#include "hw/arm64/machine.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "util/kernel_release.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

#define ARM64_CORE_REG(x)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
				 KVM_REG_ARM_CORE_REG(x))
#define ARM64_MPIDR_EL1		ARM64_SYS_REG(3, 0, 0, 0, 5)
/* EL1 with SP_EL1, D, A, I and F masked: booting.rst's entry state. */
#define ARM64_BOOT_PSTATE	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)
#define ARM64_IPA_MIN		32

static u64 ram_end(const struct vm_config *cfg)
{
	return ARM64_RAM_BASE + cfg->ram_size;
}

unsigned long arch_vm_type(struct vm *vm)
{
	int limit = kvm_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE);
	unsigned int bits = ARM64_IPA_MIN;

	while (bits < 64 && (1ULL << bits) < ram_end(vm->cfg))
		bits++;
	/* No capability: the host only knows the 40-bit default (type 0). */
	if (!limit) {
		if (bits > 40)
			log_error("guest RAM ends at 0x%llx, beyond this KVM's 40-bit IPA space",
				  (unsigned long long)ram_end(vm->cfg));
		return 0;
	}
	if ((int)bits > limit)
		log_error("guest RAM ends at 0x%llx: needs a %u-bit IPA space, KVM allows %d",
			  (unsigned long long)ram_end(vm->cfg), bits, limit);
	/* At least KVM's 40-bit default where the host has it: the well-trodden size. */
	bits = MAX(bits, (unsigned int)MIN(40, limit));
	log_debug("IPA space: %u bits (KVM allows %d)", bits, limit);
	return KVM_VM_TYPE_ARM_IPA_SIZE(bits);
}

const char *arch_default_cmdline(const struct vm_config *cfg)
{
	/*
	 * The 8250 on MMIO is ttyS0, and earlycon shows output before its
	 * driver binds. panic=-1 turns a panic into a PSCI reset; vmm has
	 * already seen the panic line on the console (or the pvpanic device)
	 * by then and exits with the panic status instead of rebooting.
	 */
#define ARM64_CMDLINE "console=ttyS0 earlycon=uart8250,mmio,0x9000000 panic=-1"
/*
 * --exec: the command's output alone, unless the kernel has an error to
 * tell. No earlycon: it replays the boot log before "quiet" is read.
 */
#define ARM64_EXEC_CMDLINE "quiet console=ttyS0 panic=-1"
	static char line[sizeof(ARM64_CMDLINE) + 32];

	/* --console virtio: the last console= is /dev/console (printk.c). */
	snprintf(line, sizeof(line), "%s%s", cfg->exec_cmd ? ARM64_EXEC_CMDLINE : ARM64_CMDLINE,
		 cfg->console == VM_CONSOLE_VIRTIO ? " console=hvc0" : "");
	return line;
}

u64 arch_exec_status_addr(void)
{
	return ARM64_EXEC_STATUS_BASE;
}

int arch_kernel_release(const u8 *img, size_t len, char *out, size_t outlen)
{
	u8 *raw = NULL;
	size_t raw_len;
	const char *why;
	int r;

	/* Image.gz: the banner is inside. */
	if (arm64_is_gzip(img, len)) {
		r = arm64_gunzip(img, len, ARM64_KERNEL_MAX_UNPACKED, &raw, &raw_len, &why);
		if (r < 0)
			return r;
		img = raw;
		len = raw_len;
	}
	r = kernel_release_find(img, len, out, outlen);
	free(raw);
	return r;
}

int arch_virtio_mmio_slot(struct vm *vm, unsigned int index, u64 *base, u32 *gsi,
			  u32 *line)
{
	if ((index + 1) * VIRTIO_MMIO_SIZE > ARM64_VIRTIO_MMIO_SIZE ||
	    ARM64_VIRTIO_SPI_BASE + index >= ARM64_GIC_NR_IRQS - 32)
		return -ENOSPC;
	*base = ARM64_VIRTIO_MMIO_BASE + (u64)index * VIRTIO_MMIO_SIZE;
	/* irqfd GSIs are SPI numbers; KVM_IRQ_LINE wants the encoded id */
	*gsi = ARM64_VIRTIO_SPI_BASE + index;
	*line = arm64_spi_irq(*gsi);
	return 0;
}

static void uart_irq_set(void *opaque, int level)
{
	irq_line_set(opaque, arm64_spi_irq(ARM64_UART_SPI), level);
}

/* Debian's arm64 kernels have no pvpanic driver: console_write() watches. */
static void uart_out(void *opaque, const u8 *buf, size_t len)
{
	console_write(opaque, buf, len);
}

static size_t uart_rx(void *opaque, const u8 *buf, size_t len)
{
	return uart8250_receive(opaque, buf, len);
}

/*
 * pci-host-ecam-generic: ECAM for bus 0 and a 32-bit window, INTA# of
 * slot s on its own level-triggered SPI. No ITS yet, so no MSI: virtio-pci
 * then offers no MSI-X and uses INTx.
 */
static int arm64_pci_init(struct vm *vm)
{
	struct pci_bus_info info = {
		.ecam_base = ARM64_PCI_ECAM_BASE,
		.mem_base = ARM64_PCI_MEM_BASE,
		.mem_size = ARM64_PCI_MEM_SIZE,
	};

	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		info.intx_gsi[s] = ARM64_PCI_INTX_SPI + s;
		info.intx_line[s] = arm64_spi_irq(ARM64_PCI_INTX_SPI + s);
	}
	vm->pci = pci_bus_create(vm, &info);
	return vm->pci ? pci_bus_register(vm->pci) : -ENOMEM;
}

static void gpio_irq_set(void *opaque, int level)
{
	irq_line_set(opaque, arm64_spi_irq(ARM64_GPIO_SPI), level);
}

/* Held until the guest's gpio-keys driver has read it: a press and a release. */
int arch_power_button(struct vm *vm)
{
	struct arm64_machine *m = vm->arch;

	if (!m || !m->gpio)
		return -ENOTSUP;
	pl061_set_input(m->gpio, ARM64_POWER_KEY_PIN, true, true);
	return 0;
}

enum vm_virtio_transport arch_default_virtio_transport(void)
{
	return VM_VIRTIO_MMIO;	/* the device tree's own way, and no MSI here yet */
}

int arch_vm_init(struct vm *vm)
{
	struct arm64_machine *m = calloc(1, sizeof(*m));
	unsigned int nr = vm->cfg->nr_cpus;
	int r;

	if (!m)
		return -ENOMEM;
	m->gic_fd = m->its_fd = -1;
	vm->arch = m;
	m->mpidr = calloc(nr, sizeof(*m->mpidr));
	if (!m->mpidr)
		return -ENOMEM;

	if (vm->cfg->pmu && !kvm_cap(vm, KVM_CAP_ARM_PMU_V3)) {
		log_error("--pmu: this host's KVM has no PMU for guests (no KVM_CAP_ARM_PMU_V3)");
		return -ENOTSUP;
	}
	if (kvm_require_cap(vm, KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2") < 0 ||
	    kvm_require_cap(vm, KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG") < 0 ||
	    kvm_require_cap(vm, KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL") < 0)
		return -ENOTSUP;
	/* api.rst 4.83: the target every vcpu is initialised with. */
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &m->target) < 0) {
		log_error("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -errno;
	}

	r = vm_add_ram(vm, ARM64_RAM_BASE, vm->cfg->ram_size);
	if (r < 0) {
		log_error("cannot map %llu MiB of guest RAM at 0x%llx: %s",
			  (unsigned long long)(vm->cfg->ram_size >> 20),
			  (unsigned long long)ARM64_RAM_BASE, strerror(-r));
		return r;
	}

	/* The GIC exists before the vcpus: they attach to it when created. */
	r = arm64_gic_create(vm, m, nr);
	if (r < 0)
		return r;

	m->uart = uart8250_create((struct uart_irq){ uart_irq_set, vm },
				  (struct uart_out){ uart_out, vm });
	if (!m->uart)
		return -ENOMEM;
	r = bus_register(vm, BUS_MMIO, ARM64_UART_BASE, UART_NR_REGS, uart8250_io,
			 m->uart, "uart");
	if (r < 0)
		return r;
	bus_set_console(&vm->bus[BUS_MMIO], ARM64_UART_BASE);
	vm->console_rx = uart_rx;
	vm->console_opaque = m->uart;

	m->gpio = pl061_create((struct pl061_irq){ gpio_irq_set, vm });
	if (!m->gpio)
		return -ENOMEM;
	r = bus_register(vm, BUS_MMIO, ARM64_GPIO_BASE, PL061_SIZE, pl061_io, m->gpio, "gpio");
	if (r < 0)
		return r;
	r = bus_register(vm, BUS_MMIO, ARM64_PVPANIC_BASE, ARM64_PVPANIC_SIZE,
			 pvpanic_io, NULL, "pvpanic");
	if (r == 0)
		r = bus_register(vm, BUS_MMIO, ARM64_BOOT_TIMER_BASE, ARM64_BOOT_TIMER_SIZE,
				 boot_timer_io, NULL, "boot-timer");
	if (r == 0 && vm->cfg && vm->cfg->exec_cmd)
		r = bus_register(vm, BUS_MMIO, ARM64_EXEC_STATUS_BASE, EXEC_STATUS_SIZE,
				 exec_status_io, NULL, "exec-status");
	return r < 0 ? r : arm64_pci_init(vm);
}

static int reg_get(struct vcpu *vcpu, u64 id, u64 *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)(unsigned long)val };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static int reg_set(struct vcpu *vcpu, u64 id, u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)(unsigned long)&val };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0 ? -errno : 0;
}

/* booting.rst: x0 = FDT address, x1-x3 = 0 (as reset leaves them), MMU off. */
static int vcpu_boot_regs(struct vcpu *vcpu, const struct arm64_machine *m)
{
	int r;

	r = reg_set(vcpu, ARM64_CORE_REG(regs.pstate), ARM64_BOOT_PSTATE);
	if (!r)
		r = reg_set(vcpu, ARM64_CORE_REG(regs.regs[0]), m->fdt_gpa);
	if (!r)
		r = reg_set(vcpu, ARM64_CORE_REG(regs.pc), m->entry);
	if (r < 0)
		log_error("vcpu 0: KVM_SET_ONE_REG: %s", strerror(-r));
	return r;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	struct arm64_machine *m = vcpu->vm->arch;
	struct kvm_vcpu_init init = m->target;
	int r;

	/*
	 * PSCI 0.2 for cpu on/off and system off/reset; secondaries wait
	 * powered off for PSCI CPU_ON. No SVE (it needs KVM_ARM_VCPU_FINALIZE),
	 * no pointer auth; a PMU with --pmu (set up in arm64_pmu_init).
	 */
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (vcpu->id)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (vcpu->vm->cfg->pmu)
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		log_error("vcpu %u: KVM_ARM_VCPU_INIT%s: %s", vcpu->id,
			  vcpu->vm->cfg->pmu ? " with a PMU (--pmu)" : "", strerror(errno));
		return -errno;
	}
	/* KVM assigns the MPIDR; the FDT's cpu nodes must name it. */
	r = reg_get(vcpu, ARM64_MPIDR_EL1, &m->mpidr[vcpu->id]);
	if (r < 0) {
		log_error("vcpu %u: cannot read MPIDR_EL1: %s", vcpu->id, strerror(-r));
		return r;
	}
	return vcpu->id == 0 ? vcpu_boot_regs(vcpu, m) : 0;
}

/*
 * vcpu.rst (KVM_ARM_VCPU_PMU_V3_CTRL): every vcpu's overflow interrupt, the
 * same PPI on all, then INIT, which wants the vgic initialised already.
 */
static int arm64_pmu_init(struct vm *vm)
{
	int irq = ARM64_PMU_PPI;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_device_attr a = {
			.group = KVM_ARM_VCPU_PMU_V3_CTRL,
			.attr = KVM_ARM_VCPU_PMU_V3_IRQ,
			.addr = (u64)(unsigned long)&irq,
		};
		const char *what = "IRQ";

		if (ioctl(vm->vcpus[i]->fd, KVM_SET_DEVICE_ATTR, &a) == 0) {
			a = (struct kvm_device_attr){ .group = KVM_ARM_VCPU_PMU_V3_CTRL,
						      .attr = KVM_ARM_VCPU_PMU_V3_INIT };
			what = "INIT";
			if (ioctl(vm->vcpus[i]->fd, KVM_SET_DEVICE_ATTR, &a) == 0)
				continue;
		}
		log_error("--pmu: vcpu %u: KVM_ARM_VCPU_PMU_V3_%s: %s", i, what, strerror(errno));
		return -errno;
	}
	return 0;
}

int arch_vm_vcpus_created(struct vm *vm)
{
	int r = arm64_gic_finalize(vm, vm->arch);

	if (r == 0 && vm->cfg->pmu)
		r = arm64_pmu_init(vm);
	if (r < 0)
		return r;
	/* KVM takes irqfds only from now on: the devices' interrupts bypass us. */
	virtio_devices_irqchip_ready(vm);
	return arm64_write_fdt(vm);
}

int arch_handle_exit(struct vcpu *vcpu)
{
	return -1;
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
	u64 pc = 0, sp = 0, sp_el1 = 0, pstate = 0, x[31] = { 0 };
	int r;

	r = reg_get(vcpu, ARM64_CORE_REG(regs.pc), &pc);
	if (!r)
		r = reg_get(vcpu, ARM64_CORE_REG(regs.sp), &sp);
	if (!r)
		r = reg_get(vcpu, ARM64_CORE_REG(sp_el1), &sp_el1);
	if (!r)
		r = reg_get(vcpu, ARM64_CORE_REG(regs.pstate), &pstate);
	/* regs.regs[] are consecutive u64s: 2 core-register units apart. */
	for (int i = 0; i < 31 && !r; i++)
		r = reg_get(vcpu, ARM64_CORE_REG(regs.regs[0]) + 2 * i, &x[i]);
	if (r < 0) {
		log_error("vcpu %u: cannot read registers: %s", vcpu->id, strerror(-r));
		return;
	}
	fprintf(stderr, " vcpu %u registers:\n"
		"  pc %016llx sp_el1 %016llx sp_el0 %016llx pstate %08llx (EL%llu)\n",
		vcpu->id, (unsigned long long)pc, (unsigned long long)sp_el1,
		(unsigned long long)sp, (unsigned long long)pstate,
		(unsigned long long)(pstate >> 2) & 3);
	for (int i = 0; i < 31; i += 4) {
		fprintf(stderr, " ");
		for (int j = i; j < i + 4 && j < 31; j++)
			fprintf(stderr, " x%-2d %016llx", j, (unsigned long long)x[j]);
		fprintf(stderr, "\n");
	}
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
}

void arch_vm_destroy(struct vm *vm)
{
	struct arm64_machine *m = vm->arch;

	if (!m)
		return;
	vm->console_rx = NULL;
	pci_bus_destroy(vm->pci);
	vm->pci = NULL;
	arm64_gic_destroy(m);
	if (m->uart)
		uart8250_destroy(m->uart);
	pl061_destroy(m->gpio);
	free(m->mpidr);
	free(m->cmdline);
	free(m);
	vm->arch = NULL;
}
