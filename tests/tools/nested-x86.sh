#!/bin/sh
# Run a shell script next to this tree's ./vmm inside an x86 QEMU (TCG,
# -cpu max: emulated SVM, so kvm-amd gives the outer Linux a /dev/kvm).
# For hosts whose own /dev/kvm is missing or cannot run what a test needs.
#   sh tests/tools/nested-x86.sh SCRIPT [FILE...]
# The outer's root is a busybox initramfs with /bin/vmm (and the libraries
# it loads), SCRIPT as /script and each FILE in /files/. Its init runs
# /script with /bin/sh and powers off; everything is printed on stdout,
# and the last line is "NESTED: exit=N" (SCRIPT's status).
# Environment:
#   VMM             the binary (default ./vmm)
#   NESTED_TREE     absolute paths (files or directories) copied to the same
#                   place in the outer, with the libraries of their executables
#   NESTED_LIBS     shared libraries vmm loads with dlopen (libslirp), copied
#                   with the libraries they need
#   NESTED_MODULES  kernel modules loaded besides kvm-amd, virtio_pci, virtio_blk
#   NESTED_QEMU     the QEMU command (default: tests/tools/qemu-x86.sh's)
#   NESTED_SMP      the outer's CPUs (default 2)
#   NESTED_TIMEOUT  seconds for the whole session (default 300)
#   NESTED_MEM      the outer's RAM in MiB (default 1024)
#   NESTED_APPEND   more of the outer's command line
#   NESTED_SILENT_S the outer prints a tick every 5 s: this long without a
#                   byte (default 30) means the emulated machine froze; the
#                   session is stopped with the line "NESTED: EMULATOR FROZEN"
set -e
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/rootfs.sh"
VMM=${VMM:-$TOP/vmm}
script=$1
[ -f "$script" ] || { echo "usage: nested-x86.sh SCRIPT [FILE...]" >&2; exit 2; }
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud)
qemu=${NESTED_QEMU:-$(sh "$TOP/tests/tools/qemu-x86.sh")}
moddir=$(ls -d "$(dirname "$kernel")"/../lib/modules/*/ | head -n 1)
# With nokaslr below, the RIPs of a frozen machine's post-mortem are symbols.
# Debian's System.map is a stub: the outer writes its /proc/kallsyms (text
# symbols) once to a scratch disk, kept next to the kernel.
map=$(dirname "$kernel")/kallsyms-text
[ -s "$map" ] || { want_map=$work/kallsyms.gz && truncate -s 16M "$want_map"; }

root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/files" "$root/run"
cp "$(command -v busybox)" "$root/bin/busybox"
for c in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$c" ] || ln -s busybox "$root/bin/$c"
done
# shellcheck disable=SC2086 # a list of names
sh "$TOP/guest/kmods.sh" "$moddir" "$root/lib/modules" kvm-amd virtio_pci virtio_blk virtio_console \
	$NESTED_MODULES
cp "$VMM" "$root/bin/vmm"
for p in $NESTED_TREE; do
	mkdir -p "$root$(dirname "$p")"
	cp -a "$p" "$root$p"
done
# The libraries of vmm, of every FILE, of every executable in the tree, and
# the NESTED_LIBS with theirs.
# shellcheck disable=SC2046,SC2086 # lists of paths
root_add_libs "$root" "$VMM" "$@" $NESTED_LIBS \
	$([ -z "$NESTED_TREE" ] || find $NESTED_TREE -type f -perm -u+x)
[ -z "$want_map" ] || touch "$root/want-kallsyms"
cp "$script" "$root/script"
for f in "$@"; do cp "$f" "$root/files/"; done
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts	# --serial pty
for m in $(cat /lib/modules/load); do insmod /lib/modules/$m.ko; done
ip link set lo up
# Everything from here on goes out on a virtio console: the emulated 8250's
# interrupt-driven transmit has stalled for good in long sessions here.
for i in $(seq 50); do [ -c /dev/hvc0 ] && break; sleep 0.1; done
[ -c /dev/hvc0 ] && exec >/dev/hvc0 2>&1
[ -e /want-kallsyms ] && [ -b /dev/vda ] && grep ' [tT] ' /proc/kallsyms | gzip -1 >/dev/vda
echo
echo "NESTED: kvm=$([ -c /dev/kvm ] && echo yes || echo no)"
(while sleep 5; do echo "NESTED: tick"; done) &
cd /tmp
sh /script
echo "NESTED: exit=$?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/root.cpio.gz"
# The kernel's console (ttyS0) and the script's (hvc0) are two files, both
# followed on stdout; the tick on hvc0 tells a live machine.
log=$work/hvc.log
: >"$log"
: >"$work/serial.log"
mkfifo "$work/mon.in" "$work/mon.out"
# The monitor's output must be drained or QEMU blocks on it.
cat "$work/mon.out" >"$work/mon.log" &
exec 7<>"$work/mon.in"
timeout -k 5 "${NESTED_TIMEOUT:-300}" $qemu -accel tcg${NESTED_TCG:+,$NESTED_TCG} -cpu max -smp "${NESTED_SMP:-2}" -m "${NESTED_MEM:-1024}" \
	-nographic -no-reboot -kernel "$kernel" -initrd "$work/root.cpio.gz" \
	-append "console=ttyS0 ${NESTED_QUIET-quiet} panic=-1 nokaslr $NESTED_APPEND" \
	-device virtio-serial-pci -chardev file,id=hvc,path="$log",append=on -device virtconsole,chardev=hvc \
	${want_map:+-drive file="$want_map",if=virtio,format=raw} \
	-monitor pipe:"$work/mon" </dev/null >"$work/serial.log" 2>&1 &
qpid=$!
tail -q -n +1 -f --pid=$qpid "$work/serial.log" "$log" | tr -d '\r' &
tpid=$!
last=-1 quiet_s=0
while kill -0 $qpid 2>/dev/null; do
	sleep 1
	size=$(wc -c <"$log")
	if [ "$size" = "$last" ]; then
		quiet_s=$((quiet_s + 1))
	else
		quiet_s=0 last=$size
	fi
	if [ $quiet_s -ge "${NESTED_SILENT_S:-30}" ]; then
		# Where the emulated CPUs are, twice: a post-mortem of the freeze.
		for i in 1 2; do
			echo "info cpus" >&7; echo "info registers -a" >&7; sleep 2
		done
		tr -d '\r' <"$work/mon.log" |
			sed -n 's/^\(.*CPU #[0-9].*\|RIP=[^ ]* RFL=[^ ]* \[.*\|.*HLT=.*\)$/\1/p' |
			while read -r l; do
				rip=$(echo "$l" | sed -n 's/^RIP=\([0-9a-f]*\) .*/\1/p')
				[ -z "$rip" ] || [ ! -f "$map" ] ||
					l="$l $(awk -v rip="$rip" '($1 "") <= rip { s = $3 } END { print s }' "$map")"
				echo "NESTED: monitor: $l"
			done >>"$log"
		echo "NESTED: EMULATOR FROZEN: no output, not even the outer's tick, for ${quiet_s}s: stopping QEMU" >>"$log"
		kill $qpid 2>/dev/null
		break
	fi
done
wait $qpid || true
wait $tpid || true
if [ -n "$want_map" ]; then
	gzip -dc <"$want_map" 2>/dev/null | sort >"$work/syms"
	[ "$(wc -l <"$work/syms")" -lt 1000 ] || cp "$work/syms" "$map"
fi
