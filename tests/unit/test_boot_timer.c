// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>

#include "devices/boot_timer.h"
#include "kvm/kvm.h"
#include "test.h"
#include "util/clock.h"
#include "vcpu/vcpu.h"

/* What boot_timer_io() logs for one access, read back from stderr. */
static void access_log(struct vcpu *vcpu, u64 off, u8 val, bool is_write, char *out, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	u8 data[4] = { val, 0xaa, 0xaa, 0xaa };
	size_t n;

	fflush(stderr);
	dup2(fileno(f), 2);
	boot_timer_io(vcpu, off, data, is_write ? 1 : 4, is_write, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
	if (!is_write)
		snprintf(out + n, len - n, "%s", data[0] || data[3] ? "read-nonzero" : "");
}

TEST(boot_timer_logs_the_magic_write_and_nothing_else)
{
	static struct vm vm;
	struct vcpu vcpu = { .vm = &vm };
	char out[256];

	clock_mark_start();
	vm.run_start_ns = clock_now_ns();
	access_log(&vcpu, 0, 7, true, out, sizeof(out));
	TEST_ASSERT(!out[0], "a write of 7 logged '%s'", out);
	access_log(&vcpu, 1, BOOT_TIMER_MAGIC, true, out, sizeof(out));
	TEST_ASSERT(!out[0], "a write at offset 1 logged '%s'", out);
	access_log(&vcpu, 0, 0, false, out, sizeof(out));
	TEST_ASSERT(!out[0], "a read: '%s'", out);
	access_log(&vcpu, 0, BOOT_TIMER_MAGIC, true, out, sizeof(out));
	TEST_ASSERT(strstr(out, "guest boot-time marker: ") && strstr(out, " ms after vmm started, ") &&
		    strstr(out, " ms after its vcpus started"), "'%s'", out);
}
