/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_ARM64_LAYOUT_H
#define VMM_HW_ARM64_LAYOUT_H

/*
 * The arm64 guest physical memory map: devices below 1 GiB, RAM from 2 GiB.
 *
 *   0x0800_0000  GIC distributor                          64 KiB
 *   0x0801_0000  GICv2 CPU interface (v2 only)            8 KiB
 *   0x0900_0000  8250 UART (ns16550a, byte registers)     4 KiB   SPI 1
 *   0x0900_1000  pvpanic-mmio                             2 bytes
 *   0x0900_2000  boot-time marker (write 123)             4 KiB
 *   0x0900_3000  PL061 GPIO: the power key on pin 3       4 KiB   SPI 2
 *   0x0900_4000  --exec status register                   4 bytes
 *   0x0a00_0000  virtio-mmio windows (reserved)           16 MiB  SPI 16+
 *   0x0c00_0000  GICv3 redistributors, 128 KiB per vcpu   64 MiB (512 vcpus)
 *   0x1000_0000  PCI MMIO window (reserved)               768 MiB
 *   0x4000_0000  nothing (keeps 1-2 GiB free for growth)
 *   0x8000_0000  RAM: kernel at the start (+ text_offset), initrd and
 *                FDT at the top
 *
 * IRQ numbers: devices get SPIs; KVM_IRQ_LINE wants the GIC interrupt id
 * (SPI + 32) with the type in bits 24-27 (arm64_spi_irq() in machine.h),
 * while irqfd GSIs are SPI numbers (KVM's default arm64 routing).
 */
#include "util/types.h"

#define ARM64_GIC_DIST_BASE	0x08000000ULL
#define ARM64_GIC_DIST_SIZE	0x10000ULL	/* KVM_VGIC_V3_DIST_SIZE */
#define ARM64_GIC_V2_DIST_SIZE	0x1000ULL	/* KVM_VGIC_V2_DIST_SIZE */
#define ARM64_GIC_CPU_BASE	0x08010000ULL
#define ARM64_GIC_CPU_SIZE	0x2000ULL	/* KVM_VGIC_V2_CPU_SIZE */
#define ARM64_GIC_ITS_BASE	0x08080000ULL	/* GICv3 ITS, for MSIs from PCI */
#define ARM64_GIC_ITS_SIZE	0x20000ULL	/* KVM_VGIC_V3_ITS_SIZE */
#define ARM64_GIC_REDIST_BASE	0x0c000000ULL
#define ARM64_GIC_REDIST_LIMIT	0x10000000ULL
#define ARM64_GIC_REDIST_SIZE	0x20000ULL	/* per vcpu: RD_base + SGI_base */
#define ARM64_GIC_NR_IRQS	128		/* 32 private + 96 SPIs */

/* --pmu: the PMU overflow interrupt, a PPI (interrupt id 23, as QEMU's virt). */
#define ARM64_PMU_PPI		23

#define ARM64_UART_BASE		0x09000000ULL
#define ARM64_UART_SIZE		0x1000ULL
#define ARM64_UART_SPI		1
#define ARM64_UART_CLOCK	1843200		/* the classic 1.8432 MHz */

#define ARM64_PVPANIC_BASE	0x09001000ULL
#define ARM64_PVPANIC_SIZE	2

#define ARM64_BOOT_TIMER_BASE	0x09002000ULL	/* devices/boot_timer.h */
#define ARM64_BOOT_TIMER_SIZE	0x1000ULL

#define ARM64_GPIO_BASE		0x09003000ULL	/* devices/pl061.h */
#define ARM64_GPIO_SPI		2
#define ARM64_POWER_KEY_PIN	3		/* as QEMU's virt machine */

#define ARM64_EXEC_STATUS_BASE	0x09004000ULL	/* devices/exec_status.h */

#define ARM64_VIRTIO_MMIO_BASE	0x0a000000ULL
#define ARM64_VIRTIO_MMIO_SIZE	0x01000000ULL
#define ARM64_VIRTIO_SPI_BASE	16

#define ARM64_PCI_MEM_BASE	0x10000000ULL	/* 32-bit BAR window */
#define ARM64_PCI_MEM_SIZE	0x20000000ULL
#define ARM64_PCI_ECAM_BASE	0x30000000ULL	/* bus 0 only: PCI_ECAM_SIZE */
#define ARM64_PCI_INTX_SPI	64		/* slot s: INTA# on SPI 64 + s, level */

#define ARM64_RAM_BASE		0x80000000ULL

/* booting.rst: the DTB is 8-byte aligned, at most 2 MiB, in its own 2 MiB block. */
#define ARM64_FDT_MAX		(2 * MiB)
/* The kernel and its text_offset sit on a 2 MiB-aligned base. */
#define ARM64_KERNEL_ALIGN	(2 * MiB)

#endif
