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
#           changed;
#   exec:   --exec on the outer's own root, from /shared: CMD's output byte
#           for byte, its exit status (7) vmm's; exec_signal (a segfault: 139
#           and the kernel's line about it),
#           exec_panic (a panic: 125 and vmm's line saying so);
#   rootfs: --rootfs on a busybox tree: its init as PID 1, its shell answers
#           a typed line, poweroff: 0.
# Each run also checks that Linux binds pvpanic to the DSDT's QEMU0001.
# The inner reads a marker from the disk and writes a line into sector
# vmm.seek=N; after QEMU exits, both lines are looked for in the image here.
# Alone: sh tests/integration/x86_nested.sh. Environment: VMM_CACHE,
# X86_QEMU_TIMEOUT (hard limit, 420 s), X86_LOG (keep the serial log there),
# X86_VERBOSE=1 (full boot logs of both kernels), X86_FS_BENCH=1 (make bench:
# one more run, fsbench, timing a 256 MiB read and a walk of 10,000 files
# through --fs against the outer doing the same directly, then --exec true
# against a prebuilt initramfs running true; the figures are printed as
# "x86: fsbench ..." and "x86: execbench ..." lines, nothing is checked).
. "$(dirname "$0")/../lib.sh"
QEMU_TIMEOUT=${X86_QEMU_TIMEOUT:-420}
QUIET=quiet
ACCEL=${X86_QEMU_ACCEL:-tcg}
[ -z "$X86_VERBOSE" ] || QUIET=ignore_loglevel	# both kernels' whole boot logs
LOG=${X86_LOG:-$WORK/x86-serial.log}
TESTS="x86_outer_kvm x86_linux_power_button x86_linux_virtio_fs x86_linux_virtio_fs_ro x86_linux_boot_2cpu x86_linux_virtio_pci_functions x86_linux_virtio_pci_msix
x86_linux_virtio_blk_pci x86_linux_virtio_rng x86_linux_virtio_net_user x86_linux_virtio_mmio
x86_linux_virtio_console x86_linux_pvpanic_acpi x86_linux_panic_exit_3 x86_linux_no_firmware_errors
x86_linux_exec_status x86_linux_exec_signal x86_linux_exec_panic x86_linux_rootfs x86_log_clean"
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }
fail_all() { for t in $TESTS; do fail "$t" "$1"; done; exit 1; }

# --- prerequisites: every missing piece is a one-line skip -------------------
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
# QEMU 10 and one emulated CPU, as tests/nested.sh: with bookworm's 7.2 and
# two (multi-threaded TCG) the outer froze, and the inner triple-faulted, a
# few times in 20 sessions (issue 17); the 2-vcpu inner is time-sliced.
QEMU=${X86_QEMU:-$(sh "$TOP/tests/tools/qemu-x86.sh")}
SMP=${X86_SMP:-1}
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
for c in sh mount echo cat grep insmod poweroff sleep sync ip mkfifo cut tr mkdir ln ls dd find xargs stat wc seq \
	 cmp sed touch; do
	ln -s busybox "$root/bin/$c"
done
# exec, rootfs: the inner kernel's modules at /lib/modules/RELEASE, where
# vmm looks for them in the root it shares (only the virtio, fuse and
# pvpanic ones, with modules.builtin).
rel=$(basename "$moddir")
mkdir -p "$root/lib/modules/$rel/kernel/drivers/misc" "$root/lib/modules/$rel/kernel/fs"
cp -r "$moddir/kernel/drivers/virtio" "$root/lib/modules/$rel/kernel/drivers/"
cp -r "$moddir/kernel/drivers/misc/pvpanic" "$root/lib/modules/$rel/kernel/drivers/misc/"
cp -r "$moddir/kernel/fs/fuse" "$root/lib/modules/$rel/kernel/fs/"
cp "$moddir/modules.builtin" "$moddir/modules.order" "$root/lib/modules/$rel/"
# rootfs: a busybox tree whose init reports and hands the console to a shell.
bbroot=$root/bbroot
mkdir -p "$bbroot/bin" "$bbroot/sbin" "$bbroot/proc" "$bbroot/sys" "$bbroot/dev" "$bbroot/tmp" \
	"$bbroot/run"
cp "$bb" "$bbroot/bin/busybox"
for c in sh echo cat grep cut tail poweroff; do
	ln -s busybox "$bbroot/bin/$c"
done
cat >"$bbroot/sbin/init" <<'BBINIT'
#!/bin/sh
# The last mount on / is the one in use (the initramfs is still below it).
echo "ROOTFS: init=$0 pid=$$ root=$(grep ' / ' /proc/mounts | tail -n 1 | cut -d ' ' -f 3,4 | cut -c 1-11)"
echo t >/tmp/t && echo "ROOTFS: tmp=ok"
echo "ROOTFS: shell ready"
exec sh
BBINIT
chmod +x "$bbroot/sbin/init"
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
if [ -n "$X86_FS_BENCH" ]; then
	touch "$root/fsbench"
	# execbench's baseline: busybox, and an init that runs true and powers off.
	mkdir -p "$WORK/true/bin" "$WORK/true/dev"
	cp "$bb" "$WORK/true/bin/busybox"
	ln -s busybox "$WORK/true/bin/sh"
	printf '#!/bin/sh\n/bin/busybox true\n/bin/busybox poweroff -f\n' >"$WORK/true/init"
	chmod +x "$WORK/true/init"
	(cd "$WORK/true" && find . | cpio -o -H newc 2>/dev/null) >"$root/true.cpio"
fi
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
# vmm_watch NAME: the vmm just started in the background is watched;
# vmm_reap: wait for it, rc= its exit status.
vmm_watch() {
	pid=$!
	watchdog $pid $1 &
	wd=$!
}
vmm_reap() {
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
}
# vmm's output goes to a file, shown when it exits: the heartbeat above
# shares the console, and a tick written amid a line of the inner's split
# it (a check then missed "VMM-INIT: virtio devices="). One write(2) to a
# tty is never split by another writer's.
run() {
	name=$1
	shift
	echo "OUTER: run $name start"
	/bin/vmm run -k /vmlinuz -i /inner.cpio.gz -m 256 --no-reboot --timeout 60 "$@" \
		>/tmp/$name.out 2>&1 &
	vmm_watch $name
	vmm_reap
	cat /tmp/$name.out
	echo "OUTER: run $name exit=$rc"
}
# run_until NAME MARKER ACTION VMM-ARGS...: the same, and ACTION (a shell
# command) once vmm's output holds MARKER; vmm's input is a fifo, open as
# fd 4 for ACTION to write.
run_until() {
	name=$1 marker=$2 action=$3
	shift 3
	echo "OUTER: run $name start"
	rm -f /tmp/$name.in
	mkfifo /tmp/$name.in
	exec 4<>/tmp/$name.in
	/bin/vmm run -k /vmlinuz -m 256 --no-reboot --timeout 60 "$@" </tmp/$name.in \
		>/tmp/$name.out 2>&1 &
	vmm_watch $name
	i=0
	until grep -q "$marker" /tmp/$name.out || [ $i = 600 ] || ! kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	eval "$action"
	vmm_reap
	exec 4>&-
	cat /tmp/$name.out
	echo "OUTER: run $name exit=$rc"
}
q=$(cat /quiet)
run pci </dev/null -c 2 -d /dev/vda --rng --net user -p "$q vmm.seek=1"
run mmio </dev/null --virtio-transport mmio -d /dev/vda --rng --net user -p "$q vmm.seek=2"
# hvc: a line typed once the inner has hvc0 open.
run_until hvc 'ready for input' 'echo typed-into-vmm >&4' -i /inner.cpio.gz --console virtio -p "$q"
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
	# --exec true, start to exit, against the same kernel on a prebuilt
	# initramfs whose init runs true and powers off, same command line.
	for i in 1 2 3; do
		t0=$(ms)
		/bin/vmm run -k /vmlinuz -m 256 --api-socket none --exec true </dev/null >/dev/null 2>&1
		r1=$? t1=$(ms)
		/bin/vmm run -k /vmlinuz -m 256 --api-socket none -i /true.cpio --exact-cmdline \
			-p "quiet console=ttyS0 reboot=k panic=-1 i8042.noaux i8042.nokbd" \
			</dev/null >/dev/null 2>&1
		r2=$? t2=$(ms)
		echo "OUTER: execbench exec_true_ms=$((t1 - t0)) exit=$r1 initramfs_true_ms=$((t2 - t1)) exit=$r2"
	done
fi
# exec: a command in the inner on the outer's own root (read-only), run from
# the share; its output byte for byte and in order, its status vmm's.
exec_cmd='echo "exec: cwd=$(pwd) hello=$(cat hello.txt)"; for i in $(seq 1 200); do echo line-$i; done
echo to-stderr >&2; echo "Kernel panic - not syncing: printed by a program"
touch /exec-ro-test 2>/dev/null && echo exec: root_writable || echo exec: root_ro
echo t >/tmp/t && echo exec: tmp_ok; exit 7'
{
	echo "exec: cwd=/shared hello=hello-from-the-outer"
	seq 1 200 | sed 's/^/line-/'
	printf 'to-stderr\nKernel panic - not syncing: printed by a program\nexec: root_ro\nexec: tmp_ok\n'
} >/tmp/exec.want
exec_run() {
	name=$1
	shift
	echo "OUTER: run $name start"
	/bin/vmm run -k /vmlinuz -m 256 --timeout 60 --api-socket none "$@" </dev/null \
		>/tmp/$name.out 2>/tmp/$name.err &
	vmm_watch $name
	vmm_reap
	sed "s/^/OUTER: $name out: /" /tmp/$name.out | head -n 20
	sed "s/^/OUTER: $name err: /" /tmp/$name.err
	echo "OUTER: run $name exit=$rc"
}
cd /shared
exec_run exec --exec "$exec_cmd"
cd /
echo "OUTER: exec_same=$(cmp -s /tmp/exec.out /tmp/exec.want && echo yes || echo no)" \
	"cr=$(tr -cd '\r' </tmp/exec.out | wc -c) lines=$(wc -l </tmp/exec.out)" \
	"err_bytes=$(wc -c </tmp/exec.err) outer_ro_test=$([ -e /exec-ro-test ] && echo created || echo absent)"
# A real fault (the shell's stack overflows): 139, and the kernel's line about it.
exec_run exec_signal --exec 'f() { f; }; f'
exec_run exec_panic --exec 'echo c >/proc/sysrq-trigger; sleep 5; exit 0'
# rootfs: the busybox tree's own init, then commands typed into its shell.
run_until rootfs 'ROOTFS: shell ready' 'echo "echo \"ROOTFS: typed-\$((6 * 7))\"; poweroff -f" >&4' \
	--rootfs /bbroot --modules /lib/modules/$(uname -r) -p "$q"
# button: vmm shutdown once the inner waits on the power button.
run_until button 'waiting for the power button' \
	'/bin/vmm shutdown /tmp/btn.sock; echo "OUTER: button shutdown=$?"' \
	-i /inner.cpio.gz --api-socket /tmp/btn.sock -p "$q vmm.action=powerbutton"
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
	# Appended to, by QEMU too: the FROZEN line below must not be overwritten
	# by what QEMU prints as it is stopped (it was, once, and went unretried).
	: >"$LOG.raw"
	timeout -k 5 "$QEMU_TIMEOUT" $QEMU -accel "$ACCEL" -cpu max -smp "$SMP" -m 1024 \
		-nographic -no-reboot -kernel "$kernel" -initrd "$WORK/outer.cpio.gz" \
		-append "console=ttyS0 $QUIET panic=-1" \
		-drive "file=$DISK,if=virtio,format=raw,cache=unsafe" </dev/null >>"$LOG.raw" 2>&1 &
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
	med() { sed -n "s/^OUTER: execbench .*$1=\([0-9]*\) exit=0.*/\1/p" "$LOG" | sort -n | sed -n 2p; }
	echo "x86: execbench --exec true: $(med exec_true_ms) ms; a prebuilt initramfs running true: $(med initramfs_true_ms) ms (medians of 3, start to exit)"
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

# --exec: the status is CMD's, the output exact, vmm's own outcomes 125 with a line saying so.
exec_host=$(sed -n 's/^OUTER: exec_same=//p' "$LOG")
if [ "$(rc_of exec)" != 7 ]; then
	fail x86_linux_exec_status "vmm --exec '... exit 7' exited $(rc_of exec): $(summary exec)"
elif [ "$exec_host" != "yes cr=0 lines=205 err_bytes=0 outer_ro_test=absent" ]; then
	fail x86_linux_exec_status "exit 7 but the output differs: $exec_host: $(summary exec)"
else
	pass x86_linux_exec_status "--exec: exit 7 came back; 205 lines byte for byte and in order (stderr included, no CR), run in /shared, root read-only, /tmp writable, a printed panic line ignored, vmm silent"
fi
if [ "$(rc_of exec_signal)" != 139 ] || ! seg exec_signal | grep -q 'err: .*killed by signal 11'; then
	fail x86_linux_exec_signal "exit $(rc_of exec_signal), expected 139: $(summary exec_signal)"
elif ! seg exec_signal | grep -q 'out: vmm-init: kernel: .*segfault at' ||
     seg exec_signal | grep 'out: vmm-init: kernel:' | grep -q -v 'segfault at'; then
	fail x86_linux_exec_signal "not just the kernel's 'segfault at' line from the init: $(seg exec_signal | grep 'vmm-init: kernel' | tr '\n' ';' | cut -c 1-300)"
else
	pass x86_linux_exec_signal "--exec with a stack overflow: exit 139, vmm says so, the init showed the kernel's segfault line"
fi
if [ "$(rc_of exec_panic)" = 125 ] &&
   seg exec_panic | grep -q 'err: .*no exit status from the command: the guest panicked'; then
	pass x86_linux_exec_panic "--exec with a guest panic: exit 125 and vmm's line naming it"
else
	fail x86_linux_exec_panic "exit $(rc_of exec_panic), expected 125: $(summary exec_panic)"
fi
if ! seg rootfs | grep -q '^ROOTFS: init=/sbin/init pid=1 root=virtiofs ro'; then
	fail x86_linux_rootfs "the tree's init did not report as PID 1 on a read-only virtiofs root: $(summary rootfs)"
elif ! seg rootfs | grep -q '^ROOTFS: tmp=ok' || ! seg rootfs | grep -q '^ROOTFS: typed-42'; then
	fail x86_linux_rootfs "no tmpfs write or no answer from its shell: $(seg rootfs | grep ROOTFS | tr '\n' ';')"
elif [ "$(rc_of rootfs)" != 0 ]; then
	fail x86_linux_rootfs "vmm exit $(rc_of rootfs) after poweroff: $(summary rootfs)"
else
	pass x86_linux_rootfs "--rootfs on a busybox tree: its init ran as PID 1 on a read-only virtiofs root, its shell answered, poweroff: exit 0"
fi

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
