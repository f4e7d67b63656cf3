/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_LAYOUT_H
#define VMM_HW_X86_LAYOUT_H

/*
 * The x86 guest physical memory map. Low memory follows the PC layout that
 * Linux expects; everything vmm writes for the guest lives below 1 MiB.
 */
#define X86_GDT_ADDR		0x0500ULL	/* boot GDT (vmm's long mode entry) */
#define X86_BOOT_PARAMS_ADDR	0x7000ULL	/* struct boot_params, "zero page" */
#define X86_PVH_START_INFO_ADDR	0x6000ULL	/* struct hvm_start_info (PVH entry) */
#define X86_MB_INFO_ADDR	0x6000ULL	/* or the multiboot information (8 KiB) */
#define X86_PML4_ADDR		0x9000ULL	/* identity page tables: PML4, PDPT, */
#define X86_PDPT_ADDR		0xa000ULL	/* then 4 page directories mapping */
#define X86_PD_ADDR		0xb000ULL	/* the low 4 GiB with 2 MiB pages */
#define X86_CMDLINE_ADDR	0x20000ULL	/* kernel command line */
#define X86_CMDLINE_MAX		0x10000ULL
#define X86_EBDA_START		0x9fc00ULL	/* MP table lives here */
#define X86_EBDA_SIZE		0x400ULL
#define X86_VGA_START		0xa0000ULL	/* legacy hole, not RAM in e820 */
#define X86_BIOS_START		0xe0000ULL	/* ACPI tables (RSDP searched here) */
#define X86_BIOS_END		0x100000ULL
#define X86_HIMEM_START		0x100000ULL	/* kernels load at or above 1 MiB */

#define X86_MMIO_HOLE_START	0xc0000000ULL	/* RAM above this moves above 4 GiB */
#define X86_MMIO_HOLE_END	0x100000000ULL
#define X86_PCI_MEM_BASE	0xc0000000ULL	/* 32-bit BAR window */
#define X86_PCI_MEM_SIZE	0x10000000ULL
#define X86_PCI_ECAM_BASE	0xe0000000ULL	/* MMCONFIG for bus 0 (1 MiB), e820-reserved */
#define X86_PCI_INTX_GSI	16		/* slot s: INTA# on IOAPIC pin 16 + s % 8 */
#define X86_PCI_INTX_LINES	8
#define X86_TSS_ADDR		0xfffbd000ULL	/* 3 pages for KVM_SET_TSS_ADDR */
#define X86_IDENTITY_MAP_ADDR	0xfffbc000ULL	/* 1 page, KVM_SET_IDENTITY_MAP_ADDR */
#define X86_IOAPIC_ADDR		0xfec00000ULL
#define X86_LAPIC_ADDR		0xfee00000ULL
#define X86_NULL_MMIO_ADDR	0xd0000000ULL	/* null device for benchmarks, boot-time marker */
#define X86_NULL_MMIO_SIZE	0x1000ULL
#define X86_VIRTIO_MMIO_BASE	0xd0001000ULL	/* one page per virtio-mmio device */
#define X86_VIRTIO_MMIO_STRIDE	0x1000ULL
#define X86_EXEC_STATUS_ADDR	0xdffff000ULL	/* --exec: devices/exec_status.h */

/* Port I/O map. */
#define X86_COM1_PORT		0x3f8
#define X86_COM1_IRQ		4
#define X86_I8042_PORT		0x60	/* 0x60 data, 0x64 command */
#define X86_POST_PORT		0x80	/* null sink: Linux uses it as an I/O delay */
#define X86_PVPANIC_PORT	0x505
#define X86_PM_BASE		0x600	/* ACPI PM1a event block (4 bytes) */
#define X86_PM1A_EVT		(X86_PM_BASE + 0)
#define X86_PM1A_CNT		(X86_PM_BASE + 4)	/* PM1a control (2 bytes) */
#define X86_PM_SCI_IRQ		9
#define X86_S5_SLP_TYP		5	/* \_S5 package value in the DSDT */
#define X86_RESET_PORT		0xcf9
#define X86_PCI_CAM_PORT	0xcf8	/* 0xcf8 address, 0xcfc-0xcff data */

#endif
