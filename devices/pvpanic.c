// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/pvpanic.h"
#include "kvm/kvm.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

/*
 * Linux's pvpanic drivers read the capability register when they probe:
 * from then on the guest reports panics here, and (--panic-watch auto) the
 * console's panic line, which any guest program can print, no longer counts.
 */
void pvpanic_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		bool is_write, void *opaque)
{
	struct vm *vm = vcpu->vm;

	if (!is_write) {
		memset(data, 0, len);
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
		atomic_store(&vm->pvpanic_probed, true);
		return;
	}
	if (data[0] & PVPANIC_PANICKED) {
		if (!vm->cfg || vm->cfg->panic_watch != VM_PANIC_WATCH_OFF)
			vm_request_stop(vm, VM_STOP_PANIC);
		else
			log_ratelimited(log_info, "guest panicked (pvpanic); --panic-watch off");
	} else if (data[0] & PVPANIC_CRASH_LOADED) {
		log_ratelimited(log_info, "guest is loading a crash kernel (pvpanic)");
	}
}

void null_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
	     bool is_write, void *opaque)
{
	if (!is_write)
		memset(data, 0, len);
}
