// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/exec_status.h"
#include "kvm/kvm.h"
#include "run/exec_proto.h"
#include "vcpu/vcpu.h"

void exec_status_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len, bool is_write,
		    void *opaque)
{
	struct vm *vm = vcpu->vm;
	u32 v, none = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (offset || len != EXEC_STATUS_SIZE)
		return;
	memcpy(&v, data, sizeof(v));
	if ((v & 0xffff0000u) != EXEC_STATUS_MAGIC || (v >> 8 & 0xff) > EXEC_STATUS_INIT_FAILED)
		return;
	if (atomic_compare_exchange_strong(&vm->exec_status, &none, v))
		vm_request_stop(vm, VM_STOP_EXEC_STATUS);
}
