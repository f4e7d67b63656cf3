// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/pvpanic.h"
#include "kvm/kvm.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

void pvpanic_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		bool is_write, void *opaque)
{
	if (!is_write) {
		memset(data, 0, len);
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
		return;
	}
	if (data[0] & PVPANIC_PANICKED) {
		vm_request_stop(vcpu->vm, VM_STOP_PANIC);
	} else if (data[0] & PVPANIC_CRASH_LOADED) {
		log_info("guest is loading a crash kernel (pvpanic)");
	}
}

void null_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
	     bool is_write, void *opaque)
{
	if (!is_write)
		memset(data, 0, len);
}
