// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GIC through the KVM device API
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst, arm-vgic.rst).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw/arm64/layout.h"
#include "hw/arm64/machine.h"
#include "kvm/irq.h"
#include "kvm/kvm.h"
#include "util/log.h"

static int dev_set_attr(int fd, u32 group, u64 attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (u64)(unsigned long)val,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

static int gic_set_attr(struct arm64_machine *m, u32 group, u64 attr, void *val,
			const char *what)
{
	int r = dev_set_attr(m->gic_fd, group, attr, val);

	if (r < 0)
		log_error("GICv%u: cannot set %s: %s", m->gic_version, what, strerror(-r));
	return r;
}

/*
 * An ITS turns PCI MSIs into LPIs (arm-vgic-its.rst). Optional by default:
 * without one, PCI devices use INTx; --irqchip gicv3-its requires it.
 * Placed now, initialised after the vgic.
 */
static int gic_its_create(struct vm *vm, struct arm64_machine *m, bool required)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
	u64 base = ARM64_GIC_ITS_BASE;
	int r;

	/* KVM_CAP_MSI_DEVID says yes only once a VM has an ITS: not asked. */
	if (!kvm_cap(vm, KVM_CAP_IRQ_ROUTING) || ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		int err = errno;	/* before kvm_cap() below */

		if (required) {
			const char *why = kvm_cap(vm, KVM_CAP_IRQ_ROUTING) ? strerror(err) :
					  "no KVM_CAP_IRQ_ROUTING";

			log_error("--irqchip gicv3-its: this host's KVM cannot create an ITS: %s",
				  why);
			return -ENOTSUP;
		}
		log_debug("no GICv3 ITS: PCI devices use INTx");
		return 0;
	}
	r = dev_set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &base);
	if (r < 0) {
		close(cd.fd);
		if (required) {
			log_error("--irqchip gicv3-its: cannot place the ITS: %s", strerror(-r));
			return -ENOTSUP;	/* KVM refused: a host failure */
		}
		log_debug("GICv3 ITS: cannot place it: %s", strerror(-r));
		return 0;
	}
	m->its_fd = cd.fd;
	/*
	 * Devices decide on MSI-X when created, before the vgic's CTRL_INIT;
	 * the ITS's own CTRL_INIT (in finalize) has nothing that can fail.
	 */
	vm->msi = vm->msi_devid = true;
	/*
	 * The first MSI route replaces KVM's default table, which sends GSI n
	 * to SPI n for irqfds: keep those routes in ours.
	 */
	for (u32 spi = 0; spi < ARM64_GIC_NR_IRQS - 32; spi++)
		irq_route_irqchip(vm, spi, 0, spi);
	return 0;
}

/*
 * The GIC --irqchip asks for, never another: by default a GICv3 (with an
 * ITS where KVM has one), else a GICv2.
 */
static int gic_create_device(struct vm *vm, struct arm64_machine *m, enum vm_irqchip want)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	int err3 = 0;

	m->gic_version = 3;
	if (want != VM_IRQCHIP_GICV2) {
		if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) == 0) {
			m->gic_fd = cd.fd;
			return 0;
		}
		err3 = errno;
		if (want != VM_IRQCHIP_DEFAULT) {
			log_error("--irqchip %s: this host's KVM cannot create a GICv3: %s",
				  config_irqchip_name(want), strerror(err3));
			return -ENOTSUP;
		}
	}
	cd = (struct kvm_create_device){ .type = KVM_DEV_TYPE_ARM_VGIC_V2 };
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		if (want == VM_IRQCHIP_GICV2)
			log_error("--irqchip gicv2: this host's KVM cannot create a GICv2: %s",
				  strerror(errno));
		else
			log_error("cannot create an in-kernel GIC: v3: %s, v2: %s",
				  strerror(err3), strerror(errno));
		return -ENOTSUP;
	}
	if (want == VM_IRQCHIP_DEFAULT)
		log_debug("no in-kernel GICv3 (%s): using GICv2", strerror(err3));
	m->gic_version = 2;
	m->gic_fd = cd.fd;
	return 0;
}

int arm64_gic_create(struct vm *vm, struct arm64_machine *m, unsigned int nr_cpus)
{
	enum vm_irqchip want = vm->cfg->irqchip;
	u64 dist = ARM64_GIC_DIST_BASE, cpu;
	u32 nr_irqs = ARM64_GIC_NR_IRQS;
	int r;

	r = gic_create_device(vm, m, want);
	if (r < 0)
		return r;

	if (m->gic_version == 3) {
		/* One contiguous redistributor region: 128 KiB per vcpu. */
		if (nr_cpus * ARM64_GIC_REDIST_SIZE >
		    ARM64_GIC_REDIST_LIMIT - ARM64_GIC_REDIST_BASE) {
			log_error("--cpus %u: the GICv3 redistributor space holds at most %llu",
				  nr_cpus, (ARM64_GIC_REDIST_LIMIT - ARM64_GIC_REDIST_BASE) /
				  ARM64_GIC_REDIST_SIZE);
			return -EINVAL;
		}
		cpu = ARM64_GIC_REDIST_BASE;
		r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
				 &dist, "the distributor address");
		if (!r)
			r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_ADDR,
					 KVM_VGIC_V3_ADDR_TYPE_REDIST, &cpu,
					 "the redistributor address");
	} else {
		/* The GICv2 architecture has 8 cpu interfaces. */
		if (nr_cpus > 8) {
			log_error("--cpus %u: a GICv2 serves at most 8 vcpus", nr_cpus);
			return -EINVAL;
		}
		cpu = ARM64_GIC_CPU_BASE;
		r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST,
				 &dist, "the distributor address");
		if (!r)
			r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU,
					 &cpu, "the CPU interface address");
	}
	if (!r)
		r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
				 "the number of interrupts");
	if (!r && m->gic_version == 3 && want != VM_IRQCHIP_GICV3)
		r = gic_its_create(vm, m, want == VM_IRQCHIP_GICV3_ITS);
	return r;
}

int arm64_gic_finalize(struct vm *vm, struct arm64_machine *m)
{
	/* arm-vgic-v3.rst: CTRL_INIT once all vcpus are created. */
	int r = gic_set_attr(m, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			     NULL, "CTRL_INIT");

	if (r < 0 || m->its_fd < 0)
		return r;
	r = dev_set_attr(m->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (r < 0)
		log_error("GICv3 ITS: CTRL_INIT: %s", strerror(-r));
	return r;
}

void arm64_gic_destroy(struct arm64_machine *m)
{
	if (m->its_fd >= 0)
		close(m->its_fd);
	if (m->gic_fd >= 0)
		close(m->gic_fd);
	m->gic_fd = m->its_fd = -1;
}
