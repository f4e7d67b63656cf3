#!/bin/sh
# make demo: boot a guest on the serial console of this terminal.
# A full Debian Linux with a busybox shell where the host can run one;
# otherwise (software nested KVM, no VT-x/AMD-V) the built-in test guest.
TOP=$(cd "$(dirname "$0")/.." && pwd)
VMM=$TOP/vmm
echo "vmm demo: Ctrl-A x quits, Ctrl-A h helps."
if grep -q -w -E 'vmx|svm' /proc/cpuinfo && kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud) &&
   initrd=$(sh "$TOP/guest/mkinitramfs.sh"); then
	echo "vmm demo: booting Debian's kernel with a busybox shell"
	exec "$VMM" run -k "$kernel" -i "$initrd" -m 512 -c 2 -p "quiet vmm.shell"
fi
echo "vmm demo: this host cannot boot a full x86 Linux (no VT-x/AMD-V: guest ring 0 is emulated here);"
echo "vmm demo: booting the built-in test guest instead (type 'help' at its prompt)"
exec "$VMM" run -c 2 -m 256
