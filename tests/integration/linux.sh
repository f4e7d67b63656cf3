#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# A real Debian kernel. Early boot everywhere: vmm must get it to print
# "Linux version", our command line and an e820 map identical to vmm's.
# A full boot to a busybox shell only where the host can run one.
. "$(dirname "$0")/../lib.sh"

EARLY_BOUND_S=${EARLY_BOUND_S:-60}	# measured here: 21 s (PVH entry)

# VMM_TEST_KERNEL, VMM_TEST_INITRD: given by tests/nested.sh, whose outer
# machine has neither apt nor the tools to build them.
if [ -n "$VMM_TEST_KERNEL" ]; then
	kernel=$VMM_TEST_KERNEL
elif ! kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud 2>"$WORK/fetch.err"); then
	skip linux_early_boot "cannot fetch the Debian kernel: $(head -n 1 "$WORK/fetch.err")"
	skip linux_full_boot "cannot fetch the Debian kernel"
	exit 0
fi

# wait_for FILE PATTERN SECONDS PID: 0 when PATTERN shows up in time.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null; return; }
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

start=$(now_ms)
"$VMM" run --debug -k "$kernel" -m 256 --timeout 300 -p "vmm_smoke_marker=42" \
	</dev/null >"$WORK/early.out" 2>"$WORK/early.err" &
pid=$!
if wait_for "$WORK/early.out" "BIOS-e820.*0x0*fffffff\] usable" "$EARLY_BOUND_S" $pid; then
	ms=$(( $(now_ms) - start ))
	sleep 0.2
	kill -TERM $pid; wait $pid; rc=$?
	want_cmdline=$(sed -n 's/^vmm: debug: kernel command line: //p' "$WORK/early.err")
	got_cmdline=$(sed -n 's/^\[ *[0-9.]*\] Command line: //p' "$WORK/early.out" | tr -d '\r')
	sed -n 's/^vmm: debug: e820: //p' "$WORK/early.err" >"$WORK/want.e820"
	sed -n 's/^\[ *[0-9.]*\] BIOS-e820: //p' "$WORK/early.out" | tr -d '\r' >"$WORK/got.e820"
	if ! grep -q "Linux version" "$WORK/early.out"; then
		fail linux_early_boot "no 'Linux version'"
	elif [ -z "$want_cmdline" ] || [ "$want_cmdline" != "$got_cmdline" ]; then
		fail linux_early_boot "command line differs: vmm '$want_cmdline' kernel '$got_cmdline'"
	elif [ ! -s "$WORK/want.e820" ] || ! cmp -s "$WORK/want.e820" "$WORK/got.e820"; then
		fail linux_early_boot "e820 differs: vmm $(cat "$WORK/want.e820") kernel $(cat "$WORK/got.e820")"
	elif [ $rc != 143 ]; then
		fail linux_early_boot "exit $rc after SIGTERM, expected 143"
	else
		pass linux_early_boot "Linux version, command line and $(wc -l <"$WORK/got.e820") e820 entries in $ms ms"
	fi
else
	kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
	fail linux_early_boot "no e820 map within ${EARLY_BOUND_S}s: $(tail -c 400 "$WORK/early.out")"
fi

# A stock x86 Linux needs real VT-x/AMD-V: on a software nested KVM guest
# ring 0 is emulated and dies on cmpxchg16b/xsave (see README, Limits).
if ! grep -q -w -E 'vmx|svm' /proc/cpuinfo; then
	skip linux_full_boot "no VT-x/AMD-V on this host (software nested KVM): a full x86 Linux cannot boot here; tests/integration/x86_nested.sh boots it under QEMU's emulated SVM instead"
	exit 0
fi
if [ -n "$VMM_TEST_INITRD" ]; then
	initrd=$VMM_TEST_INITRD
elif ! initrd=$(sh "$TOP/guest/mkinitramfs.sh" "$kernel" 2>"$WORK/initrd.err"); then
	fail linux_full_boot "cannot build the initramfs: $(head -n 2 "$WORK/initrd.err")"
	exit 0
fi
VMM_HARD_TIMEOUT=300 run_vmm "$WORK/full.out" "$WORK/full.err" run -k "$kernel" -i "$initrd" \
	-m 512 -c 2 --timeout 240 --no-reboot -p "quiet"
if [ $rc = 0 ] && grep -q "VMM-INIT: cpus=2" "$WORK/full.out" &&
   grep -q "VMM-INIT: done" "$WORK/full.out"; then
	pass linux_full_boot "busybox init ran with 2 cpus and powered off"
else
	fail linux_full_boot "exit $rc: $(tail -c 600 "$WORK/full.out")"
fi
