/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_EXEC_STATUS_H
#define VMM_DEVICES_EXEC_STATUS_H

#include "run/exec_proto.h"
#include "util/types.h"

struct vcpu;

/*
 * The --exec status register (run/exec_proto.h): the guest's init writes
 * EXEC_STATUS(kind, code) once CMD has ended, and the VM stops with
 * VM_STOP_EXEC_STATUS, the value in vm->exec_status. Only the first valid
 * write counts; reads give 0; anything else is ignored. A register, not a
 * console line: nothing a guest program prints can fake it. Machines map
 * it (EXEC_STATUS_SIZE bytes) only under --exec.
 */
void exec_status_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		    void *opaque);

#endif
