/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_HW_X86_PCI_H
#define VMM_HW_X86_PCI_H

struct vm;

/* Create vm->pci and put its ports and windows on the buses. */
int x86_pci_init(struct vm *vm);

#endif
