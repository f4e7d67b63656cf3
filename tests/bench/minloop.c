// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline for the exit-cost benchmark: the least a VMM can do per exit.
 * It builds the same machine as vmm (same loader, same guest) but runs one
 * vcpu in a bare KVM_RUN loop: COM1 bytes go straight to stdout, every other
 * port or MMIO access is ignored (reads give 0), PM1a control ends the run.
 *
 *	minloop [cmdline]     boots the built-in test guest
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/x86/layout.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "vcpu/vcpu.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	struct vcpu vcpu = { .vm = &vm };
	struct kvm_run *run;
	bool dlab = false;	/* COM1 LCR bit 7: 0x3f8 is the divisor then */

	config_defaults(&cfg);
	cfg.cmdline = argc > 1 ? argv[1] : NULL;
	if (vm_open(&vm, &cfg) || arch_vm_init(&vm) || arch_load_kernel(&vm))
		return 1;
	vcpu.fd = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, vm.vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.fd, 0);
	if (vcpu.fd < 0 || run == MAP_FAILED)
		return 1;
	vcpu.run = run;
	if (arch_vcpu_init(&vcpu))
		return 1;

	for (;;) {
		if (ioctl(vcpu.fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("KVM_RUN");
			return 1;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			u8 *data = (u8 *)run + run->io.data_offset;

			if (getenv("MINLOOP_TRACE"))
				fprintf(stderr, "io %s 0x%x\n", run->io.direction ? "out" : "in",
					run->io.port);

			if (run->io.direction == KVM_EXIT_IO_OUT) {
				if (run->io.port == X86_COM1_PORT + 3)
					dlab = data[0] & 0x80;
				else if (run->io.port == X86_COM1_PORT && !dlab)
					fwrite(data, run->io.size, run->io.count, stdout);
				else if (run->io.port == X86_PM1A_CNT)
					return 0;
			} else {
				/* LSR reads must say "transmitter empty" */
				memset(data, run->io.port == X86_COM1_PORT + 5 ? 0x60 : 0,
				       run->io.size * run->io.count);
			}
			break;
		}
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			break;
		default:
			fprintf(stderr, "minloop: exit %u\n", run->exit_reason);
			return 1;
		}
	}
}
