/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FIRMWARE_FDT_H
#define VMM_FIRMWARE_FDT_H

#include "util/types.h"

/*
 * The flattened device tree that describes a GIC-based machine to Linux
 * (Documentation/devicetree/bindings; Documentation/arm64/booting.rst).
 * Pure: it writes a blob from the facts below and knows nothing of KVM.
 */

#define DTB_MAX_SIZE		(64 * KiB)	/* what the builder may need */

/* Arch timer PPIs (interrupt id - 16), in the binding's order. */
#define DTB_TIMER_PPI_SEC	13
#define DTB_TIMER_PPI_PHYS	14
#define DTB_TIMER_PPI_VIRT	11
#define DTB_TIMER_PPI_HYP	10

#define DTB_MAX_VIRTIO		16

struct dtb_virtio_mmio {
	u64 base, size;
	u32 spi;			/* edge-rising: one edge per notification */
};

/*
 * A generic ECAM PCI host (pci/host-generic-pci.yaml): one 32-bit memory
 * window, identity mapped (CPU address = PCI address), no I/O window, no
 * MSI controller. Every slot and pin is routed to a level-high SPI.
 */
struct dtb_pci_host {
	u64 ecam_base;			/* config space of bus_start, 1 MiB per bus */
	u8 bus_start, bus_end;
	u64 mem_base, mem_size;		/* below 4 GiB */
	/* Slot s, pin p (0 = INTA#): SPI intx_spi + (s + p) % intx_lines. */
	u32 intx_spi;
	u32 intx_lines;
};

struct dtb_info {
	u64 ram_base, ram_size;

	u32 nr_cpus;
	const u64 *mpidr;		/* MPIDR_EL1 of each cpu, nr_cpus of them */

	u32 gic_version;		/* 2 or 3 */
	u64 gic_dist_base, gic_dist_size;
	/* v3: the redistributor region; v2: the CPU interface. */
	u64 gic_cpu_base, gic_cpu_size;
	/* v3: an ITS for PCI MSIs (requester id = device id); size 0: none. */
	u64 gic_its_base, gic_its_size;

	u32 pmu_ppi;			/* the PMU's interrupt id (16-31); 0: no PMU node */

	u64 uart_base, uart_size;	/* an ns16550a with byte-wide registers */
	u32 uart_spi;			/* SPI number (interrupt id - 32) */
	u32 uart_clock;			/* Hz */

	u64 pvpanic_base, pvpanic_size;	/* size 0: no pvpanic-mmio node */
	/*
	 * A PL061 GPIO (arm,pl061 with its APB clock) whose input pin
	 * power_key_pin is a gpio-keys KEY_POWER, as on QEMU's virt machine.
	 * gpio_size 0: neither node.
	 */
	u64 gpio_base, gpio_size;
	u32 gpio_spi;			/* level-high */
	u32 power_key_pin;
	const struct dtb_pci_host *pci;	/* NULL: no PCI host node */

	const struct dtb_virtio_mmio *virtio;	/* "virtio,mmio" nodes */
	u32 nr_virtio;
	const char *cmdline;		/* NULL: no bootargs */
	u64 initrd_start, initrd_end;	/* equal: no initrd */
	const u8 *rng_seed;		/* optional /chosen/rng-seed */
	size_t rng_seed_len;
};

/*
 * Write the blob into buf. Returns its size, -ENOSPC if @size is too small,
 * -EINVAL for impossible facts (no cpus, GIC version, > 8 cpus on GICv2, a
 * PCI window above 4 GiB or no INTx lines, a PMU interrupt that is no PPI).
 */
int dtb_build(void *buf, size_t size, const struct dtb_info *info);

#endif
