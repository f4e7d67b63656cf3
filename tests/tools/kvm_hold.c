// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hold: keep one idle VM (with an in-kernel irqchip and one vcpu that
 * never runs) until killed.
 *
 * Why: creating the first VM and destroying the last one flips static keys
 * in the host kernel (KVM's preempt notifiers in __schedule, the LAPIC's
 * "software disabled" key), and every flip is live patching of kernel text
 * with int3. QEMU's multi-threaded TCG has been seen here to freeze on that
 * patching (both emulated CPUs looping in asm_exc_int3 / __schedule).
 * tests/nested.sh runs hundreds of short VMs in one emulated machine; with
 * this VM alive the counts never reach zero, so the text is not patched.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm, vcpu;

	if (kvm < 0) {
		fprintf(stderr, "kvm_hold: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		fprintf(stderr, "kvm_hold: cannot create a VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "kvm_hold: cannot create a vcpu: %s\n", strerror(errno));
		return 1;
	}
	for (;;)
		pause();
}
