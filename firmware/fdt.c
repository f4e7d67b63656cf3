// SPDX-License-Identifier: GPL-2.0
/*
 * The device tree vmm gives a GIC-based guest, written with libfdt's
 * sequential-write API. Bindings: Documentation/devicetree/bindings/
 * (arm/cpus.yaml, arm/psci.yaml, timer/arm,arch_timer.yaml,
 * interrupt-controller/arm,gic*.yaml, serial/8250.yaml, chosen.txt,
 * pci/host-generic-pci.yaml with pci/pci.txt's interrupt-map rules).
 */
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>

#include "firmware/fdt.h"

#define GIC_PHANDLE		1
#define ITS_PHANDLE		2
#define APB_CLK_PHANDLE		3
#define GPIO_PHANDLE		4
#define APB_CLK_HZ		24000000	/* any rate: the PL061 has no timing */
#define KEY_POWER		116		/* linux/input-event-codes.h */
/* dtb_gic(): the GIC's #address-cells, which interrupt-map entries carry. */
#define GIC_ADDRESS_CELLS	2

/* PCI bus binding (IEEE 1275 PCI): phys.hi space code and devfn bits. */
#define PCI_SPACE_MEM32		0x02000000
#define PCI_DEV_SHIFT		11
#define PCI_SLOTS		32
#define PCI_PINS		4		/* INTA# = 1 .. INTD# = 4 */
#define PCI_ECAM_BUS_SIZE	(1u << 20)
/* Child unit address (3) + pin (1), phandle, GIC address + GIC specifier (3). */
#define PCI_IMAP_CELLS		(3 + 1 + 1 + GIC_ADDRESS_CELLS + 3)

/* The GIC's 3-cell interrupt specifier. */
#define GIC_FDT_SPI		0
#define GIC_FDT_PPI		1
#define IRQ_TYPE_EDGE_RISING	1
#define IRQ_TYPE_LEVEL_HIGH	4

/* Keeps the first libfdt error; every call after it does nothing. */
struct dtb {
	void *fdt;
	int err;
};

static void dtb_check(struct dtb *d, int r)
{
	if (r < 0 && !d->err)
		d->err = r;
}

static void dtb_begin(struct dtb *d, const char *name)
{
	if (!d->err)
		dtb_check(d, fdt_begin_node(d->fdt, name));
}

static void dtb_begin_at(struct dtb *d, const char *name, u64 addr)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s@%" PRIx64, name, addr);
	dtb_begin(d, buf);
}

static void dtb_end(struct dtb *d)
{
	if (!d->err)
		dtb_check(d, fdt_end_node(d->fdt));
}

static void dtb_prop(struct dtb *d, const char *name, const void *val, int len)
{
	if (!d->err)
		dtb_check(d, fdt_property(d->fdt, name, val, len));
}

static void dtb_u32(struct dtb *d, const char *name, u32 v)
{
	fdt32_t c = cpu_to_fdt32(v);

	dtb_prop(d, name, &c, sizeof(c));
}

static void dtb_u64(struct dtb *d, const char *name, u64 v)
{
	fdt64_t c = cpu_to_fdt64(v);

	dtb_prop(d, name, &c, sizeof(c));
}

static void dtb_str(struct dtb *d, const char *name, const char *s)
{
	if (!d->err)
		dtb_check(d, fdt_property_string(d->fdt, name, s));
}

/* A string list: pass it with its embedded NULs and its full size. */
static void dtb_strs(struct dtb *d, const char *name, const char *s, int len)
{
	dtb_prop(d, name, s, len);
}

static void dtb_cells(struct dtb *d, const char *name, const u32 *v, int n)
{
	fdt32_t c[16];

	for (int i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(v[i]);
	dtb_prop(d, name, c, n * (int)sizeof(c[0]));
}

/* reg with the root's 2 address and 2 size cells, one or two ranges. */
static void dtb_reg(struct dtb *d, u64 base0, u64 size0, u64 base1, u64 size1)
{
	const u32 v[] = { base0 >> 32, (u32)base0, size0 >> 32, (u32)size0,
			  base1 >> 32, (u32)base1, size1 >> 32, (u32)size1 };

	dtb_cells(d, "reg", v, size1 ? 8 : 4);
}

static void dtb_cpus(struct dtb *d, const struct dtb_info *info)
{
	bool aff3 = false;

	for (u32 i = 0; i < info->nr_cpus; i++)
		aff3 |= (info->mpidr[i] >> 32) & 0xff;

	dtb_begin(d, "cpus");
	/* arm/cpus.yaml: reg is MPIDR's affinity fields; Aff3 needs a second cell. */
	dtb_u32(d, "#address-cells", aff3 ? 2 : 1);
	dtb_u32(d, "#size-cells", 0);
	for (u32 i = 0; i < info->nr_cpus; i++) {
		u64 hwid = info->mpidr[i] & 0xff00ffffffULL;

		dtb_begin_at(d, "cpu", hwid);
		dtb_str(d, "device_type", "cpu");
		dtb_str(d, "compatible", "arm,armv8");
		dtb_str(d, "enable-method", "psci");
		if (aff3) {
			const u32 reg[] = { hwid >> 32, (u32)hwid };

			dtb_cells(d, "reg", reg, 2);
		} else {
			dtb_u32(d, "reg", (u32)hwid);
		}
		dtb_end(d);
	}
	dtb_end(d);
}

static void dtb_psci(struct dtb *d)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	dtb_begin(d, "psci");
	dtb_strs(d, "compatible", compat, sizeof(compat));
	/* KVM implements PSCI as hypercalls (api.rst KVM_ARM_VCPU_PSCI_0_2). */
	dtb_str(d, "method", "hvc");
	dtb_end(d);
}

/* On GICv2 a PPI names the cpus it reaches (a mask in flags bits 8-15). */
static u32 ppi_flags(const struct dtb_info *info)
{
	if (info->gic_version == 2)
		return IRQ_TYPE_LEVEL_HIGH | ((1u << info->nr_cpus) - 1) << 8;
	return IRQ_TYPE_LEVEL_HIGH;
}

static void dtb_timer(struct dtb *d, const struct dtb_info *info)
{
	u32 f = ppi_flags(info);
	const u32 irqs[] = {
		GIC_FDT_PPI, DTB_TIMER_PPI_SEC, f, GIC_FDT_PPI, DTB_TIMER_PPI_PHYS, f,
		GIC_FDT_PPI, DTB_TIMER_PPI_VIRT, f, GIC_FDT_PPI, DTB_TIMER_PPI_HYP, f,
	};

	dtb_begin(d, "timer");
	dtb_str(d, "compatible", "arm,armv8-timer");
	dtb_cells(d, "interrupts", irqs, ARRAY_SIZE(irqs));
	dtb_prop(d, "always-on", NULL, 0);
	dtb_end(d);
}

/* pmu.yaml: one PPI, the same on every cpu. */
static void dtb_pmu(struct dtb *d, const struct dtb_info *info)
{
	const u32 irq[] = { GIC_FDT_PPI, info->pmu_ppi - 16, ppi_flags(info) };

	dtb_begin(d, "pmu");
	dtb_str(d, "compatible", "arm,armv8-pmuv3");
	dtb_cells(d, "interrupts", irq, ARRAY_SIZE(irq));
	dtb_end(d);
}

static void dtb_gic(struct dtb *d, const struct dtb_info *info)
{
	dtb_begin_at(d, "intc", info->gic_dist_base);
	if (info->gic_version == 3) {
		dtb_str(d, "compatible", "arm,gic-v3");
		dtb_u32(d, "#redistributor-regions", 1);
	} else {
		dtb_str(d, "compatible", "arm,cortex-a15-gic");
	}
	dtb_u32(d, "#interrupt-cells", 3);
	/* No children, but dtc wants address cells on interrupt providers. */
	dtb_u32(d, "#address-cells", GIC_ADDRESS_CELLS);
	dtb_u32(d, "#size-cells", 2);
	dtb_prop(d, "interrupt-controller", NULL, 0);
	dtb_reg(d, info->gic_dist_base, info->gic_dist_size, info->gic_cpu_base,
		info->gic_cpu_size);
	dtb_u32(d, "phandle", GIC_PHANDLE);
	if (info->gic_version == 3 && info->gic_its_size) {
		/* Children in the parent's address space: an empty ranges. */
		dtb_prop(d, "ranges", NULL, 0);
		dtb_begin_at(d, "its", info->gic_its_base);
		dtb_str(d, "compatible", "arm,gic-v3-its");
		dtb_prop(d, "msi-controller", NULL, 0);
		dtb_u32(d, "#msi-cells", 1);
		dtb_reg(d, info->gic_its_base, info->gic_its_size, 0, 0);
		dtb_u32(d, "phandle", ITS_PHANDLE);
		dtb_end(d);
	}
	dtb_end(d);
}

/*
 * The power key: a PL061 (an AMBA PrimeCell, so it needs its "apb_pclk")
 * and a gpio-keys node whose pin reports KEY_POWER, as QEMU's virt machine
 * has it; Linux's gpio-keys turns the press into an input event.
 */
static void dtb_power_key(struct dtb *d, const struct dtb_info *info)
{
	static const char compat[] = "arm,pl061\0arm,primecell";
	const u32 irq[] = { GIC_FDT_SPI, info->gpio_spi, IRQ_TYPE_LEVEL_HIGH };
	const u32 gpios[] = { GPIO_PHANDLE, info->power_key_pin, 0 /* active high */ };

	dtb_begin(d, "apb-pclk");
	dtb_str(d, "compatible", "fixed-clock");
	dtb_u32(d, "#clock-cells", 0);
	dtb_u32(d, "clock-frequency", APB_CLK_HZ);
	dtb_str(d, "clock-output-names", "clk24mhz");
	dtb_u32(d, "phandle", APB_CLK_PHANDLE);
	dtb_end(d);

	dtb_begin_at(d, "pl061", info->gpio_base);
	dtb_strs(d, "compatible", compat, sizeof(compat));
	dtb_reg(d, info->gpio_base, info->gpio_size, 0, 0);
	dtb_cells(d, "interrupts", irq, ARRAY_SIZE(irq));
	dtb_prop(d, "gpio-controller", NULL, 0);
	dtb_u32(d, "#gpio-cells", 2);
	dtb_u32(d, "clocks", APB_CLK_PHANDLE);
	dtb_str(d, "clock-names", "apb_pclk");
	dtb_u32(d, "phandle", GPIO_PHANDLE);
	dtb_end(d);

	dtb_begin(d, "gpio-keys");
	dtb_str(d, "compatible", "gpio-keys");
	dtb_begin(d, "poweroff");
	dtb_str(d, "label", "GPIO Key Poweroff");
	dtb_u32(d, "linux,code", KEY_POWER);
	dtb_cells(d, "gpios", gpios, ARRAY_SIZE(gpios));
	dtb_end(d);
	dtb_end(d);
}

static void dtb_devices(struct dtb *d, const struct dtb_info *info)
{
	const u32 uart_irq[] = { GIC_FDT_SPI, info->uart_spi, IRQ_TYPE_LEVEL_HIGH };

	dtb_begin_at(d, "serial", info->uart_base);
	dtb_str(d, "compatible", "ns16550a");
	dtb_reg(d, info->uart_base, info->uart_size, 0, 0);
	dtb_cells(d, "interrupts", uart_irq, ARRAY_SIZE(uart_irq));
	dtb_u32(d, "clock-frequency", info->uart_clock);
	dtb_u32(d, "reg-shift", 0);
	dtb_u32(d, "reg-io-width", 1);
	dtb_end(d);

	for (u32 i = 0; i < info->nr_virtio && i < DTB_MAX_VIRTIO; i++) {
		const struct dtb_virtio_mmio *v = &info->virtio[i];
		const u32 irq[] = { GIC_FDT_SPI, v->spi, IRQ_TYPE_EDGE_RISING };

		dtb_begin_at(d, "virtio_mmio", v->base);
		dtb_str(d, "compatible", "virtio,mmio");
		dtb_reg(d, v->base, v->size, 0, 0);
		dtb_cells(d, "interrupts", irq, ARRAY_SIZE(irq));
		dtb_prop(d, "dma-coherent", NULL, 0);
		dtb_end(d);
	}
	if (info->pvpanic_size) {
		dtb_begin_at(d, "pvpanic", info->pvpanic_base);
		dtb_str(d, "compatible", "qemu,pvpanic-mmio");
		dtb_reg(d, info->pvpanic_base, info->pvpanic_size, 0, 0);
		dtb_end(d);
	}
	if (info->gpio_size)
		dtb_power_key(d, info);
}

/*
 * Linux's pci-host-generic driver: config space through ECAM, BARs in
 * "ranges" (it assigns them itself), INTx from interrupt-map. The mask
 * keeps all five device bits: each of the 32 slots has its own SPIs.
 */
static void dtb_pci(struct dtb *d, const struct dtb_pci_host *pci, bool its)
{
	/* pci-msi.txt: requester ids 0-0xffff are the ITS's device ids 0-0xffff. */
	const u32 msi_map[] = { 0, ITS_PHANDLE, 0, 0x10000 };
	u64 ecam_size = (u64)(pci->bus_end - pci->bus_start + 1) * PCI_ECAM_BUS_SIZE;
	const u32 bus_range[] = { pci->bus_start, pci->bus_end };
	const u32 ranges[] = { PCI_SPACE_MEM32, pci->mem_base >> 32, (u32)pci->mem_base,
			       pci->mem_base >> 32, (u32)pci->mem_base,
			       pci->mem_size >> 32, (u32)pci->mem_size };
	const u32 mask[] = { 0x1f << PCI_DEV_SHIFT, 0, 0, 7 };
	fdt32_t map[PCI_SLOTS * PCI_PINS * PCI_IMAP_CELLS], *m = map;

	for (u32 slot = 0; slot < PCI_SLOTS; slot++) {
		for (u32 pin = 0; pin < PCI_PINS; pin++) {
			const u32 e[PCI_IMAP_CELLS] = {
				slot << PCI_DEV_SHIFT, 0, 0, pin + 1, GIC_PHANDLE, 0, 0,
				GIC_FDT_SPI, pci->intx_spi + (slot + pin) % pci->intx_lines,
				IRQ_TYPE_LEVEL_HIGH,
			};

			for (int i = 0; i < PCI_IMAP_CELLS; i++)
				*m++ = cpu_to_fdt32(e[i]);
		}
	}

	dtb_begin_at(d, "pcie", pci->ecam_base);
	dtb_str(d, "compatible", "pci-host-ecam-generic");
	dtb_str(d, "device_type", "pci");
	dtb_u32(d, "#address-cells", 3);
	dtb_u32(d, "#size-cells", 2);
	dtb_u32(d, "#interrupt-cells", 1);
	dtb_cells(d, "bus-range", bus_range, ARRAY_SIZE(bus_range));
	dtb_reg(d, pci->ecam_base, ecam_size, 0, 0);
	dtb_cells(d, "ranges", ranges, ARRAY_SIZE(ranges));
	dtb_prop(d, "dma-coherent", NULL, 0);
	dtb_cells(d, "interrupt-map-mask", mask, ARRAY_SIZE(mask));
	dtb_prop(d, "interrupt-map", map, sizeof(map));
	if (its)
		dtb_cells(d, "msi-map", msi_map, ARRAY_SIZE(msi_map));
	dtb_end(d);
}

static void dtb_chosen(struct dtb *d, const struct dtb_info *info)
{
	char path[64];

	snprintf(path, sizeof(path), "/serial@%" PRIx64, info->uart_base);
	dtb_begin(d, "chosen");
	if (info->cmdline)
		dtb_str(d, "bootargs", info->cmdline);
	dtb_str(d, "stdout-path", path);
	if (info->initrd_end > info->initrd_start) {
		dtb_u64(d, "linux,initrd-start", info->initrd_start);
		dtb_u64(d, "linux,initrd-end", info->initrd_end);
	}
	if (info->rng_seed_len)
		dtb_prop(d, "rng-seed", info->rng_seed, (int)info->rng_seed_len);
	dtb_end(d);

	dtb_begin(d, "aliases");
	dtb_str(d, "serial0", path);
	dtb_end(d);
}

static bool dtb_pci_ok(const struct dtb_pci_host *pci)
{
	/* One 32-bit memory range: the window must lie below 4 GiB. */
	return pci->bus_start <= pci->bus_end && pci->intx_lines && pci->mem_size &&
	       pci->mem_base + pci->mem_size <= (1ULL << 32) &&
	       pci->mem_base + pci->mem_size > pci->mem_base;
}

int dtb_build(void *buf, size_t size, const struct dtb_info *info)
{
	static const char compat[] = "linux,dummy-virt";
	struct dtb d = { .fdt = buf };

	if (!info->nr_cpus || !info->mpidr ||
	    (info->gic_version != 2 && info->gic_version != 3) ||
	    (info->gic_version == 2 && info->nr_cpus > 8) || size > INT32_MAX)
		return -EINVAL;
	if (info->pci && !dtb_pci_ok(info->pci))
		return -EINVAL;
	if (info->pmu_ppi && (info->pmu_ppi < 16 || info->pmu_ppi > 31))
		return -EINVAL;

	dtb_check(&d, fdt_create(buf, (int)size));
	if (!d.err)
		dtb_check(&d, fdt_finish_reservemap(buf));
	dtb_begin(&d, "");
	dtb_u32(&d, "#address-cells", 2);
	dtb_u32(&d, "#size-cells", 2);
	dtb_strs(&d, "compatible", compat, sizeof(compat));
	dtb_str(&d, "model", "vmm");
	dtb_u32(&d, "interrupt-parent", GIC_PHANDLE);

	dtb_begin_at(&d, "memory", info->ram_base);
	dtb_str(&d, "device_type", "memory");
	dtb_reg(&d, info->ram_base, info->ram_size, 0, 0);
	dtb_end(&d);

	dtb_cpus(&d, info);
	dtb_psci(&d);
	dtb_timer(&d, info);
	if (info->pmu_ppi)
		dtb_pmu(&d, info);
	dtb_gic(&d, info);
	dtb_devices(&d, info);
	if (info->pci)
		dtb_pci(&d, info->pci, info->gic_version == 3 && info->gic_its_size);
	dtb_chosen(&d, info);
	dtb_end(&d);
	if (!d.err)
		dtb_check(&d, fdt_finish(buf));

	if (d.err)
		return d.err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
	return (int)fdt_totalsize(buf);
}
