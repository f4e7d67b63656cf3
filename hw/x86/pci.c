// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's PCI host: configuration mechanism #1 at 0xcf8/0xcfc, MMCONFIG
 * (ECAM) for bus 0, a 32-bit BAR window in the hole below 4 GiB, and INTx
 * on IOAPIC pins 16-23 (what the DSDT's _PRT says).
 */
#include <errno.h>

#include "devices/pci.h"
#include "hw/x86/layout.h"
#include "hw/x86/pci.h"
#include "hw/x86/power.h"
#include "kvm/kvm.h"

/* 0xcf9 as a byte is the reset register; everything else is PCI's. */
static void x86_pci_port_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
			    bool is_write, void *opaque)
{
	if (offset == X86_RESET_PORT - X86_PCI_CAM_PORT && len == 1)
		x86_reset_cf9_io(vcpu, 0, data, len, is_write, NULL);
	else
		pci_cam_io(vcpu, offset, data, len, is_write, opaque);
}

int x86_pci_init(struct vm *vm)
{
	struct pci_bus_info info = {
		.ecam_base = X86_PCI_ECAM_BASE,
		.mem_base = X86_PCI_MEM_BASE,
		.mem_size = X86_PCI_MEM_SIZE,
	};
	int r;

	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++)
		info.intx_gsi[s] = info.intx_line[s] = X86_PCI_INTX_GSI + s % X86_PCI_INTX_LINES;
	vm->pci = pci_bus_create(vm, &info);
	if (!vm->pci)
		return -ENOMEM;
	r = pci_bus_register(vm->pci);
	if (!r)
		r = bus_register(vm, BUS_PIO, X86_PCI_CAM_PORT, 8, x86_pci_port_io, vm->pci,
				 "pci-cam");
	return r;
}
