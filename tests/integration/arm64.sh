#!/bin/sh
# arm64 end to end: a real Debian arm64 Linux under vmm-arm64, nested in QEMU.
# QEMU (TCG, emulated EL2) boots Debian's arm64 kernel with an initramfs whose
# init runs vmm-arm64 with each configuration (tests/e2e-arm64/mkinitramfs.sh):
# boot1/boot2 (1 and 2 vcpus, poweroff), panic, hang (--timeout 20), and the
# virtio devices with the real Linux drivers: disk (ext4 on virtio-blk, plus a
# raw disk), ro (the same image read-only), flushkill (SIGKILL after a FLUSH),
# rng (virtio-rng), hvc (--console virtio: a line each way on /dev/hvc0),
# pci (--virtio-transport pci: the ext4 disk read-only and the rng as PCI
# functions of vmm's ECAM host, with MSI-X through the GICv3 ITS),
# net (virtio-net on a tap in the outer guest: MAC, ping both ways, a few MB
# of random data over TCP each way with busybox nc, md5-checked, the offloads
# negotiated and TSO/GSO frames seen; Mbit/s against the outer's loopback),
# flat, flatpmu, flatgic2 (tests/e2e-arm64/flat, a bare-metal binary without
# an Image header, --exact-cmdline: where it is entered, x0, the exact
# bootargs, the GIC; with --pmu the PMU node and cycle counter; with
# --irqchip gicv2 a GICv2 or the one-line error of a KVM that has none;
# flatv3, flatits: --irqchip gicv3 without and gicv3-its with an ITS node),
# user (virtio-net on vmm's user-mode network, libslirp: the inner's DHCP
# lease, a line in through hostfwd from the outer's 127.0.0.1, a token out to
# the gateway 10.0.2.2, which is the outer's loopback).
# The ext4 image is made here and given to the outer guest
# as QEMU's virtio-blk disk, which vmm then serves to the inner guest: after
# QEMU exits, what the inner guest wrote is read back from it here (debugfs)
# and the file system checked (e2fsck). The serial log is then checked. Alone: `make e2e-arm64` or `sh tests/integration/arm64.sh`
# (exit status 1 when something failed). Environment: VMM_ARM64 (use this
# binary, do not build), VMM_CACHE, E2E_QEMU_TIMEOUT (hard limit, 300 s),
# E2E_LOG (keep the serial log there; default $WORK/arm64-serial.log),
# E2E_HOST_NET (KiB: time QEMU's own virtio-net to a tap here, for make bench).
# E2E_NET_LOOP=N: only the net run, N times in one outer boot (runs net1..netN,
# E2E_NET_KB KiB each way, default 4096), with one result, arm64_virtio_net_loop:
# how many passed in a row and how each failure looked (a stall costs the
# run's 120 s --timeout; the QEMU limit becomes 120 + 90 s a run unless set).
. "$(dirname "$0")/../lib.sh"
E2E=$TOP/tests/e2e-arm64
QEMU_TIMEOUT=${E2E_QEMU_TIMEOUT:-300}
if [ -n "$E2E_NET_LOOP" ]; then
	case $E2E_NET_LOOP in ''|*[!0-9]*|0) echo "arm64: E2E_NET_LOOP must be a count, not '$E2E_NET_LOOP'" >&2; exit 2 ;; esac
	QEMU_TIMEOUT=${E2E_QEMU_TIMEOUT:-$((120 + 90 * E2E_NET_LOOP))}
	i=1
	: >"$WORK/net-loop.runs"
	while [ $i -le "$E2E_NET_LOOP" ]; do
		echo "net$i|1|120|inner.action=net inner.net_kb=${E2E_NET_KB:-4096}|-n tap,ifname=vmmtap0,mac=52:54:00:12:34:56" >>"$WORK/net-loop.runs"
		i=$((i + 1))
	done
	export E2E_RUNS="$WORK/net-loop.runs"
fi
LOG=${E2E_LOG:-$WORK/arm64-serial.log}
[ -n "$E2E_NET_LOOP" ] && TESTS="arm64_virtio_net_loop" || TESTS="arm64_outer_kvm arm64_inner_boot_1cpu arm64_inner_boot_2cpu arm64_inner_mem
arm64_inner_cmdline arm64_inner_panic arm64_inner_hang_timeout arm64_virtio_blk_ext4
arm64_virtio_blk_ro arm64_virtio_blk_flush_survives_sigkill arm64_virtio_rng arm64_virtio_console
arm64_power_button arm64_virtio_fs arm64_exec
arm64_virtio_net_ping arm64_virtio_net_tcp_tx arm64_virtio_net_tcp_rx arm64_virtio_net_offloads
arm64_virtio_pci_functions arm64_virtio_pci_blk_ro arm64_virtio_pci_rng arm64_virtio_pci_msix
arm64_virtio_net_user_dhcp arm64_virtio_net_user_hostfwd arm64_virtio_net_user_gateway
arm64_flat_binary arm64_flat_pmu arm64_flat_gicv2 arm64_flat_gicv3_without_its
arm64_flat_gicv3_its arm64_log_clean"
nfail=0
fail_() { fail "$@"; nfail=$((nfail + 1)); }
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }
fail_all() { for t in $TESTS; do fail "$t" "$1"; done; exit 1; }

# --- prerequisites: every missing piece is a one-line skip -------------------
command -v qemu-system-aarch64 >/dev/null ||
	skip_all "qemu-system-aarch64 is not installed (Debian package qemu-system-arm)"
for t in mkfs.ext4 debugfs e2fsck; do
	command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	command -v $t >/dev/null || skip_all "$t is not installed (Debian package e2fsprogs)"
done
t0=$(now_ms)
if [ -n "$VMM_ARM64" ]; then
	[ -f "$VMM_ARM64" ] || skip_all "VMM_ARM64=$VMM_ARM64 does not exist"
else
	VMM_ARM64=$TOP/vmm-arm64
	# A build that fails is a failure: make deps installs everything it needs.
	if ! make -C "$TOP" ARCH=arm64 >"$WORK/build.log" 2>&1; then
		fail_all "cannot build vmm-arm64 (make ARCH=arm64): $(grep -m 1 -E 'error|Error|No rule' "$WORK/build.log" || tail -n 1 "$WORK/build.log")"
	fi
	[ -f "$VMM_ARM64" ] || fail_all "make ARCH=arm64 did not produce $VMM_ARM64"
fi
# The flat test binary: no Image header, so vmm must load it as a flat binary.
FLAT_BIN=$TOP/build/arm64-flat/flat.bin
if ! make -C "$TOP" arm64-flat >"$WORK/flat.log" 2>&1; then
	fail_all "cannot build the flat test binary (make arm64-flat): $(grep -m 1 -E 'error|Error' "$WORK/flat.log" || tail -n 1 "$WORK/flat.log")"
fi
# An arm64 (e_machine 183) ELF, statically linked (it runs from a busybox initramfs).
[ "$(od -An -tx1 -j 18 -N 2 "$VMM_ARM64" | tr -d ' \n')" = b700 ] ||
	skip_all "$VMM_ARM64 is not an arm64 ELF executable"
has_interp() {	# ELF program headers: is there a PT_INTERP (3)?
	off=$(od -An -tu8 -j 32 -N 8 "$1" | tr -d ' ')
	size=$(od -An -tu2 -j 54 -N 2 "$1" | tr -d ' ')
	num=$(od -An -tu2 -j 56 -N 2 "$1" | tr -d ' ')
	i=0
	while [ "$i" -lt "$num" ]; do
		[ "$(od -An -tu4 -j $((off + i * size)) -N 4 "$1" | tr -d ' ')" = 3 ] && return 0
		i=$((i + 1))
	done
	return 1
}
if has_interp "$VMM_ARM64"; then
	skip_all "$VMM_ARM64 is dynamically linked; it must be static to run in the outer initramfs"
fi
t_build=$(( $(now_ms) - t0 ))

t0=$(now_ms)
if ! vars=$(sh "$E2E/fetch.sh" 2>"$WORK/fetch.err"); then
	skip_all "cannot fetch Debian's arm64 kernel/busybox: $(head -n 1 "$WORK/fetch.err")"
fi
eval "$vars"
t_fetch=$(( $(now_ms) - t0 ))
t0=$(now_ms)
# The ext4 disk of the virtio-blk runs: 64 MiB, sparse here, QEMU's disk there.
HELLO=hello-from-the-vmm-host
DISK=$WORK/disk.img
mkdir -p "$WORK/disk"
echo "$HELLO" >"$WORK/disk/hello.txt"
if ! mkfs.ext4 -q -F -d "$WORK/disk" "$DISK" 64M >"$WORK/mkfs.log" 2>&1; then
	for t in $TESTS; do fail_ "$t" "cannot make the ext4 image: $(tail -n 1 "$WORK/mkfs.log")"; done
	exit 1
fi
if ! imgs=$(KERNEL=$KERNEL MODULES=$MODULES BUSYBOX=$BUSYBOX VMM_ARM64=$VMM_ARM64 FLAT_BIN=$FLAT_BIN \
		E2E_HELLO=$HELLO sh "$E2E/mkinitramfs.sh" "$WORK/img" 2>"$WORK/mkinitramfs.err"); then
	for t in $TESTS; do fail_ "$t" "cannot build the initramfs images: $(tail -n 1 "$WORK/mkinitramfs.err")"; done
	exit 1
fi
eval "$imgs"
t_img=$(( $(now_ms) - t0 ))

# --- the baseline of vmm's virtio-net (make bench: E2E_HOST_NET=KiB) ----------
# QEMU's own virtio-net on a tap here (192.168.101.1): the outer guest sends
# KiB of random data to our port 5101 and receives as much on its port 5102,
# before its inner runs. Results: "HOST: hostnet ..." lines appended to the log.
host_net() {
	head -c $((E2E_HOST_NET * 1024)) /dev/urandom >"$WORK/hn.dat"
	md5=$(md5sum <"$WORK/hn.dat" | cut -d ' ' -f 1)
	i=0
	until [ -d "/sys/class/net/$TAP" ]; do	# QEMU makes it
		i=$((i + 1)); [ $i -lt 600 ] || return 1
		sleep 0.1
	done
	rm -f "$WORK/hn.hold" && mkfifo "$WORK/hn.hold" && exec 5<>"$WORK/hn.hold"
	timeout "$QEMU_TIMEOUT" busybox nc -l -p 5101 <&5 >"$WORK/hn.in" 2>/dev/null &
	echo $! >>"$WORK/hn.pids"
	ip addr add 192.168.101.1/24 dev "$TAP" && ip link set "$TAP" up || return 1
	wait $!
	echo "HOST: hostnet tx_bytes=$(wc -c <"$WORK/hn.in") tx_md5=$(md5sum <"$WORK/hn.in" | cut -d ' ' -f 1)" >>"$WORK/hn.res"
	i=0
	while [ $i -lt 300 ]; do	# until the outer listens on 5102
		t=$(now_ms)
		if busybox nc 192.168.101.2 5102 <"$WORK/hn.dat" 2>/dev/null; then
			echo "HOST: hostnet rx_ms=$(( $(now_ms) - t )) rx_md5=$md5" >>"$WORK/hn.res"
			break
		fi
		i=$((i + 1))
		sleep 0.2
	done
}
HN_QEMU="" HN_APPEND="" hn_pid=""
if [ -n "$E2E_HOST_NET" ]; then
	TAP=$(printf 'vmmq%.11s' "$$")
	if [ -c /dev/net/tun ] && command -v ip >/dev/null && command -v busybox >/dev/null; then
		HN_QEMU="-netdev tap,id=hn,ifname=$TAP,script=no,downscript=no -device virtio-net-device,netdev=hn,mac=52:54:00:12:34:57"
		HN_APPEND=" vmm.hostnet=$E2E_HOST_NET"
		: >"$WORK/hn.res"; : >"$WORK/hn.pids"
		host_net &
		hn_pid=$!
	else
		echo "arm64: E2E_HOST_NET needs /dev/net/tun, ip and busybox (nc): no QEMU virtio-net baseline"
	fi
fi

# --- the run -----------------------------------------------------------------
t0=$(now_ms)
# shellcheck disable=SC2086
timeout -k 5 "$QEMU_TIMEOUT" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
	-cpu max,pauth-impdef=on -smp 2 -m 1024 -accel tcg -nographic -no-reboot \
	-kernel "$KERNEL" -initrd "$OUTER" -append "console=ttyAMA0 panic=-1$HN_APPEND" \
	-drive "file=$DISK,if=none,format=raw,id=d0,cache=unsafe" \
	-device virtio-blk-device,drive=d0,serial=e2e-ext4 $HN_QEMU \
	</dev/null >"$LOG.raw" 2>&1
qrc=$?
t_qemu=$(( $(now_ms) - t0 ))
tr -d '\r' <"$LOG.raw" >"$LOG" && rm -f "$LOG.raw"
if [ -n "$hn_pid" ]; then	# the host side is done, or never will be
	kill $(cat "$WORK/hn.pids") $hn_pid 2>/dev/null
	wait $hn_pid 2>/dev/null
	cat "$WORK/hn.res" >>"$LOG"
	rm -f "$WORK/hn.dat" "$WORK/hn.in" "$WORK/hn.hold"
fi
where="serial log $LOG"
if [ -z "$E2E_LOG" ]; then	# $WORK goes away: keep a copy for a post-mortem
	cp "$LOG" "${TMPDIR:-/tmp}/vmm-e2e-arm64.log" 2>/dev/null &&
		where="serial log ${TMPDIR:-/tmp}/vmm-e2e-arm64.log"
fi
[ $qrc = 124 ] || [ $qrc = 137 ] && echo "arm64: QEMU hit the ${QEMU_TIMEOUT}s limit" &&
	tail -n 5 "$LOG" | sed 's/^/    /'

# seg NAME: the log of one run, from "OUTER: run NAME start" to its exit line.
seg() {
	sed -n "/^OUTER: run $1 start\$/,/^OUTER: run $1 exit=/p" "$LOG"
}
# field NAME KEY: value of "OUTER: run NAME KEY=..." (exit, ms, up_ms).
field() {
	sed -n "s/^OUTER: run $1 .*\\<$2=\\([^ ]*\\).*/\\1/p" "$LOG" | head -n 1
}
inner() {	# inner NAME KEY: value of "INNER: KEY=..." in that run
	seg "$1" | sed -n "s/^.*INNER: $2=//p" | head -n 1
}
ikey() {	# ikey NAME KEY: value of KEY=... on an "INNER:" line of that run
	seg "$1" | sed -n "s/^.*INNER: .*\\<$2=\\([^ ]*\\).*/\\1/p" | head -n 1
}
summary() {	# what a run showed, for failure details
	s=$(seg "$1" | grep -E 'INNER:|OUTER:|vmm' | tr '\n' ';' | cut -c 1-400)
	[ -n "$s" ] || s="run $1 never started"
	echo "$s ($where)"
}

# E2E_NET_LOOP: each net run passes with 'INNER: net ok', both md5s equal and exit 0.
if [ -n "$E2E_NET_LOOP" ]; then
	i=1 npass=0 streak=0 best=0 bad=""
	while [ $i -le "$E2E_NET_LOOP" ]; do
		r=net$i
		if seg $r | grep -q 'INNER: net ok' && [ "$(field $r exit)" = 0 ] &&
		   [ -n "$(field $r rx_md5)" ] && [ "$(ikey $r net_rx_md5)" = "$(field $r rx_md5)" ] &&
		   [ -n "$(field $r tx_md5)" ] && [ "$(ikey $r net_tx_md5)" = "$(field $r tx_md5)" ]; then
			npass=$((npass + 1)) streak=$((streak + 1))
			[ $streak -gt $best ] && best=$streak
			echo "arm64 net loop: $r ok: tx $(ikey $r net_tx_ms) ms, rx $(field $r rx_ms) ms, vmm $(field $r ms) ms"
		else
			streak=0
			s=$(seg $r | grep -E 'INNER: net(_ping|_tx_ms|_rx_bytes|-| ok)|OUTER: run .*(rx|tx|exit)|vmm: ' |
				tr '\n' ';' | cut -c 1-400)
			bad="$bad $r: ${s:-never ran};"
			echo "arm64 net loop: $r FAILED"
		fi
		i=$((i + 1))
	done
	if [ $npass = "$E2E_NET_LOOP" ]; then
		pass arm64_virtio_net_loop "$npass/$E2E_NET_LOOP net runs passed in a row (${E2E_NET_KB:-4096} KiB each way, one outer boot, qemu $t_qemu ms)"
	else
		fail_ arm64_virtio_net_loop "$npass/$E2E_NET_LOOP net runs passed (longest streak $best):$(echo "$bad" | cut -c 1-1500) ($where)"
	fi
	[ $nfail = 0 ]
	exit
fi

if grep -q '^OUTER: kvm=yes' "$LOG"; then
	pass arm64_outer_kvm "/dev/kvm in the outer guest"
else
	fail_ arm64_outer_kvm "no 'OUTER: kvm=yes': $(grep -m 1 '^OUTER: kvm' "$LOG" || tail -n 3 "$LOG" | tr '\n' ' ') ($where)"
fi

for n in 1 2; do
	name=boot$n
	rc=$(field $name exit)
	if ! seg $name | grep -q 'INNER: up'; then
		fail_ arm64_inner_boot_${n}cpu "no 'INNER: up', vmm exit ${rc:-none}: $(summary $name)"
	elif [ "$(inner $name cpus)" != $n ]; then
		fail_ arm64_inner_boot_${n}cpu "inner saw cpus=$(inner $name cpus), expected $n: $(summary $name)"
	elif [ "$(inner $name action)" != poweroff ] || [ "$rc" != 0 ]; then
		fail_ arm64_inner_boot_${n}cpu "vmm exit ${rc:-none} after poweroff, expected 0: $(summary $name)"
	else
		pass arm64_inner_boot_${n}cpu "userspace with $n vcpu(s) in $(field $name up_ms) ms, powered off, exit 0 after $(field $name ms) ms"
	fi
done

# 256 MiB of RAM: Debian's kernel reports ~229000 kB (measured under QEMU).
bad=""
for name in boot1 boot2; do
	kb=$(inner $name mem_kb)
	case $kb in ''|*[!0-9]*) bad="$bad $name:mem_kb='$kb'"; continue ;; esac
	[ "$kb" -gt 180000 ] && [ "$kb" -le 262144 ] || bad="$bad $name:mem_kb=$kb"
done
if [ -z "$bad" ]; then
	pass arm64_inner_mem "MemTotal $(inner boot1 mem_kb)/$(inner boot2 mem_kb) kB with -m 256"
else
	fail_ arm64_inner_mem "MemTotal not plausible for 256 MiB (180000..262144 kB):$bad ($where)"
fi

bad=""
for name in boot1 boot2; do
	want="quiet inner.action=poweroff inner.run=$name"
	case "$(inner $name cmdline)" in
	*"$want"*) ;;
	*) bad="$bad $name: got '$(inner $name cmdline)', want '...$want...';" ;;
	esac
done
if [ -z "$bad" ]; then
	pass arm64_inner_cmdline "$(inner boot1 cmdline)"
else
	fail_ arm64_inner_cmdline "$bad ($where)"
fi

rc=$(field panic exit)
if [ "$rc" = 3 ]; then
	pass arm64_inner_panic "exit 3 after $(field panic ms) ms"
else
	why=""
	grep -q 'pvpanic' "$WORK/mkinitramfs.err" 2>/dev/null &&
		why=" (Debian's arm64 kernel has no pvpanic driver: CONFIG_PVPANIC is not set)"
	fail_ arm64_inner_panic "vmm exit ${rc:-none}, expected 3 for a guest panic$why: $(summary panic)"
fi

rc=$(field hang exit)
if [ "$rc" = 124 ] && seg hang | grep -q 'INNER: action=hang'; then
	pass arm64_inner_hang_timeout "exit 124 after $(field hang ms) ms (--timeout 20)"
else
	fail_ arm64_inner_hang_timeout "vmm exit ${rc:-none}, expected 124 after the inner hung: $(summary hang)"
fi

# --- virtio: the real Linux drivers against vmm's devices ----------------------
is_token() { [ ${#1} = 16 ] && [ -z "$(printf %s "$1" | tr -d 0-9a-f)" ]; }	# 8 bytes, hex
tok=$(inner disk token)
written=$(debugfs -R 'cat /written.txt' "$DISK" 2>/dev/null)
fsck=$(e2fsck -fn "$DISK" 2>&1); fsck_rc=$?
if ! seg disk | grep -q 'INNER: disk ok'; then
	fail_ arm64_virtio_blk_ext4 "the inner guest did not mount/check/write/unmount the ext4 disk: $(summary disk)"
elif [ "$(inner disk fstrim)" != ok ]; then
	fail_ arm64_virtio_blk_ext4 "fstrim (DISCARD) on the ext4 mount: $(inner disk fstrim): $(summary disk)"
elif ! is_token "$tok"; then
	fail_ arm64_virtio_blk_ext4 "no token from the inner guest: $(summary disk)"
elif [ "$written" != "$tok" ]; then
	fail_ arm64_virtio_blk_ext4 "written.txt in the image after QEMU exited holds '$written', the inner guest wrote '$tok' ($where)"
elif [ "$(field disk raw)" != "$tok" ]; then
	fail_ arm64_virtio_blk_ext4 "the raw disk holds '$(field disk raw)' after vmm exited, the inner guest wrote '$tok': $(summary disk)"
elif [ $fsck_rc != 0 ]; then
	fail_ arm64_virtio_blk_ext4 "e2fsck -fn on the image after the runs (exit $fsck_rc): $(echo "$fsck" | tail -n 3 | tr '\n' ' ')"
elif [ "$(field disk exit)" != 0 ]; then
	fail_ arm64_virtio_blk_ext4 "vmm exit $(field disk exit), expected 0: $(summary disk)"
else
	pass arm64_virtio_blk_ext4 "inner (2 vcpus) mounted ext4 on virtio-blk, read hello.txt, wrote written.txt=$tok, fstrim ok; found by debugfs in the host image, e2fsck clean; raw disk token read back by the outer; exit 0 after $(field disk ms) ms"
fi

md5a=$(field ro md5_before) md5b=$(field ro md5_after)
if [ "$(inner ro ro_flag)" != 1 ]; then
	fail_ arm64_virtio_blk_ro "/sys/block/vdX/ro is '$(inner ro ro_flag)', expected 1: $(summary ro)"
elif [ "$(inner ro ro_write | cut -d ' ' -f 1)" != refused ]; then
	fail_ arm64_virtio_blk_ro "a write to the read-only disk was '$(inner ro ro_write)': $(summary ro)"
elif [ "$(inner ro hello)" != "$HELLO" ]; then
	fail_ arm64_virtio_blk_ro "hello.txt on the read-only ext4 mount: '$(inner ro hello)', expected '$HELLO': $(summary ro)"
elif [ -z "$md5a" ] || [ "$md5a" != "$md5b" ]; then
	fail_ arm64_virtio_blk_ro "image md5 before '$md5a', after '$md5b': $(summary ro)"
elif [ "$(field ro exit)" != 0 ]; then
	fail_ arm64_virtio_blk_ro "vmm exit $(field ro exit), expected 0: $(summary ro)"
else
	pass arm64_virtio_blk_ro "ro flag 1, write $(inner ro ro_write), ext4 mounted ro, image md5 unchanged ($md5a; both md5sums took $(field ro md5_ms) ms)"
fi

tok=$(inner flushkill token)
if ! seg flushkill | grep -q 'INNER: flushed'; then
	fail_ arm64_virtio_blk_flush_survives_sigkill "the inner guest never flushed its write: $(summary flushkill)"
elif [ "$(field flushkill exit)" != 137 ]; then
	fail_ arm64_virtio_blk_flush_survives_sigkill "vmm exit $(field flushkill exit), expected 137 (SIGKILL): $(summary flushkill)"
elif ! is_token "$tok" || [ "$(field flushkill raw)" != "$tok" ]; then
	fail_ arm64_virtio_blk_flush_survives_sigkill "after SIGKILL the file holds '$(field flushkill raw)', the guest flushed '$tok': $(summary flushkill)"
else
	pass arm64_virtio_blk_flush_survives_sigkill "token $tok written + FLUSHed, vmm SIGKILLed $(field flushkill sigkill_ms) ms after start, token in the file"
fi

hw=$(inner rng hwrng)
case $(inner rng rng_current) in
virtio_rng*)
	if [ ${#hw} != 128 ] || [ -n "$(echo "$hw" | tr -d 0-9a-f)" ]; then
		fail_ arm64_virtio_rng "64 bytes from /dev/hwrng: got '$hw': $(summary rng)"
	elif [ -z "$(echo "$hw" | tr -d 0)" ]; then
		fail_ arm64_virtio_rng "/dev/hwrng gave 64 zero bytes: $(summary rng)"
	elif [ "$(field rng exit)" != 0 ]; then
		fail_ arm64_virtio_rng "vmm exit $(field rng exit), expected 0: $(summary rng)"
	else
		pass arm64_virtio_rng "rng_current=$(inner rng rng_current), 64 bytes from /dev/hwrng: $(echo "$hw" | cut -c 1-16)..."
	fi ;;
*)	fail_ arm64_virtio_rng "rng_current is '$(inner rng rng_current)', expected virtio_rng.N: $(summary rng)" ;;
esac

# --virtio-transport pci: Linux's pci-host-generic finds vmm's ECAM host from
# the device tree and binds virtio-pci to both functions; the devices work
# through it and their interrupts are MSI-X, through the ITS.
fns=$(seg pci | sed -n 's/^.*INNER: pci_fn=//p' | tr '\n' ';')
case "$fns" in
*"id=0x1b36:0x0008"*"id=0x1af4:0x1042 driver=virtio-pci"*"id=0x1af4:0x1044 driver=virtio-pci"*)
	pass arm64_virtio_pci_functions "$(echo "$fns" | cut -c 1-200)" ;;
*)	fail_ arm64_virtio_pci_functions "expected the host bridge and blk + rng bound to virtio-pci, got '$fns': $(summary pci)" ;;
esac
md5a=$(field pci md5_before) md5b=$(field pci md5_after)
if [ "$(inner pci ro_flag)" != 1 ] || [ "$(inner pci ro_write | cut -d ' ' -f 1)" != refused ]; then
	fail_ arm64_virtio_pci_blk_ro "ro flag '$(inner pci ro_flag)', write '$(inner pci ro_write)': $(summary pci)"
elif [ "$(inner pci hello)" != "$HELLO" ]; then
	fail_ arm64_virtio_pci_blk_ro "hello.txt over virtio-pci: '$(inner pci hello)', expected '$HELLO': $(summary pci)"
elif [ -z "$md5a" ] || [ "$md5a" != "$md5b" ]; then
	fail_ arm64_virtio_pci_blk_ro "image md5 before '$md5a', after '$md5b': $(summary pci)"
else
	pass arm64_virtio_pci_blk_ro "ext4 read over virtio-pci (hello.txt), write refused, image unchanged"
fi
hw=$(inner pci hwrng)
if [ ${#hw} != 128 ] || [ -n "$(echo "$hw" | tr -d 0-9a-f)" ] || [ -z "$(echo "$hw" | tr -d 0)" ]; then
	fail_ arm64_virtio_pci_rng "64 bytes from /dev/hwrng over virtio-pci: got '$hw': $(summary pci)"
else
	pass arm64_virtio_pci_rng "rng_current=$(inner pci rng_current): $(echo "$hw" | cut -c 1-16)..."
fi
irqs=$(inner pci pci_irqs)
ml=$(echo "$irqs" | sed -n 's/.*msi_lines=\([0-9]*\).*/\1/p')
mc=$(echo "$irqs" | sed -n 's/.*msi_count=\([0-9]*\).*/\1/p')
ol=$(echo "$irqs" | sed -n 's/.*other_lines=\([0-9]*\).*/\1/p')
if [ "${ml:-0}" -lt 2 ] || [ "${mc:-0}" -lt 1 ] || [ "${ol:-1}" != 0 ]; then
	fail_ arm64_virtio_pci_msix "virtio interrupts should all be MSI-X through the ITS: '$irqs': $(summary pci)"
elif [ "$(field pci exit)" != 0 ]; then
	fail_ arm64_virtio_pci_msix "vmm exit $(field pci exit), expected 0: $(summary pci)"
else
	pass arm64_virtio_pci_msix "$irqs (2 vcpus)"
fi

# The line went to /dev/hvc0 only; vmm appended console=hvc0 itself.
if ! seg hvc | grep -q '^INNER: hvc ok'; then
	fail_ arm64_virtio_console "no 'INNER: hvc ok' from /dev/hvc0 in vmm's output: $(summary hvc)"
else
	case "$(inner hvc cmdline)" in
	*console=hvc0*)
		if [ "$(inner hvc hvc_in)" != typed-into-vmm ]; then
			fail_ arm64_virtio_console "the inner read '$(inner hvc hvc_in)' from /dev/hvc0, vmm's input was 'typed-into-vmm': $(summary hvc)"
		elif [ "$(field hvc exit)" != 0 ]; then
			fail_ arm64_virtio_console "vmm exit $(field hvc exit), expected 0: $(summary hvc)"
		else
			pass arm64_virtio_console "'INNER: hvc ok' written to /dev/hvc0 reached vmm's output, vmm's input line read from /dev/hvc0; consoles: $(inner hvc consoles); exit 0 after $(field hvc ms) ms"
		fi ;;
	*)	fail_ arm64_virtio_console "console=hvc0 missing from the inner command line '$(inner hvc cmdline)': $(summary hvc)" ;;
	esac
fi

# vmm shutdown presses the power key: gpio-keys on vmm's PL061 reports
# KEY_POWER on its input device, the inner powers off, vmm exits 0.
if ! seg button | grep -q 'INNER: power_key=/dev/input/'; then
	fail_ arm64_power_button "no gpio-keys input device in the inner: '$(inner button power_key)': $(summary button)"
elif ! seg button | grep -q 'INNER: power key pressed'; then
	fail_ arm64_power_button "the key press never reached the inner's input device: $(summary button)"
elif [ "$(field button exit)" != 0 ]; then
	fail_ arm64_power_button "vmm exit $(field button exit), expected 0: $(summary button)"
else
	pass arm64_power_button "vmm shutdown: gpio-keys on the PL061 reported the key ($(inner button power_key | cut -d' ' -f1)), the inner powered off: exit 0 after $(field button ms) ms"
fi

# --fs: the outer's /shared over virtio-fs (vmm's own FUSE server).
if [ "$(inner fs fs_read)" != hello-from-the-outer ]; then
	fail_ arm64_virtio_fs "the inner read '$(inner fs fs_read)' from the share: $(summary fs)"
elif [ "$(field fs fs_moved)" != written-by-the-inner ] || [ "$(field fs fs_deleted)" != yes ]; then
	fail_ arm64_virtio_fs "the outer sees moved '$(field fs fs_moved)', deleted '$(field fs fs_deleted)': $(summary fs)"
elif seg fs | grep -q HOST-SECRET; then
	fail_ arm64_virtio_fs "a symlink out of the share reached the outer's file: $(inner fs fs_escape)"
elif [ "$(inner fs fs_umount)" != ok ] || [ "$(field fs exit)" != 0 ]; then
	fail_ arm64_virtio_fs "umount '$(inner fs fs_umount)', vmm exit $(field fs exit): $(summary fs)"
else
	pass arm64_virtio_fs "virtiofs: read, listed, wrote, renamed, deleted, the outer saw each; symlinks out led nowhere; exit 0"
fi

# --exec: /exec.sh on the outer's own root (read-only), its status vmm's.
lines=$(seg exec | sed -n 's/^EXEC: line-//p' | tr -d '\r' | tr '\n' ' ')
if ! seg exec | tr -d '\r' | grep -q '^EXEC: cwd=/ machine=aarch64 root=virtiofs ro'; then
	fail_ arm64_exec "no 'EXEC: cwd=/ machine=aarch64 root=virtiofs ro' from the command: $(summary exec)"
elif [ "$lines" != "$(seq 1 50 | tr '\n' ' ')" ]; then
	fail_ arm64_exec "its 50 lines came as '$(echo "$lines" | cut -c 1-200)': $(summary exec)"
elif [ "$(field exec exit)" != 7 ]; then
	fail_ arm64_exec "vmm exit $(field exec exit), expected the command's 7: $(summary exec)"
else
	pass arm64_exec "--exec /exec.sh: ran as root on the outer's / (virtiofs, read-only), 50 lines in order, exit 7 came back, after $(field exec ms) ms"
fi

# --- virtio-net: Linux's virtio_net on vmm's tap backend -----------------------
# One inner boot (run "net"): vmm -n tap,ifname=vmmtap0,mac=52:54:00:12:34:56
# in the outer guest, which puts 192.168.100.1 on the tap; the inner is .2.
NET_MAC=52:54:00:12:34:56
net_kb=$(seg net | sed -n 's/^.*INNER: cmdline=.*inner\.net_kb=\([0-9]*\).*/\1/p' | head -n 1)
net_kb=${net_kb:-4096}
mbit() { awk -v b="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", b * 8 / t / 1000; else print "?" }'; }
lo() {	# the outer's own transfer over loopback (same data), when measured
	[ -n "$(field net lo_ms)" ] || return 0
	echo "; outer over loopback $(field net lo_ms) ms: $(awk -v a="$(field net lo_ms)" -v b="$1" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }') of its speed"
}
nfail_net=$nfail
nsum() {	# the net run's own lines, for failure details
	s=$(seg net | grep -E 'INNER: (net|insmod)|OUTER: run net|vmm' | grep -v 'md5=' | tr '\n' ';' | cut -c 1-500)
	echo "${s:-run net never started} ($where)"
}
if ! seg net | grep -q 'INNER: up'; then
	fail_ arm64_virtio_net_ping "the inner never came up: $(nsum)"
elif [ "$(ikey net net_mac)" != $NET_MAC ]; then
	fail_ arm64_virtio_net_ping "eth0's address is '$(ikey net net_mac)', vmm was given mac=$NET_MAC: $(nsum)"
elif [ "$(ikey net net_ping)" != 3/3 ]; then
	fail_ arm64_virtio_net_ping "inner ping 192.168.100.1: '$(ikey net net_ping)' replies: $(nsum)"
elif [ "$(field net ping)" != 3/3 ]; then
	fail_ arm64_virtio_net_ping "outer ping 192.168.100.2 (the inner): '$(field net ping)' replies: $(nsum)"
elif ! seg net | grep -q 'INNER: net ok' || [ "$(field net exit)" != 0 ]; then
	fail_ arm64_virtio_net_ping "the inner did not finish its net checks ('INNER: net ok'), vmm exit $(field net exit): $(nsum)"
else
	pass arm64_virtio_net_ping "eth0 has mac $NET_MAC; inner -> tap 3/3, rtt min/avg/max $(ikey net rtt_ms) ms; outer -> inner 3/3, $(field net rtt_ms) ms"
fi
want=$((net_kb * 1024))
if [ -z "$(ikey net net_tx_md5)" ]; then
	fail_ arm64_virtio_net_tcp_tx "the inner never sent: $(nsum)"
elif [ "$(field net tx_bytes)" != $want ] || [ "$(field net tx_md5)" != "$(ikey net net_tx_md5)" ]; then
	fail_ arm64_virtio_net_tcp_tx "the outer received $(field net tx_bytes) bytes md5 $(field net tx_md5), the inner sent $want bytes md5 $(ikey net net_tx_md5): $(nsum)"
else
	pass arm64_virtio_net_tcp_tx "inner -> outer: $want random bytes over TCP (busybox nc), md5 matches; $(ikey net net_tx_ms) ms, $(mbit $want "$(ikey net net_tx_ms)") Mbit/s (nested TCG)$(lo "$(ikey net net_tx_ms)")"
fi
if [ -z "$(field net rx_md5)" ]; then
	fail_ arm64_virtio_net_tcp_rx "the outer never sent: $(nsum)"
elif [ "$(ikey net net_rx_bytes)" != $want ] || [ "$(ikey net net_rx_md5)" != "$(field net rx_md5)" ]; then
	fail_ arm64_virtio_net_tcp_rx "the inner received $(ikey net net_rx_bytes) bytes md5 $(ikey net net_rx_md5), the outer sent $want bytes md5 $(field net rx_md5): $(nsum)"
else
	pass arm64_virtio_net_tcp_rx "outer -> inner: $want random bytes, md5 matches; $(field net rx_ms) ms, $(mbit $want "$(field net rx_ms)") Mbit/s (nested TCG)$(lo "$(field net rx_ms)")"
fi
# The negotiated features (sysfs, bit 0 first) and what went through: a frame
# of more than 1514 bytes on average is a TSO frame (tx) or a GSO frame the
# tap handed over in mergeable buffers (rx).
f=$(ikey net net_features)
missing=""
for b in 0:CSUM 1:GUEST_CSUM 7:GUEST_TSO4 11:HOST_TSO4 15:MRG_RXBUF 32:VERSION_1; do
	[ "$(echo "$f" | cut -c $((${b%%:*} + 1)))" = 1 ] || missing="$missing ${b#*:}"
done
txp=$(ikey net net_tx_avg_pkt) rxp=$(ikey net net_rx_avg_pkt)
if [ ${#f} != 64 ]; then
	fail_ arm64_virtio_net_offloads "no feature bits from /sys/class/net/eth0/device/features: '$f': $(nsum)"
elif [ -n "$missing" ]; then
	fail_ arm64_virtio_net_offloads "not negotiated:$missing (features $f): $(nsum)"
elif [ $nfail != $nfail_net ]; then
	fail_ arm64_virtio_net_offloads "the transfers failed (above)"
elif ! [ "${txp:-0}" -gt 1514 ] 2>/dev/null || ! [ "${rxp:-0}" -gt 1514 ] 2>/dev/null; then
	fail_ arm64_virtio_net_offloads "average frame during the transfers: tx ${txp:-?} bytes, rx ${rxp:-?} bytes; > 1514 expected both ways (TSO/GSO frames): $(nsum)"
else
	pass arm64_virtio_net_offloads "CSUM GUEST_CSUM HOST_TSO4 GUEST_TSO4 MRG_RXBUF negotiated; average frame tx $txp bytes, rx $rxp bytes (TSO/GSO through the vnet header); data intact; vmm exit $(field net exit)"
fi

# --- virtio-net on the user-mode network (libslirp in the static vmm-arm64) ---
# One inner boot (run "user"): vmm -n user,hostfwd=tcp::5555-:5555.
usum() {	# the user run's own lines, for failure details
	s=$(seg user | grep -E 'INNER: (user|insmod|outer-step)|OUTER: run user|vmm' | tr '\n' ';' | cut -c 1-500)
	echo "${s:-run user never started} ($where)"
}
if ! seg user | grep -q 'INNER: up'; then
	fail_ arm64_virtio_net_user_dhcp "the inner never came up: $(usum)"
elif ! seg user | grep -q 'INNER: user_dhcp_ms='; then
	fail_ arm64_virtio_net_user_dhcp "no DHCP lease (udhcpc on eth0): $(usum)"
elif [ "$(ikey user user_addr)" != 10.0.2.15/24 ] || [ "$(ikey user user_route)" != 10.0.2.2 ]; then
	fail_ arm64_virtio_net_user_dhcp "eth0 has '$(ikey user user_addr)' via '$(ikey user user_route)', expected 10.0.2.15/24 via 10.0.2.2: $(usum)"
elif [ "$(ikey user dns)" != 10.0.2.3 ]; then
	fail_ arm64_virtio_net_user_dhcp "the lease names DNS '$(ikey user dns)', expected 10.0.2.3: $(usum)"
else
	pass arm64_virtio_net_user_dhcp "udhcpc got 10.0.2.15/24, router 10.0.2.2, DNS 10.0.2.3 in $(ikey user user_dhcp_ms) ms"
fi
sent=$(field user fwd_sent)
if [ -z "$sent" ]; then
	fail_ arm64_virtio_net_user_hostfwd "the outer sent nothing to 127.0.0.1:5555: $(usum)"
elif ! is_token "$sent" || [ "$(inner user user_fwd_in)" != "$sent" ]; then
	fail_ arm64_virtio_net_user_hostfwd "the outer sent '$sent' to 127.0.0.1:5555, the inner's nc -l 5555 got '$(inner user user_fwd_in)': $(usum)"
else
	pass arm64_virtio_net_user_hostfwd "outer 127.0.0.1:5555 -> inner 10.0.2.15:5555 (hostfwd=tcp::5555-:5555): '$sent' arrived"
fi
tok=$(inner user user_gw_sent)
if [ -z "$tok" ]; then
	fail_ arm64_virtio_net_user_gateway "the inner could not send to 10.0.2.2:5556: $(usum)"
elif ! is_token "$tok" || [ "$(field user gw_in)" != "$tok" ]; then
	fail_ arm64_virtio_net_user_gateway "the inner sent '$tok' to 10.0.2.2:5556, the outer's nc -l 5556 got '$(field user gw_in)': $(usum)"
elif ! seg user | grep -q 'INNER: user ok' || [ "$(field user exit)" != 0 ]; then
	fail_ arm64_virtio_net_user_gateway "the inner did not finish ('INNER: user ok'), vmm exit $(field user exit): $(usum)"
else
	pass arm64_virtio_net_user_gateway "inner -> 10.0.2.2:5556 reached the outer's loopback: '$tok'; vmm exit 0 after $(field user ms) ms"
fi

# --- a test kernel that is not Linux: tests/e2e-arm64/flat ---------------------
# A flat binary (no Image header) with --exact-cmdline: entered at RAM base +
# 0x80000 with x0 = the FDT, /chosen/bootargs exactly -p; the GIC it finds.
flat() {	# flat RUN KEY: value of " KEY=..." on the run's "FLAT:" lines (not flat.KEY=)
	seg "$1" | sed -n "s/^.*FLAT:.* $2=\\([^ ]*\\).*/\\1/p" | head -n 1
}
fsum() { s=$(seg "$1" | grep -E 'FLAT|vmm|panic|OUTER: run' | tr '\n' ';' | cut -c 1-400); echo "${s:-run $1 never started} ($where)"; }
want="quiet flat.x=1 inner.run=flat"
if ! seg flat | grep -q "has no arm64 Image header: loading it as a flat binary at 0x80080000"; then
	fail_ arm64_flat_binary "no notice that /flat.bin is loaded as a flat binary: $(fsum flat)"
elif [ "$(flat flat entry)" != 0x80080000 ] || [ "$(flat flat linked)" != 0x80080000 ]; then
	fail_ arm64_flat_binary "entered at '$(flat flat entry)', expected 0x80080000: $(fsum flat)"
elif [ "$(flat flat magic)" != ok ]; then
	fail_ arm64_flat_binary "x0=$(flat flat x0) is not the device tree: $(fsum flat)"
elif [ "$(seg flat | sed -n 's/^.*FLAT: bootargs=//p' | head -n 1)" != "$want" ]; then
	fail_ arm64_flat_binary "bootargs '$(seg flat | sed -n 's/^.*FLAT: bootargs=//p' | head -n 1)', expected exactly '$want': $(fsum flat)"
elif [ "$(flat flat gic)" != arm,gic-v3 ] || [ "$(flat flat pidr2_arch)" != 0x3 ] || [ "$(flat flat sre)" != 0x1 ]; then
	fail_ arm64_flat_binary "GIC '$(flat flat gic)' PIDR2 ArchRev $(flat flat pidr2_arch) SRE $(flat flat sre), expected arm,gic-v3, 3 and 1: $(fsum flat)"
elif ! seg flat | grep -q 'FLAT: pass' || [ "$(field flat exit)" != 0 ]; then
	fail_ arm64_flat_binary "vmm exit $(field flat exit), expected 'FLAT: pass' and 0: $(fsum flat)"
else
	pass arm64_flat_binary "entered at 0x80080000 with x0=$(flat flat x0) (FDT), bootargs exactly '$want', GICv3 (node, GICD_PIDR2, ICC_SRE_EL1); exit 0 after $(field flat ms) ms"
fi
# flat_refused RUN TEST PATTERN WHAT: if vmm said "error: PATTERN", that must
# be its one line (exit 1, nothing booted instead): pass or fail TEST. False
# when vmm did not say it.
flat_refused() {
	seg "$1" | grep -q "vmm: error: $3" || return 1
	if [ "$(field "$1" exit)" = 1 ] && [ "$(seg "$1" | grep -c 'vmm: error')" = 1 ] &&
	   ! seg "$1" | grep -q 'FLAT:'; then
		pass "$2" "$4: one-line error, exit 1, nothing booted instead"
	else
		fail_ "$2" "$4: expected one error line, exit 1 and no boot: $(fsum "$1")"
	fi
}
# --pmu: the PMU node and a counting cycle counter; or one line saying KVM has none.
if flat_refused flatpmu arm64_flat_pmu "--pmu: this host.s KVM has no PMU" "this KVM has no guest PMU"; then
	:
elif [ "$(flat flatpmu pmu)" != arm,armv8-pmuv3 ]; then
	fail_ arm64_flat_pmu "PMU node '$(flat flatpmu pmu)', expected arm,armv8-pmuv3: $(fsum flatpmu)"
elif ! seg flatpmu | grep -q 'FLAT: pass' || [ "$(field flatpmu exit)" != 0 ]; then
	fail_ arm64_flat_pmu "cycles $(flat flatpmu cycles), vmm exit $(field flatpmu exit): $(fsum flatpmu)"
else
	pass arm64_flat_pmu "arm,armv8-pmuv3 node, PMCR_EL0.N=$(flat flatpmu pmcr_n), PMCCNTR counted $(flat flatpmu cycles) cycles"
fi
# --irqchip gicv2: a GICv2 (node, no GICv3 system registers), or one line
# saying KVM cannot make one (QEMU's GICv3 has no GICv2 compatibility).
if flat_refused flatgic2 arm64_flat_gicv2 "--irqchip gicv2: this host.s KVM cannot create a GICv2" \
		"this host's KVM has no GICv2"; then
	:
elif [ "$(flat flatgic2 gic)" != arm,cortex-a15-gic ] || [ "$(flat flatgic2 sre)" != 0x0 ]; then
	fail_ arm64_flat_gicv2 "GIC '$(flat flatgic2 gic)' SRE $(flat flatgic2 sre), expected arm,cortex-a15-gic and 0: $(fsum flatgic2)"
elif [ "$(field flatgic2 exit)" != 0 ]; then
	fail_ arm64_flat_gicv2 "vmm exit $(field flatgic2 exit): $(fsum flatgic2)"
else
	pass arm64_flat_gicv2 "arm,cortex-a15-gic node, ICC_SRE_EL1.SRE 0 (no GICv3 system registers)"
fi
# --irqchip gicv3: no ITS node; gicv3-its: one (or one line: KVM has no ITS).
for run in flatv3:arm64_flat_gicv3_without_its:none flatits:arm64_flat_gicv3_its:arm,gic-v3-its; do
	name=${run%%:*} t=${run#*:} t=${t%%:*} want=${run##*:}
	if [ $name = flatits ] && flat_refused flatits $t "--irqchip gicv3-its: this host.s KVM cannot create an ITS" \
			"this host's KVM has no ITS"; then
		:
	elif [ "$(flat $name gic)" != arm,gic-v3 ] || [ "$(flat $name its)" != "$want" ]; then
		fail_ $t "GIC '$(flat $name gic)' ITS '$(flat $name its)', expected arm,gic-v3 and $want: $(fsum $name)"
	elif ! seg $name | grep -q 'FLAT: pass' || [ "$(field $name exit)" != 0 ]; then
		fail_ $t "vmm exit $(field $name exit): $(fsum $name)"
	else
		pass $t "arm,gic-v3, ITS node: $want"
	fi
done

pat='Oops|BUG:|WARNING:|self-detected stall|detected stalls|RCU stall|[Ii]nternal error|Unable to handle kernel'
if ! grep -q '^OUTER: done' "$LOG"; then
	fail_ arm64_log_clean "the outer init never finished (QEMU exit $qrc after $t_qemu ms): $(tail -n 3 "$LOG" | tr '\n' ' ') ($where)"
elif ! grep -q 'INNER: kernel_warnings=' "$LOG"; then
	fail_ arm64_log_clean "no inner run reported its dmesg warnings (INNER: kernel_warnings=) ($where)"
elif grep -Eq "$pat" "$LOG"; then
	fail_ arm64_log_clean "$(grep -E -m 3 "$pat" "$LOG" | tr '\n' ' ') ($where)"
else
	pass arm64_log_clean "no oops/BUG/WARNING/RCU stall/KVM internal error in $(wc -l <"$LOG") lines, nor in the dmesg of $(grep -c 'INNER: kernel_warnings=' "$LOG") inner runs"
fi

if [ -n "$hn_pid" ]; then
	hn() { sed -n "s/^$1 hostnet .*\\<$2=\\([^ ]*\\).*/\\1/p" "$LOG" | head -n 1; }
	ok=no
	[ -n "$(hn HOST: tx_md5)" ] && [ "$(hn HOST: tx_md5)" = "$(hn OUTER: tx_md5)" ] &&
		[ -n "$(hn HOST: rx_md5)" ] && [ "$(hn HOST: rx_md5)" = "$(hn OUTER: rx_md5)" ] && ok=yes
	echo "arm64 hostnet (QEMU's virtio-net, outer <-> this host, $E2E_HOST_NET KiB each way): outer -> host $(hn OUTER: tx_ms) ms, host -> outer $(hn HOST: rx_ms) ms, data intact: $ok"
fi
echo "arm64 phases: build ${t_build} ms, fetch ${t_fetch} ms, initramfs ${t_img} ms, qemu ${t_qemu} ms (exit $qrc)"
echo "arm64 phases: outer kernel -> OUTER: start $(sed -n 's/^OUTER: start uptime_ms=//p' "$LOG") ms (guest uptime)"
for name in boot1 boot2 panic hang disk ro flushkill rng hvc net user pci flat flatpmu flatgic2 flatv3 flatits; do
	echo "arm64 phases: run $name: inner up $(field $name up_ms) ms, vmm exit $(field $name exit) after $(field $name ms) ms"
done
[ $nfail = 0 ]
