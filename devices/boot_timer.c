// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/boot_timer.h"
#include "kvm/kvm.h"
#include "util/clock.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

void boot_timer_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		   bool is_write, void *opaque)
{
	struct vm *vm = vcpu->vm;
	u64 now = clock_now_ns(), since_start = now - clock_start_ns(), since_run = now - vm->run_start_ns;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (offset || data[0] != BOOT_TIMER_MAGIC)
		return;
	log_ratelimited(log_info, "guest boot-time marker: %llu.%03llu ms after vmm started, %llu.%03llu ms after its vcpus started",
			(unsigned long long)(since_start / 1000000),
			(unsigned long long)(since_start / 1000 % 1000),
			(unsigned long long)(since_run / 1000000),
			(unsigned long long)(since_run / 1000 % 1000));
}
