#!/bin/sh
# x86 end to end: a real Debian x86 Linux under vmm, nested in QEMU.
# This host's /dev/kvm cannot run a stock x86 kernel (ring 0 is emulated), so
# QEMU (TCG, -cpu max: SVM with nested paging) boots Debian's cloud kernel
# with an initramfs whose init loads kvm-amd and runs this tree's ./vmm (and
# the libraries it loads) on the same kernel with guest/mkinitramfs.sh's
# initramfs, twice:
#   pci:  2 vcpus, the default transport (virtio-pci, MSI-X): virtio-blk on
#         the outer's /dev/vda (QEMU's disk, a block device for vmm),
#         virtio-rng, virtio-net on --net user (libslirp, DHCP);
#   mmio: --virtio-transport mmio, the same devices, 1 vcpu;
#   hvc:  --console virtio: a line out through /dev/hvc0 and one typed in;
#   panic: the inner panics (sysrq c): exit 3;
#   button: `vmm shutdown` presses the ACPI power button; Linux's button
#           driver reports it on its input device, the inner powers off: 0;
#   fs:     --fs /shared: the inner mounts it (virtiofs), reads, lists,
#           writes, renames, deletes; the outer sees each change; symlinks
#           out of the share lead into the inner's own tree, never to the
#           outer's /secret-dir;
#   fsro:   the same share with ,ro: writes and deletes refused, nothing
#           changed.
# Each run also checks that Linux binds pvpanic to the DSDT's QEMU0001.
# The inner reads a marker from the disk and writes a line into sector
# vmm.seek=N; after QEMU exits, both lines are looked for in the image here.
# Alone: sh tests/integration/x86_nested.sh. Environment: VMM_CACHE,
# X86_QEMU_TIMEOUT (hard limit, 240 s), X86_LOG (keep the serial log there),
# X86_VERBOSE=1 (full boot logs of both kernels), X86_FS_BENCH=1 (make bench:
# one more run, fsbench, timing a 256 MiB read and a walk of 10,000 files
# through --fs against the outer doing the same directly; its figures are
# printed as "x86: fsbench ..." lines, nothing is checked).
. "$(dirname "$0")/../lib.sh"
QEMU_TIMEOUT=${X86_QEMU_TIMEOUT:-240}
QUIET=quiet
ACCEL=${X86_QEMU_ACCEL:-tcg}
[ -z "$X86_VERBOSE" ] || QUIET=ignore_loglevel	# both kernels' whole boot logs
LOG=${X86_LOG:-$WORK/x86-serial.log}
TESTS="x86_outer_kvm x86_linux_power_button x86_linux_virtio_fs x86_linux_virtio_fs_ro x86_linux_boot_2cpu x86_linux_virtio_pci_functions x86_linux_virtio_pci_msix
x86_linux_virtio_blk_pci x86_linux_virtio_rng x86_linux_virtio_net_user x86_linux_virtio_mmio
x86_linux_virtio_console x86_linux_pvpanic_acpi x86_linux_panic_exit_3 x86_linux_no_firmware_errors
x86_log_clean"
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }
fail_all() { for t in $TESTS; do fail "$t" "$1"; done; exit 1; }

# --- prerequisites: every missing piece is a one-line skip -------------------
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
[ -x "$VMM" ] || fail_all "$VMM is not built"
if ! kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud 2>"$WORK/fetch.err"); then
	skip_all "cannot fetch the Debian kernel: $(head -n 1 "$WORK/fetch.err")"
fi
moddir=$(ls -d "$(dirname "$kernel")"/../lib/modules/*/ | head -n 1)
if ! inner=$(sh "$TOP/guest/mkinitramfs.sh" "$kernel" 2>"$WORK/initrd.err"); then
	fail_all "cannot build the inner initramfs: $(head -n 1 "$WORK/initrd.err")"
fi

# --- the outer initramfs: busybox, kvm-amd, vmm and its libraries -----------
root=$WORK/outer
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
bb=/bin/busybox
[ -x "$bb" ] || bb=$(command -v busybox) || fail_all "busybox-static is not installed"
cp "$bb" "$root/bin/busybox"
for c in sh mount echo cat grep insmod poweroff sleep sync ip mkfifo cut tr mkdir ln ls dd find xargs stat wc seq; do
	ln -s busybox "$root/bin/$c"
done
if ! sh "$TOP/guest/kmods.sh" "$moddir" "$root/lib/modules" kvm-amd virtio_pci virtio_blk \
		2>"$WORK/kmods.err"; then
	fail_all "cannot collect the outer's modules: $(head -n 1 "$WORK/kmods.err")"
fi
cp "$VMM" "$root/bin/vmm"
# One idle VM for the whole session (see tests/tools/kvm_hold.c).
[ ! -x "$TOP/build/x86/kvm_hold" ] || cp "$TOP/build/x86/kvm_hold" "$root/bin/kvm_hold"
cp "$kernel" "$root/vmlinuz"
cp "$inner" "$root/inner.cpio.gz"
root_add_libs "$root" "$VMM" $(slirp_lib)
echo "$QUIET" >"$root/quiet"
[ -z "$X86_FS_BENCH" ] || touch "$root/fsbench"
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/load); do
	insmod /lib/modules/$m.ko || echo "OUTER: insmod $m failed"
done
echo	# past the firmware's escape sequences
[ -c /dev/kvm ] && echo "OUTER: kvm=yes" || echo "OUTER: kvm=no"
[ ! -x /bin/kvm_hold ] || /bin/kvm_hold &
ip link set lo up
# A heartbeat: a session that prints nothing for long has a frozen machine,
# not a stuck vmm (whose watchdog below would speak).
(while sleep 5; do echo "OUTER: tick"; done) &
sleep 0.5	# let virtio-blk probe
# A vmm still there 30 s after its --timeout: say where its threads are, kill it.
watchdog() {
	sleep 90
	kill -0 $1 2>/dev/null || return 0
	echo "OUTER: run $2 stuck"
	for t in /proc/$1/task/*; do
		echo "OUTER: stuck $(cat $t/comm) wchan=$(cat $t/wchan) $(tr '\n' ' ' <$t/stack 2>/dev/null | cut -c 1-300)"
	done
	kill -9 $1
}
run() {
	name=$1
	shift
	echo "OUTER: run $name start"
	/bin/vmm run -k /vmlinuz -i /inner.cpio.gz -m 256 --no-reboot --timeout 60 "$@" &
	pid=$!
	watchdog $pid $name &
	wd=$!
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
	echo "OUTER: run $name exit=$rc"
}
q=$(cat /quiet)
run pci </dev/null -c 2 -d /dev/vda --rng --net user -p "$q vmm.seek=1"
run mmio </dev/null --virtio-transport mmio -d /dev/vda --rng --net user -p "$q vmm.seek=2"
# hvc: vmm's input is a fifo, written once the inner has hvc0 open.
echo "OUTER: run hvc start"
mkfifo /tmp/in
exec 4<>/tmp/in
/bin/vmm run -k /vmlinuz -i /inner.cpio.gz -m 256 --no-reboot --timeout 60 --console virtio \
	-p "$q" </tmp/in >/tmp/hvc.out 2>&1 &
pid=$!
watchdog $pid hvc &
wd=$!
i=0
until grep -q 'ready for input' /tmp/hvc.out || [ $i = 600 ] || ! kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
echo typed-into-vmm >&4
wait $pid
rc=$?
kill $wd 2>/dev/null
cat /tmp/hvc.out
echo "OUTER: run hvc exit=$rc"
run panic </dev/null -p "$q vmm.action=panic"
# fs, fsro: a shared directory, with a way out of it that must lead nowhere.
mkdir -p /shared /secret-dir
echo hello-from-the-outer >/shared/hello.txt
echo >/shared/delete-me.txt
echo HOST-SECRET >/secret-dir/secret
ln -s /secret-dir /shared/out
ln -s .. /shared/up
run fs </dev/null --fs /shared,tag=share -p "$q vmm.action=fs"
echo "OUTER: fs_host moved=$(cat /shared/newdir/moved.txt 2>&1) deleted=$([ -e /shared/delete-me.txt ] && echo no || echo yes)"
run fsro </dev/null --fs /shared,tag=share,ro -p "$q vmm.action=fsro"
echo "OUTER: fsro_host ro_test=$([ -e /shared/ro-test.txt ] && echo created || echo absent) hello=$(cat /shared/hello.txt 2>&1)"
if [ -e /fsbench ]; then
	ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 )); }
	mkdir -p /bench/tree
	dd if=/dev/urandom of=/bench/big bs=1M count=256 2>/dev/null
	for d in $(seq 100); do
		mkdir /bench/tree/$d
		for f in $(seq 100); do echo $f >/bench/tree/$d/$f; done
	done
	run fsbench </dev/null --fs /bench,tag=share -p "$q vmm.action=fsbench"
	t0=$(ms); cat /bench/big >/dev/null; echo "OUTER: fsbench_host_read_ms=$(( $(ms) - t0 ))"
	t0=$(ms); n=$(find /bench/tree -type f | xargs stat -c %s | wc -l)
	echo "OUTER: fsbench_host_tree_ms=$(( $(ms) - t0 )) files=$n"
	rm -rf /bench
fi
# button: vmm's output to a file, watched for the inner waiting on the button.
echo "OUTER: run button start"
/bin/vmm run -k /vmlinuz -i /inner.cpio.gz -m 256 --no-reboot --timeout 60 \
	--api-socket /tmp/btn.sock -p "$q vmm.action=powerbutton" </dev/null >/tmp/btn.out 2>&1 &
pid=$!
watchdog $pid button &
wd=$!
i=0
until grep -q 'waiting for the power button' /tmp/btn.out || [ $i = 600 ] ||
      ! kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
/bin/vmm shutdown /tmp/btn.sock
echo "OUTER: button shutdown=$?"
wait $pid
rc=$?
kill $wd 2>/dev/null
cat /tmp/btn.out
echo "OUTER: run button exit=$rc"
echo "OUTER: tainted=$(cat /proc/sys/kernel/tainted)"
echo "OUTER: kernel_warnings=$(dmesg | grep -E 'WARNING:|BUG:|Oops|soft lockup|rcu.*(stall|self-detected)|Unable to handle' | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ';' | cut -c 1-600)"
echo "OUTER: done"
sync
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/outer.cpio.gz" ||
	fail_all "cannot pack the outer initramfs"

# The disk: a marker in sector 0, sectors 1 and 2 for the inner's writes.
DISK=$WORK/disk.img
MARK=VMM-X86-E2E-DISK

seg() { sed -n "/^OUTER: run $1 start\$/,/^OUTER: run $1 exit=/p" "$LOG"; }
# One QEMU session. It is stopped when its console has been silent for
# SILENT_S seconds: the outer prints a heartbeat every 5 s whatever vmm
# does (a stuck vmm is reported by the outer's watchdog), so silence means
# the emulated machine itself froze: the one failure that is retried.
SILENT_S=${X86_SILENT_S:-30}
qemu() {
	printf '%s' "$MARK" >"$DISK"
	truncate -s 4M "$DISK"
	t0=$(now_ms)
	timeout -k 5 "$QEMU_TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu max -smp 2 -m 1024 \
		-nographic -no-reboot -kernel "$kernel" -initrd "$WORK/outer.cpio.gz" \
		-append "console=ttyS0 $QUIET panic=-1" \
		-drive "file=$DISK,if=virtio,format=raw,cache=unsafe" </dev/null >"$LOG.raw" 2>&1 &
	qpid=$!
	last=-1 quiet_s=0
	while kill -0 $qpid 2>/dev/null; do
		sleep 1
		size=$(wc -c <"$LOG.raw")
		if [ "$size" = "$last" ]; then
			quiet_s=$((quiet_s + 1))
		else
			quiet_s=0 last=$size
		fi
		if [ $quiet_s -ge "$SILENT_S" ]; then
			echo "x86: EMULATOR FROZEN: no console output, not even the outer's heartbeat, for ${SILENT_S}s: stopping QEMU" >>"$LOG.raw"
			pkill -P $qpid 2>/dev/null || kill $qpid
			break
		fi
	done
	wait $qpid
	qrc=$?
	t_qemu=$(( $(now_ms) - t0 ))
	tr -d '\r' <"$LOG.raw" >"$LOG" && rm -f "$LOG.raw"
}
qemu
# The emulated machine is not quite solid: in about 25 sessions here, three
# times it froze (both emulated CPUs busy, no output, not even from the
# watchdog; once right as vmm started, before the inner printed a byte).
# Only that is retried, recognised by its signature (no output at all, the
# outer's heartbeat included, for SILENT_S seconds) and logged; any other
# failure, a check of vmm, counts at once.
try=1
while [ $try -lt "${X86_TRIES:-3}" ] && grep -q '^x86: EMULATOR FROZEN' "$LOG"; do
	cp "$LOG" "${TMPDIR:-/tmp}/vmm-e2e-x86-frozen$try.log" 2>/dev/null
	echo "x86: QEMU session $try froze (${t_qemu} ms; signature: no output for ${SILENT_S}s);" \
	     "log ${TMPDIR:-/tmp}/vmm-e2e-x86-frozen$try.log; trying again"
	try=$((try + 1))
	qemu
done
where="serial log $LOG"
if [ -z "$X86_LOG" ]; then	# $WORK goes away: keep a copy for a post-mortem
	cp "$LOG" "${TMPDIR:-/tmp}/vmm-e2e-x86.log" 2>/dev/null &&
		where="serial log ${TMPDIR:-/tmp}/vmm-e2e-x86.log"
fi
[ $qrc = 124 ] || [ $qrc = 137 ] && echo "x86: QEMU hit the ${QEMU_TIMEOUT}s limit"
echo "x86: QEMU ran ${t_qemu} ms"

rc_of() { seg "$1" | sed -n "s/^OUTER: run $1 exit=//p"; }
val() { seg "$1" | sed -n "s/^.*VMM-INIT: $2=//p" | head -n 1; }
summary() {
	s=$(seg "$1" | grep -E 'VMM-INIT|OUTER|vmm' | tr '\n' ';' | cut -c 1-400)
	echo "${s:-run $1 never started} ($where)"
}
sector() { dd if="$DISK" bs=512 skip="$1" count=1 2>/dev/null | tr -d '\0' | head -n 1; }

if grep -q 'OUTER: kvm=yes' "$LOG"; then
	pass x86_outer_kvm "kvm-amd in the QEMU guest (TCG SVM + NPT)"
else
	fail x86_outer_kvm "no /dev/kvm in the outer guest: $(grep -m 1 -E 'OUTER|insmod' "$LOG" ||
		tail -n 3 "$LOG" | tr '\n' ' ') ($where)"
fi

if [ "$(val pci cpus)" = 2 ] && seg pci | grep -q 'VMM-INIT: done' && [ "$(rc_of pci)" = 0 ]; then
	pass x86_linux_boot_2cpu "Debian $(basename "$kernel") ran init with 2 vcpus and powered off, exit 0"
else
	fail x86_linux_boot_2cpu "cpus=$(val pci cpus), vmm exit $(rc_of pci): $(summary pci)"
fi

fns=$(val pci "virtio-pci functions")
devs=$(val pci "virtio devices")
if [ "$fns" = 3 ] && [ "$(echo "$devs" | wc -w)" = 3 ]; then
	pass x86_linux_virtio_pci_functions "3 functions bound to virtio-pci: virtio ids $devs"
else
	fail x86_linux_virtio_pci_functions "virtio-pci functions=$fns, devices '$devs': $(summary pci)"
fi

msi=$(val pci "virtio msi")
if [ "${msi:-0}" -ge 3 ]; then
	pass x86_linux_virtio_pci_msix "$msi virtio MSI-X vectors in /proc/interrupts"
else
	fail x86_linux_virtio_pci_msix "virtio MSI-X vectors: '$msi', expected >= 3: $(summary pci)"
fi

if [ "$(val pci "vda reads")" != "$MARK" ]; then
	fail x86_linux_virtio_blk_pci "the inner read '$(val pci "vda reads")' from /dev/vda, expected $MARK: $(summary pci)"
elif [ "$(sector 1)" != VMM-INIT-WROTE-SECTOR-1 ]; then
	fail x86_linux_virtio_blk_pci "sector 1 of the image holds '$(sector 1)' after QEMU exited: $(summary pci)"
else
	pass x86_linux_virtio_blk_pci "marker read, the inner's write found in the image here"
fi

hw=$(val pci hwrng)
if [ ${#hw} = 32 ] && [ -z "$(echo "$hw" | tr -d 0-9a-f)" ] && [ -n "$(echo "$hw" | tr -d 0)" ]; then
	pass x86_linux_virtio_rng "16 bytes from /dev/hwrng: $hw"
else
	fail x86_linux_virtio_rng "/dev/hwrng gave '$hw': $(summary pci)"
fi

if [ "$(val pci dhcp)" = "lease of 10.0.2.15 obtained" ]; then
	pass x86_linux_virtio_net_user "DHCP from vmm's user network: 10.0.2.15"
else
	fail x86_linux_virtio_net_user "dhcp: '$(val pci dhcp)': $(summary pci)"
fi

devs=$(val mmio "virtio devices")
if [ "$(echo "$devs" | wc -w)" != 3 ] || [ "$(val mmio "virtio-pci functions")" != 0 ]; then
	fail x86_linux_virtio_mmio "devices '$devs', pci functions $(val mmio "virtio-pci functions"): $(summary mmio)"
elif [ "$(val mmio "vda reads")" != "$MARK" ] || [ "$(sector 2)" != VMM-INIT-WROTE-SECTOR-2 ]; then
	fail x86_linux_virtio_mmio "disk: read '$(val mmio "vda reads")', sector 2 '$(sector 2)': $(summary mmio)"
elif [ "$(val mmio dhcp)" != "lease of 10.0.2.15 obtained" ] || [ -z "$(val mmio hwrng)" ]; then
	fail x86_linux_virtio_mmio "dhcp '$(val mmio dhcp)', hwrng '$(val mmio hwrng)': $(summary mmio)"
elif [ "$(rc_of mmio)" != 0 ]; then
	fail x86_linux_virtio_mmio "vmm exit $(rc_of mmio): $(summary mmio)"
else
	pass x86_linux_virtio_mmio "virtio-mmio: blk read and write, rng, DHCP; exit 0"
fi

if ! seg hvc | grep -q '^VMM-INIT: hvc0 ok'; then
	fail x86_linux_virtio_console "no 'VMM-INIT: hvc0 ok' from /dev/hvc0 in vmm's output: $(summary hvc)"
elif [ "$(val hvc hvc0_in)" != typed-into-vmm ]; then
	fail x86_linux_virtio_console "the inner read '$(val hvc hvc0_in)' from /dev/hvc0: $(summary hvc)"
elif [ "$(rc_of hvc)" != 0 ]; then
	fail x86_linux_virtio_console "vmm exit $(rc_of hvc): $(summary hvc)"
else
	pass x86_linux_virtio_console "a line out through /dev/hvc0, vmm's input read from it (console=hvc0)"
fi

if [ "$(val pci pvpanic)" = 1 ]; then
	pass x86_linux_pvpanic_acpi "pvpanic-mmio bound to the DSDT's QEMU0001"
else
	fail x86_linux_pvpanic_acpi "pvpanic devices bound: '$(val pci pvpanic)': $(summary pci)"
fi

if seg button | grep -q '^VMM-INIT: power button pressed' && [ "$(rc_of button)" = 0 ] &&
   seg button | grep -q '^OUTER: button shutdown=0'; then
	pass x86_linux_power_button "vmm shutdown: Linux's ACPI button driver saw the press, the inner powered off: exit 0"
else
	fail x86_linux_power_button "button '$(val button "power button")', vmm exit $(rc_of button): $(summary button)"
fi

if [ -n "$X86_FS_BENCH" ]; then
	gr=$(val fsbench fsbench_read_ms) gt=$(val fsbench fsbench_tree_ms)
	hr=$(sed -n 's/^OUTER: fsbench_host_read_ms=//p' "$LOG") ht=$(sed -n 's/^OUTER: fsbench_host_tree_ms=//p' "$LOG")
	echo "x86: fsbench guest (virtio-fs) read 256 MiB: ${gr:-?} ms; the outer directly: ${hr:-?} ms"
	echo "x86: fsbench guest walk+stat: ${gt:-?}; the outer directly: ${ht:-?}"
fi

if [ "$(val fs fs_read)" != hello-from-the-outer ]; then
	fail x86_linux_virtio_fs "the inner read '$(val fs fs_read)' from /mnt/hello.txt: $(summary fs)"
elif ! grep -q '^OUTER: fs_host moved=written-by-the-inner deleted=yes' "$LOG"; then
	fail x86_linux_virtio_fs "the outer sees: $(sed -n 's/^OUTER: fs_host //p' "$LOG"): $(summary fs)"
elif seg fs | grep -q HOST-SECRET || seg fsro | grep -q HOST-SECRET; then
	fail x86_linux_virtio_fs "a symlink out of the share reached the outer's file: $(val fs fs_escape)"
elif [ "$(val fs fs_umount)" != ok ] || [ "$(rc_of fs)" != 0 ]; then
	fail x86_linux_virtio_fs "umount '$(val fs fs_umount)', vmm exit $(rc_of fs): $(summary fs)"
else
	pass x86_linux_virtio_fs "virtiofs: read, listed ($(val fs fs_list | cut -c 1-60)), wrote, renamed, deleted; the outer saw each; symlinks out led nowhere; exit 0"
fi

case "$(val fsro fsro_write)|$(val fsro fsro_rm)" in
*"Read-only file system"*"|"*"Read-only file system"*)
	if grep -q '^OUTER: fsro_host ro_test=absent hello=hello-from-the-outer' "$LOG" && [ "$(rc_of fsro)" = 0 ]; then
		pass x86_linux_virtio_fs_ro "ro: write and rm refused (EROFS), the share unchanged"
	else
		fail x86_linux_virtio_fs_ro "$(sed -n 's/^OUTER: fsro_host //p' "$LOG"), vmm exit $(rc_of fsro)"
	fi ;;
*)	fail x86_linux_virtio_fs_ro "write: '$(val fsro fsro_write)', rm: '$(val fsro fsro_rm)': $(summary fsro)" ;;
esac

if seg panic | grep -q 'VMM-INIT: panicking' && [ "$(rc_of panic)" = 3 ]; then
	pass x86_linux_panic_exit_3 "sysrq c: vmm exit 3"
else
	fail x86_linux_panic_exit_3 "vmm exit $(rc_of panic), expected 3: $(summary panic)"
fi

# The kernel's complaints about the machine: ACPI errors, failed probes, PCI
# resources it could not claim (in either transport's run).
errs="$(val pci firmware_errors)$(val mmio firmware_errors)"
if seg pci | grep -q 'VMM-INIT: firmware_errors=' && seg mmio | grep -q 'VMM-INIT: firmware_errors=' &&
   [ -z "$errs" ]; then
	pass x86_linux_no_firmware_errors "no ACPI errors, failed probes or unclaimed PCI resources in dmesg"
else
	fail x86_linux_no_firmware_errors "dmesg: '$(echo "$errs" | cut -c 1-400)' ($where)"
fi

# Every kernel warning in either kernel (dmesg, whatever the loglevel, and
# the console): none is allowed unless proven to come from the emulated
# outer machine whatever the VMM, listed here by its exact text.
# - xstate.c:606 ("XSAVE consistency problem") in the inner at PID 0, in
#   every run: the inner's fpu init finds CPUID leaf 0xD's sizes
#   inconsistent. vmm passes leaf 0xD from KVM_GET_SUPPORTED_CPUID
#   unchanged (hw/x86/cpu.c has no 0xD case), and the outer KVM takes it
#   from QEMU's TCG "max" CPU; kvmtool and QEMU (-accel kvm) inside the same
#   outer guest were seen to trigger it too (issue 17). The outer, on TCG
#   directly, has no such warning (OUTER: tainted=0).
ALLOWED='WARNING: CPU: 0 PID: 0 at arch/x86/kernel/fpu/xstate.c:606 fpu__init_system_xstate+'
warns=$( (sed -n 's/^.*VMM-INIT: kernel_warnings=//p; s/^OUTER: kernel_warnings=//p' "$LOG" | tr ';' '\n'
	 grep -E '^\[[ 0-9.]*\] (WARNING:|BUG:|Oops|.*soft lockup|.*rcu.*stall)' "$LOG" | sed 's/^\[[ 0-9.]*\] //') |
	 grep . | sort -u | { if [ -n "$ALLOWED" ]; then grep -v -F "$ALLOWED"; else cat; fi; })
if ! grep -q '^OUTER: kernel_warnings=' "$LOG"; then
	fail x86_log_clean "the outer init never finished ($where)"
elif [ "$(grep -c 'VMM-INIT: kernel_warnings=' "$LOG")" -lt 4 ]; then
	fail x86_log_clean "only $(grep -c 'VMM-INIT: kernel_warnings=' "$LOG") of the 4 inner runs reported their dmesg ($where)"
elif [ -n "$warns" ]; then
	fail x86_log_clean "$(echo "$warns" | head -n 4 | tr '\n' ';' | cut -c 1-600) ($where)"
else
	allowed=$(grep -c -F "$ALLOWED" "$LOG")
	pass x86_log_clean "no WARNING/BUG/Oops/lockup/RCU stall in either kernel's dmesg or the console ($allowed lines of the allowed xstate.c:606 one)"
fi
