#!/bin/sh
# Build the two initramfs images of the arm64 end-to-end harness.
#   tests/e2e-arm64/mkinitramfs.sh [OUTDIR]   -> prints INNER=<path> OUTER=<path>
# inner.cpio.gz: busybox, the modules listed in INNER_MODULES with their
#   dependencies (modules.dep order), and an init that prints INNER: markers
#   and then obeys inner.action= on its command line: poweroff|panic|hang, or
#   the virtio checks (disks found by their serial, vmm's -d ...,serial=ID):
#   disk: mount the ext4 disk "ext4", check hello.txt (= $E2E_HELLO), write a
#     fresh token to written.txt, fstrim, unmount; write the token at byte
#     4096 of the disk "raw" with fsync (a FLUSH); print it; power off.
#   ro: the disk "ext4" read-only: print its ro flag, try a write, mount it
#     read-only and print hello.txt.
#   flushkill: the raw token + fsync, print "INNER: flushed", then hang.
#   rng: print rng_current and 64 bytes of /dev/hwrng in hex.
#   pci: (vmm --virtio-transport pci) the PCI functions and their drivers,
#     then ro and rng as below, then per virtio interrupt line MSI or not.
#   hvc: print /proc/consoles, then "INNER: hvc ok" to /dev/hvc0 only
#     (vmm --console virtio: it reaches vmm's output through virtio-console);
#     read a line from /dev/hvc0 (vmm's input) and print it as hvc_in=.
#   net: eth0 (vmm -n tap,ifname=vmmtap0 in the outer) as 192.168.100.2/24:
#     print its MAC and negotiated virtio features, ping the outer's tap
#     (192.168.100.1), send inner.net_kb= KiB (4096) of random data to its
#     port 5001 with nc, then receive as much on port 5002; print md5s, times
#     and the average frame size each way (> 1514: TSO/GSO frames).
#   user: eth0 on vmm's user-mode network (-n user,hostfwd=tcp::5555-:5555):
#     DHCP (busybox udhcpc, /etc/udhcpc.sh applies address and router); print
#     the address and default route; listen on 5555 and print the line the
#     outer sends to its 127.0.0.1:5555 (hostfwd); send a fresh token to the
#     gateway 10.0.2.2:5556 (the outer's own port 5556, through slirp).
# outer.cpio: busybox, the static vmm-arm64 ($VMM_ARM64, default ./vmm-arm64;
#   left out when missing), the arm64 Image, inner.cpio.gz and the modules in
#   OUTER_MODULES (QEMU's virtio-mmio disk and NIC, tun for vmm -n tap); its init links QEMU's disk
#   with serial e2e-ext4 to /disk.img, runs vmm-arm64 once per line of the
#   run table (E2E_RUNS, a file, or the default below) and prints OUTER:
#   markers. Uncompressed: QEMU's TCG inflates slowly.
# Run table lines: NAME|CPUS|TIMEOUT|EXTRA-CMDLINE[|VMM-ARGS[|KILL-ON[|INPUT]]]
#   (timeout = vmm --timeout). VMM-ARGS may name /disk.img and /raw.img (a
#   1 MiB file zeroed before each run, whose token the outer prints as
#   "OUTER: run NAME raw=" after vmm exits); the disks given ",ro" are
#   md5summed before and after. KILL-ON: vmm gets SIGKILL on the first line
#   of its output containing it. INPUT: a line written to vmm's standard
#   input (its terminal; a fifo, /dev/null without INPUT) when the inner
#   prints "INNER: ready for input".
# A run's inner may ask the outer for a step with "INNER: outer-step=NAME"
#   (net_tap: address vmmtap0 as 192.168.100.1/24 and receive on port 5001;
#   net_rx: ping the inner and send it data on port 5002; user_fwd: listen
#   on port 5556, send a token line to 127.0.0.1:5555, print both ends); with
#   inner.net_lo=1 the outer then times the same transfer over its loopback.
# The flat* runs boot tests/e2e-arm64/flat (FLAT_BIN) instead of the Image, with
# --exact-cmdline: it prints "FLAT: ..." lines (see flat.c) and powers off.
# The panic run passes panic=-1 so that, whatever vmm's default command line,
# a guest without a pvpanic driver resets at once instead of hanging.
# Inputs come from fetch.sh (run here unless KERNEL/MODULES/BUSYBOX are set).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
out=${1:-${VMM_CACHE:-$HOME/.cache/vmm}/arm64/build}
VMM_ARM64=${VMM_ARM64:-$TOP/vmm-arm64}
INNER_MODULES=${INNER_MODULES:-"pvpanic-mmio virtio_mmio virtio_pci virtio_blk virtio_net virtio_console virtio-rng crc32c_generic ext4 gpio_keys evdev fuse virtiofs"}
OUTER_MODULES=${OUTER_MODULES:-"virtio_mmio virtio_blk tun virtio_net"}
# The content of hello.txt on the ext4 test disk (made by tests/integration/arm64.sh).
HELLO=${E2E_HELLO:-hello-from-the-vmm-host}
INNER_MEM=${INNER_MEM:-256}

if [ -z "$KERNEL" ] || [ -z "$MODULES" ] || [ -z "$BUSYBOX" ]; then
	vars=$(sh "$HERE/fetch.sh") || exit 1
	eval "$vars"
fi
for f in "$KERNEL" "$BUSYBOX"; do
	[ -f "$f" ] || { echo "mkinitramfs: missing $f" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- module closure, dependencies first (what modules.dep would give) -------
find "$MODULES/kernel" -name '*.ko' >"$tmp/ko.all"
modfile() {	# NAME -> path of NAME.ko (- and _ are the same in module names)
	pat=$(echo "$1" | sed 's/[-_]/[-_]/g')
	grep -E "/$pat\.ko\$" "$tmp/ko.all" | head -n 1
}
: >"$tmp/order"
: >"$tmp/seen"
add_module() {	# post-order walk of the "depends=" field in .modinfo
	key=$(echo "$1" | tr - _)
	grep -qx "$key" "$tmp/seen" && return 0
	echo "$key" >>"$tmp/seen"
	if grep -Eq "/$(echo "$1" | sed 's/[-_]/[-_]/g')\.ko\$" "$MODULES/modules.builtin" 2>/dev/null; then
		return 0
	fi
	f=$(modfile "$1")
	if [ -z "$f" ]; then
		echo "mkinitramfs: module $1 is not in $MODULES (not built for this kernel): left out" >&2
		return 0
	fi
	deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
	for d in $deps; do add_module "$d"; done	# (sh has no locals: look up again)
	modfile "$1" >>"$tmp/order"
}
for m in $INNER_MODULES; do add_module "$m"; done
mv "$tmp/order" "$tmp/order.inner"
# The outer kernel drives QEMU's virtio-mmio disk (the ext4 image of the
# virtio-blk runs, checked on the host afterwards): the same closure.
: >"$tmp/order"
: >"$tmp/seen"
for m in $OUTER_MODULES; do add_module "$m"; done
mv "$tmp/order" "$tmp/order.outer"

# --- inner -------------------------------------------------------------------
r=$tmp/inner
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules"
cp "$BUSYBOX" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
while read -r f; do
	cp "$f" "$r/lib/modules/"
	basename "$f" >>"$r/lib/modules/order"
done <"$tmp/order.inner"
touch "$r/lib/modules/order"
# udhcpc's hook (run as "SCRIPT EVENT", the lease in the environment):
# the address and the default route; what it got in /tmp/lease.
mkdir -p "$r/etc"
cat >"$r/etc/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
case $1 in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route add default via "$r" dev "$interface"; break; done
	echo "ip=$ip mask=$mask router=$router dns=$dns" >/tmp/lease ;;
esac
exit 0
SCRIPT
chmod +x "$r/etc/udhcpc.sh"
cat >"$r/init" <<INIT
#!/bin/sh
HELLO='$HELLO'
INIT
cat >>"$r/init" <<'INIT'
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "INNER: up"
loaded=""
while read -r m; do
	if insmod "/lib/modules/$m" 2>/tmp/err; then
		loaded="$loaded${loaded:+,}${m%.ko}"
	else
		echo "INNER: insmod-failed=${m%.ko} $(head -n 1 /tmp/err)"
	fi
done </lib/modules/order
echo "INNER: cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "INNER: mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
echo "INNER: modules=${loaded:-none}"
echo "INNER: cmdline=$(cat /proc/cmdline)"
action=poweroff
for a in $(cat /proc/cmdline); do
	case $a in inner.action=*) action=${a#inner.action=} ;; esac
done
echo "INNER: action=$action"
# The virtio-blk disks are told apart by their serial (vmm's -d ...,serial=ID).
disk_by_serial() {
	for d in /sys/block/vd*; do
		[ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] && echo "${d##*/}" && return 0
	done
	echo "INNER: no disk with serial $1 ($(ls /sys/block | tr '\n' ' '))" >&2
	return 1
}
# A fresh token: what the guest writes, printed, then looked for on the host side.
tok=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
raw_write() {	# the token at byte 4096 of the disk "raw", then fsync (a FLUSH)
	d=$(disk_by_serial raw) || return 1
	printf '%s' "$tok" | dd of="/dev/$d" bs=512 seek=8 conv=sync,fsync 2>/tmp/err ||
		{ echo "INNER: raw-failed=$(tail -n 1 /tmp/err)"; return 1; }
}
disk_ext4() {	# mount the disk "ext4", check hello.txt, write written.txt, unmount
	d=$(disk_by_serial ext4) || return 1
	mkdir -p /mnt
	mount -t ext4 "/dev/$d" /mnt 2>/tmp/err ||
		{ echo "INNER: disk-failed=mount: $(tail -n 1 /tmp/err)"; return 1; }
	hello=$(cat /mnt/hello.txt)
	echo "INNER: hello=$hello"
	if [ "$hello" != "$HELLO" ]; then
		echo "INNER: disk-failed=hello.txt holds '$hello', expected '$HELLO'"
		umount /mnt
		return 1
	fi
	{ echo "$tok" >/mnt/written.txt && sync; } 2>/tmp/err ||
		{ echo "INNER: disk-failed=write: $(tail -n 1 /tmp/err)"; umount /mnt; return 1; }
	# DISCARD requests for the free space (vmm: fallocate PUNCH_HOLE).
	fstrim /mnt 2>/tmp/err && echo "INNER: fstrim=ok" ||
		echo "INNER: fstrim=failed: $(tail -n 1 /tmp/err)"
	umount /mnt 2>/tmp/err || { echo "INNER: disk-failed=umount: $(tail -n 1 /tmp/err)"; return 1; }
	echo "INNER: disk ok"
}
disk_ro() {	# the disk "ext4" given read-only: flagged, writes refused, readable
	d=$(disk_by_serial ext4) || return 1
	echo "INNER: ro_flag=$(cat "/sys/block/$d/ro")"
	if dd if=/dev/zero of="/dev/$d" bs=512 count=1 conv=notrunc,fsync 2>/tmp/err; then
		echo "INNER: ro_write=accepted"
	else
		echo "INNER: ro_write=refused ($(grep -m 1 -v records /tmp/err))"
	fi
	mkdir -p /mnt
	if mount -t ext4 -o ro "/dev/$d" /mnt 2>/tmp/err; then
		echo "INNER: hello=$(cat /mnt/hello.txt)"
		umount /mnt
	else
		echo "INNER: ro-mount-failed=$(tail -n 1 /tmp/err)"
	fi
}
rng_check() {
	echo "INNER: rng_current=$(cat /sys/class/misc/hw_random/rng_current 2>&1)"
	echo "INNER: rng_available=$(cat /sys/class/misc/hw_random/rng_available 2>&1)"
	echo "INNER: hwrng=$(head -c 64 /dev/hwrng 2>/tmp/err | od -An -v -tx1 | tr -d ' \n')$(head -c 100 /tmp/err)"
}
ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 )); }
# arg KEY DEFAULT: inner.KEY=VALUE from the command line
arg() {
	v=$2
	for a in $(cat /proc/cmdline); do
		case $a in "inner.$1="*) v=${a#"inner.$1="} ;; esac
	done
	echo "$v"
}
stats() { cat "/sys/class/net/eth0/statistics/$1" 2>/dev/null || echo 0; }
# avg B0 P0 B1 P1: average bytes per packet between two counter readings
avg() { [ "$4" -gt "$2" ] && echo $(( ($3 - $1) / ($4 - $2) )) || echo 0; }
# Mbit/s for BYTES in MS milliseconds
mbps() { [ "$2" -gt 0 ] && echo $(( $1 * 8 / $2 / 1000 )).$(( $1 * 8 / $2 % 1000 / 100 )) || echo 0; }
# The virtio-net device on the tap vmmtap0 in the outer guest (192.168.100.1).
# "INNER: outer-step=NAME" lines make the outer run its step NAME (its init).
net_tap() {
	kb=$(arg net_kb 4096)
	if [ ! -d /sys/class/net/eth0 ]; then
		echo "INNER: net-failed=no eth0 (interfaces: $(ls /sys/class/net | tr '\n' ' '))"
		return 1
	fi
	echo "INNER: net_mac=$(cat /sys/class/net/eth0/address)"
	# The negotiated virtio feature bits, bit 0 first.
	echo "INNER: net_features=$(cat /sys/class/net/eth0/device/features 2>&1)"
	ip link set lo up
	if ! { ip addr add 192.168.100.2/24 dev eth0 && ip link set eth0 up; } 2>/tmp/err; then
		echo "INNER: net-failed=ip: $(tail -n 1 /tmp/err)"
		return 1
	fi
	# TSO/GSO frames of at least 8 segments whenever TCP has that much to send
	# (the default 2 makes the frame-size check below depend on the speed).
	echo 8 >/proc/sys/net/ipv4/tcp_min_tso_segs
	head -c $((kb * 1024)) /dev/urandom >/tmp/tx.dat
	echo "INNER: net_tx_md5=$(md5sum </tmp/tx.dat | cut -d ' ' -f 1)"
	# The outer configures 192.168.100.1 on its tap and listens on port 5001.
	echo "INNER: outer-step=net_tap"
	i=0
	until ping -c 1 -W 1 192.168.100.1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 30 ] || { echo "INNER: net-failed=192.168.100.1 never answered"; return 1; }
	done
	ping -c 3 -i 0.2 192.168.100.1 >/tmp/ping 2>&1
	echo "INNER: net_ping=$(sed -n 's/.*transmitted, \([0-9]*\) packets received.*/\1/p' /tmp/ping)/3 rtt_ms=$(sed -n 's|^round-trip min/avg/max = ||p' /tmp/ping)"
	# guest to host: the outer's nc -l on 5001 writes what arrives to a file
	b0=$(stats tx_bytes) p0=$(stats tx_packets) t0=$(ms)
	nc 192.168.100.1 5001 </tmp/tx.dat 2>/tmp/err || echo "INNER: net-tx-failed=$(tail -n 1 /tmp/err)"
	t=$(( $(ms) - t0 ))
	echo "INNER: net_tx_ms=$t net_tx_mbps=$(mbps $((kb * 1024)) $t) net_tx_avg_pkt=$(avg "$b0" "$p0" "$(stats tx_bytes)" "$(stats tx_packets)")"
	rm -f /tmp/tx.dat
	# host to guest: listen on 5002 (stdin a fifo that never ends: busybox nc
	# half-closes its socket on end of stdin), then the outer pings us and sends.
	mkfifo /tmp/hold
	exec 5<>/tmp/hold
	b0=$(stats rx_bytes) p0=$(stats rx_packets)
	timeout 120 nc -l -p 5002 <&5 >/tmp/rx.dat 2>/tmp/err &
	pid=$!
	sleep 0.2
	echo "INNER: outer-step=net_rx"
	wait $pid || echo "INNER: net-rx-failed=$(tail -n 1 /tmp/err)"
	exec 5>&-
	echo "INNER: net_rx_bytes=$(wc -c </tmp/rx.dat) net_rx_md5=$(md5sum </tmp/rx.dat | cut -d ' ' -f 1) net_rx_avg_pkt=$(avg "$b0" "$p0" "$(stats rx_bytes)" "$(stats rx_packets)")"
	echo "INNER: net ok"
}
# vmm's user-mode network (-n user,hostfwd=tcp::5555-:5555): DHCP, then a
# line in through the outer's 127.0.0.1:5555 and a token out to the gateway.
net_user() {
	if [ ! -d /sys/class/net/eth0 ]; then
		echo "INNER: user-failed=no eth0 (interfaces: $(ls /sys/class/net | tr '\n' ' '))"
		return 1
	fi
	ip link set lo up
	ip link set eth0 up
	t0=$(ms)
	if ! udhcpc -f -q -n -t 5 -T 1 -i eth0 -s /etc/udhcpc.sh >/tmp/udhcpc.log 2>&1; then
		echo "INNER: user-failed=udhcpc: $(tail -n 1 /tmp/udhcpc.log)"
		return 1
	fi
	echo "INNER: user_dhcp_ms=$(( $(ms) - t0 )) $(cat /tmp/lease)"
	echo "INNER: user_addr=$(ip -4 addr show dev eth0 | sed -n 's/^ *inet \([0-9./]*\).*/\1/p' | head -n 1) user_route=$(ip route show default | sed -n 's/^default via \([0-9.]*\).*/\1/p' | head -n 1)"
	# in: hostfwd tcp::5555-:5555 (the outer sends a line to its 127.0.0.1:5555)
	mkfifo /tmp/hold
	exec 5<>/tmp/hold
	timeout 30 nc -l -p 5555 <&5 >/tmp/fwd.in 2>/tmp/err &
	pid=$!
	sleep 0.2
	echo "INNER: outer-step=user_fwd"
	wait $pid || echo "INNER: user-fwd-failed=$(tail -n 1 /tmp/err)"
	echo "INNER: user_fwd_in=$(head -n 1 /tmp/fwd.in)"
	# out: the gateway 10.0.2.2 is the outer's loopback; it listens on 5556
	i=0
	until echo "$tok" | nc -w 5 10.0.2.2 5556 2>/tmp/err; do
		i=$((i + 1))
		[ $i -lt 10 ] || { echo "INNER: user-gw-failed=$(tail -n 1 /tmp/err)"; return 1; }
		sleep 0.3
	done
	sleep 1	# the outer prints what it got now: one console, lines must not interleave
	echo "INNER: user_gw_sent=$tok"
	exec 5>&-
	echo "INNER: user ok"
}
case $action in
panic) echo c >/proc/sysrq-trigger ;;
net) net_tap ;;
user) net_user ;;
hang) while :; do sleep 3600; done ;;
disk)
	disk_ext4
	raw_write && echo "INNER: token=$tok"
	;;
ro) disk_ro ;;
flushkill)
	# The outer kills vmm with SIGKILL on "flushed": the token must be in the file.
	raw_write && echo "INNER: token=$tok" && echo "INNER: flushed"
	while :; do sleep 3600; done
	;;
rng) rng_check ;;
fs)
	# vmm --fs /shared,tag=share (the outer's directory): read, list, write,
	# rename, delete; the symlinks out of it lead into this guest's tree.
	mkdir -p /mnt
	if mount -t virtiofs share /mnt 2>/tmp/err; then
		echo "INNER: fs_read=$(cat /mnt/hello.txt)"
		echo "INNER: fs_list=$(ls /mnt | tr '\n' ' ')"
		echo "INNER: fs_escape=$(cat /mnt/out/secret /mnt/up/secret-dir/secret 2>&1 | tr '\n' ';' | cut -c 1-200)"
		echo "written-by-the-inner" >/mnt/from-inner.txt && mkdir /mnt/newdir &&
			mv /mnt/from-inner.txt /mnt/newdir/moved.txt && rm /mnt/delete-me.txt && sync &&
			echo "INNER: fs_changes=done"
		umount /mnt && echo "INNER: fs_umount=ok"
	else
		echo "INNER: fs_mount_failed=$(tr '\n' ' ' </tmp/err)"
	fi
	;;
button)
	# vmm's power key (gpio-keys on its PL061): the outer runs vmm shutdown
	# once this waits on the key's input device, as acpid or systemd-logind would.
	ev=
	for d in /sys/class/input/event*; do
		case $(cat "$d/device/name" 2>/dev/null) in gpio-keys|gpio_keys) ev=/dev/input/${d##*/} ;; esac
	done
	echo "INNER: power_key=${ev:-none} ($(cat /sys/class/input/*/name 2>/dev/null | tr '\n' ','))"
	if [ -n "$ev" ]; then
		echo "INNER: outer-step=power_button"
		dd if="$ev" of=/dev/null bs=24 count=1 2>/dev/null && echo "INNER: power key pressed"
	fi
	;;
pci)
	# vmm --virtio-transport pci: what the PCI core found and bound, then the
	# devices through it, then how their interrupts arrived.
	for f in /sys/bus/pci/devices/*; do
		drv=$(readlink "$f/driver" 2>/dev/null)
		echo "INNER: pci_fn=${f##*/} id=$(cat "$f/vendor"):$(cat "$f/device") driver=${drv##*/}"
	done
	disk_ro
	rng_check
	# Per virtio interrupt line: MSI (the ITS) or not, and the count.
	n=$(grep -c ^processor /proc/cpuinfo)
	echo "INNER: pci_irqs=$(awk -v n="$n" '/virtio/ { c = 0; for (i = 2; i <= n + 1; i++) c += $i
		if ($(n + 2) ~ /MSI/) { m++; mc += c } else { o++; oc += c } }
		END { printf "msi_lines=%d msi_count=%d other_lines=%d other_count=%d", m, mc, o, oc }' /proc/interrupts)"
	;;
hvc)
	# This init's stdout is ttyS0 (hvc0 came with the module, after boot):
	# the line below can only reach vmm's output through virtio-console.
	echo "INNER: consoles=$(sed -n 's/^\([a-zA-Z0-9]*\) .*/\1/p' /proc/consoles | tr '\n' ' ')"
	if [ -c /dev/hvc0 ]; then
		# One open for both ways: a tty's last close drops its unread input.
		exec 3<>/dev/hvc0
		stty -echo <&3 2>/dev/null
		echo "INNER: hvc ok" >&3 2>/tmp/err || echo "INNER: hvc-failed=$(tail -n 1 /tmp/err)"
		# Only now: Linux drops what hvc0 receives before its port is set up.
		echo "INNER: ready for input"
		read -r -t 20 line <&3
		echo "INNER: hvc_in=$line"
		exec 3>&-
	else
		echo "INNER: hvc-failed=no /dev/hvc0"
	fi
	;;
esac
# Every kernel warning, whatever the console's loglevel (quiet hides them):
# the outer's log check (arm64_log_clean) sees them here.
echo "INNER: kernel_warnings=$(dmesg | grep -E 'WARNING:|BUG:|Oops|soft lockup|rcu.*(stall|self-detected)|Unable to handle' | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ';' | cut -c 1-600)"
# poweroff -f does not wait for what is still in the serial driver's
# buffer: the last INNER: line was once lost that way. Let it drain.
sleep 0.3
poweroff -f
INIT
chmod +x "$r/init"
(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9n) >"$out/inner.cpio.gz.tmp"
mv "$out/inner.cpio.gz.tmp" "$out/inner.cpio.gz"

# --- outer -------------------------------------------------------------------
r=$tmp/outer
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules"
cp "$BUSYBOX" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$KERNEL" "$r/Image"
cp "$out/inner.cpio.gz" "$r/inner.cpio.gz"
while read -r f; do
	cp "$f" "$r/lib/modules/"
	basename "$f" >>"$r/lib/modules/order"
done <"$tmp/order.outer"
touch "$r/lib/modules/order"
if [ -f "$VMM_ARM64" ]; then
	cp "$VMM_ARM64" "$r/vmm-arm64"
	chmod +x "$r/vmm-arm64"
fi
# The flat test binary (tests/e2e-arm64/flat, make arm64-flat) for the flat* runs.
[ -z "$FLAT_BIN" ] || cp "$FLAT_BIN" "$r/flat.bin"
# exec: vmm --exec on the outer's own root, which then holds the inner
# kernel's modules where vmm looks for them (/lib/modules/RELEASE: only the
# virtio, fuse and pvpanic ones), and the command, a script.
kmods=$r/lib/modules/$(basename "$MODULES")
mkdir -p "$kmods/kernel/drivers/misc" "$kmods/kernel/fs"
# (Debian's arm64 kernel has no pvpanic at all.)
for d in drivers/virtio drivers/misc/pvpanic fs/fuse; do
	[ ! -d "$MODULES/kernel/$d" ] || cp -r "$MODULES/kernel/$d" "$kmods/kernel/$(dirname "$d")/"
done
cp "$MODULES/modules.builtin" "$kmods/"
cat >"$r/exec.sh" <<'EXEC'
#!/bin/sh
echo "EXEC: cwd=$(pwd) machine=$(uname -m) root=$(grep ' / ' /proc/mounts | tail -n 1 | cut -d ' ' -f 3,4 | cut -c 1-11)"
i=1
while [ $i -le 50 ]; do
	echo "EXEC: line-$i"
	i=$((i + 1))
done
exit 7
EXEC
chmod +x "$r/exec.sh"
if [ -n "$E2E_RUNS" ]; then
	grep -v '^#' "$E2E_RUNS" >"$r/runs"
else
	cat >"$r/runs" <<'RUNS'
boot1|1|120|inner.action=poweroff
boot2|2|120|inner.action=poweroff
panic|1|120|inner.action=panic panic=-1
hang|1|20|inner.action=hang
disk|2|120|inner.action=disk|-d /disk.img,serial=ext4 -d /raw.img,serial=raw
ro|1|120|inner.action=ro|-d /disk.img,ro,serial=ext4
flushkill|1|120|inner.action=flushkill|-d /raw.img,serial=raw|INNER: flushed
rng|1|120|inner.action=rng|--rng
hvc|1|120|inner.action=hvc|--console virtio||typed-into-vmm
button|1|120|inner.action=button|--api-socket /tmp/vmm-api.sock
fs|1|120|inner.action=fs|--fs /shared,tag=share
exec|1|120|inner.exec=1|--exec /exec.sh
net|1|120|inner.action=net inner.net_lo=1|-n tap,ifname=vmmtap0,mac=52:54:00:12:34:56
pci|2|120|inner.action=pci|--virtio-transport pci -d /disk.img,ro,serial=ext4 --rng
user|1|120|inner.action=user|-n user,hostfwd=tcp::5555-:5555
flat|1|20|flat.x=1|-k /flat.bin --exact-cmdline
flatpmu|1|20|flat.pmu=1|-k /flat.bin --exact-cmdline --pmu
flatgic2|1|20|flat.gic=2|-k /flat.bin --exact-cmdline --irqchip gicv2
flatv3|1|20|flat.its=0|-k /flat.bin --exact-cmdline --irqchip gicv3
flatits|1|20|flat.its=1|-k /flat.bin --exact-cmdline --irqchip gicv3-its
RUNS
fi
cat >"$r/init" <<INIT
#!/bin/sh
INNER_MEM=$INNER_MEM
INIT
cat >>"$r/init" <<'INIT'
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 )); }
echo "OUTER: start uptime_ms=$(ms)"
if [ -c /dev/kvm ]; then echo "OUTER: kvm=yes"; else echo "OUTER: kvm=no"; fi
# QEMU's virtio-blk disk with serial e2e-ext4 (the host's ext4 image) is
# /disk.img; /raw.img is a 1 MiB file on the rootfs, zeroed before each run.
while read -r m; do
	insmod "/lib/modules/$m" 2>/tmp/err || echo "OUTER: insmod-failed=${m%.ko} $(head -n 1 /tmp/err)"
done </lib/modules/order
for d in /sys/block/vd*; do
	[ "$(cat "$d/serial" 2>/dev/null)" = e2e-ext4 ] && ln -s "/dev/${d##*/}" /disk.img
done
[ -e /disk.img ] && echo "OUTER: disk=$(readlink /disk.img) sectors=$(cat "/sys/block/$(basename "$(readlink /disk.img)")/size")"
# The virtio-net run (inner.action=net, vmm -n tap,ifname=vmmtap0): the
# inner asks for the steps below with "INNER: outer-step=NAME"; they run in
# the background ($name, $extra, $timeout: the run's). Sizes: inner.net_kb=.
run_arg() {	# KEY DEFAULT: inner.KEY=VALUE from the run's command line
	v=$2
	for a in $extra; do case $a in "inner.$1="*) v=${a#"inner.$1="} ;; esac; done
	echo "$v"
}
fs_prep() {	# a shared directory, with ways out of it that must lead nowhere
	mkdir -p /shared /secret-dir
	echo hello-from-the-outer >/shared/hello.txt
	echo >/shared/delete-me.txt
	echo HOST-SECRET >/secret-dir/secret
	ln -sf /secret-dir /shared/out
	ln -sf .. /shared/up
}
net_prep() {	# before vmm starts: the data the outer sends, listeners' stdin
	echo 8 >/proc/sys/net/ipv4/tcp_min_tso_segs	# GSO frames of 8+ segments (the inner too)
	head -c $(( $(run_arg net_kb 4096) * 1024 )) /dev/urandom >/tmp/rx.dat
	net_rx_md5=$(md5sum </tmp/rx.dat | cut -d ' ' -f 1)
	rm -f /tmp/hold
	mkfifo /tmp/hold	# busybox nc half-closes at the end of its stdin: one that never ends
}
step_power_button() {	# press the inner's power key; vmm shutdown waits for vmm to exit
	/vmm-arm64 shutdown /tmp/vmm-api.sock 2>&1 | sed 's/^/OUTER: /'
	echo "OUTER: power_button shutdown_done"
}
step_net_tap() {	# address the tap, then receive the inner's data on port 5001
	exec 5<>/tmp/hold
	timeout "$timeout" nc -l -p 5001 <&5 >/tmp/tx.out 2>/tmp/nc.err &
	p=$!
	echo $p >>/tmp/steps.pid
	if ip addr add 192.168.100.1/24 dev vmmtap0 2>/tmp/ip.err && ip link set vmmtap0 up 2>>/tmp/ip.err; then
		echo "OUTER: run $name tap=$(cat /sys/class/net/vmmtap0/address)"
	else
		echo "OUTER: run $name tap=failed: $(tail -n 1 /tmp/ip.err)"
	fi
	wait $p || echo "OUTER: run $name tx=failed: $(tail -n 1 /tmp/nc.err)"
	echo "OUTER: run $name tx_bytes=$(wc -c </tmp/tx.out) tx_md5=$(md5sum </tmp/tx.out | cut -d ' ' -f 1)"
	rm -f /tmp/tx.out
}
step_net_rx() {	# ping the inner, then send it /tmp/rx.dat on port 5002
	ping -c 3 -i 0.2 192.168.100.2 >/tmp/ping 2>&1
	echo "OUTER: run $name ping=$(sed -n 's/.*transmitted, \([0-9]*\) packets received.*/\1/p' /tmp/ping)/3 rtt_ms=$(sed -n 's|^round-trip min/avg/max = ||p' /tmp/ping)"
	t0=$(ms)
	nc 192.168.100.2 5002 </tmp/rx.dat 2>/tmp/nc2.err &
	p=$!
	echo $p >>/tmp/steps.pid	# a vmm gone (a stall, --timeout) must not leave it retrying for minutes
	wait $p || echo "OUTER: run $name rx=failed: $(tail -n 1 /tmp/nc2.err)"
	echo "OUTER: run $name rx_ms=$(( $(ms) - t0 )) rx_md5=$net_rx_md5"
}
# The user-mode network run (inner.action=user, vmm -n user,hostfwd=...):
# lo carries the forwarded port and the inner's connections to 10.0.2.2.
user_prep() {
	ip link set lo up
	user_tok=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	rm -f /tmp/hold
	mkfifo /tmp/hold
}
step_user_fwd() {	# listen on 5556 (the inner's 10.0.2.2:5556), send a line to the hostfwd
	exec 5<>/tmp/hold
	timeout "$timeout" nc -l -p 5556 <&5 >/tmp/gw.out 2>/tmp/nc.err &
	p=$!
	echo $p >>/tmp/steps.pid
	if echo "$user_tok" | nc -w 5 127.0.0.1 5555 2>/tmp/nc2.err; then
		echo "OUTER: run $name fwd_sent=$user_tok"
	else
		echo "OUTER: run $name fwd=failed: $(tail -n 1 /tmp/nc2.err)"
	fi
	wait $p || echo "OUTER: run $name gw=failed: $(tail -n 1 /tmp/nc.err)"
	echo "OUTER: run $name gw_in=$(head -n 1 /tmp/gw.out)"
	rm -f /tmp/gw.out
}
net_loopback() {	# the baseline: the same transfer inside the outer, over lo
	ip link set lo up
	exec 5<>/tmp/hold
	nc -l -p 5003 <&5 >/dev/null &
	p=$!
	sleep 0.2
	t0=$(ms)
	nc 127.0.0.1 5003 </tmp/rx.dat
	echo "OUTER: run $name lo_ms=$(( $(ms) - t0 ))"
	wait $p
	exec 5>&-
}
# vmm.hostnet=KB on the outer's command line (make bench): QEMU's own
# virtio-net to a tap on the host (192.168.101.1, the harness's nc), the
# baseline for vmm's: KB of random data to the host's port 5101, then as much
# back on port 5102. Run before the inner guests, with nothing else running.
host_net() {
	kb=$1
	ip link set lo up
	if ! { ip addr add 192.168.101.2/24 dev eth0 && ip link set eth0 up; } 2>/tmp/err; then
		echo "OUTER: hostnet failed=$(tail -n 1 /tmp/err)"
		return 1
	fi
	echo 8 >/proc/sys/net/ipv4/tcp_min_tso_segs
	head -c $((kb * 1024)) /dev/urandom >/tmp/hn.dat
	md5=$(md5sum </tmp/hn.dat | cut -d ' ' -f 1)
	i=0	# the host addresses its tap (after its listener is up) once QEMU made it
	until ping -c 1 -W 1 192.168.101.1 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 60 ] || { echo "OUTER: hostnet failed=192.168.101.1 never answered"; return 1; }
	done
	t0=$(ms)
	nc 192.168.101.1 5101 </tmp/hn.dat
	echo "OUTER: hostnet tx_ms=$(( $(ms) - t0 )) tx_md5=$md5"
	rm -f /tmp/hn.dat /tmp/hold
	mkfifo /tmp/hold
	exec 5<>/tmp/hold
	timeout 120 nc -l -p 5102 <&5 >/tmp/hn.dat &
	p=$!
	sleep 0.2
	echo "OUTER: hostnet listening"
	wait $p
	exec 5>&-
	echo "OUTER: hostnet rx_bytes=$(wc -c </tmp/hn.dat) rx_md5=$(md5sum </tmp/hn.dat | cut -d ' ' -f 1)"
	rm -f /tmp/hn.dat /tmp/hold
}
for a in $(cat /proc/cmdline); do
	case $a in vmm.hostnet=*) host_net "${a#vmm.hostnet=}" ;; esac
done
cr=$(printf '\r')
if [ ! -x /vmm-arm64 ]; then
	echo "OUTER: vmm=missing"
elif [ -c /dev/kvm ]; then
	# NAME|CPUS|TIMEOUT|EXTRA-CMDLINE[|VMM-ARGS[|KILL-ON]]: KILL-ON is a line of
	# vmm's output upon which vmm gets SIGKILL.
	while IFS='|' read -r name cpus timeout extra args kill_on input; do
		[ -n "$name" ] || continue
		echo "OUTER: run $name start"
		dd if=/dev/zero of=/raw.img bs=64k count=16 2>/dev/null
		ro_disks=""
		set -- $args
		while [ $# -gt 1 ]; do
			[ "$1" = -d ] && case $2 in *,ro|*,ro,*) ro_disks="$ro_disks ${2%%,*}" ;; esac
			shift
		done
		md5s="" t0=$(ms)
		for f in $ro_disks; do md5s="$md5s $(md5sum <"$f" | cut -d ' ' -f 1)"; done
		md5_ms=$(( $(ms) - t0 ))
		rm -f /tmp/rc /tmp/pid
		rm -f /tmp/input
		if [ -n "$input" ]; then
			mkfifo /tmp/input && exec 4<>/tmp/input
		else
			ln -s /dev/null /tmp/input
		fi
		case " $extra " in
		*" inner.action=net "*) net_prep ;;
		*" inner.action=user "*) user_prep ;;
		*" inner.action=fs "*) fs_prep ;;
		esac
		t0=$(ms)
		# Timestamp the inner's first marker (vmm start -> inner userspace).
		# --exec builds its own initramfs.
		initrd="-i /inner.cpio.gz"
		case " $args " in *" --exec "*) initrd= ;; esac
		{ /vmm-arm64 run -k /Image $initrd -c "$cpus" -m "$INNER_MEM" --no-reboot \
			--timeout "$timeout" $args -p "quiet $extra inner.run=$name" </tmp/input 2>&1 &
		  echo $! >/tmp/pid
		  wait $!
		  echo $? >/tmp/rc; } |
		{ while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			*"INNER: up"*)
				echo "OUTER: run $name up_ms=$(( $(ms) - t0 ))"
				# vmm's own memory: RSS outside the guest RAM mapping
				p=$(cat /tmp/pid 2>/dev/null)
				[ -r "/proc/$p/smaps" ] && awk -v g=$((INNER_MEM * 1024)) -v n="$name" '
					/^Size:/ { guest = ($2 == g) }
					/^Rss:/ { if (guest) gr += $2; else o += $2 }
					END { printf "OUTER: run %s rss_vmm_kb=%d rss_guest_kb=%d\n", n, o, gr }' \
					"/proc/$p/smaps" ;;
			*"INNER: outer-step="*)
				step=${line##*outer-step=}
				step=${step%"$cr"}
				case $step in
				net_tap|net_rx|user_fwd|power_button) step_$step & ;;
				*) echo "OUTER: run $name unknown-step=$step" ;;
				esac ;;
			esac
			echo "$line"
			if [ -n "$input" ] && [ -z "${line##*"INNER: ready for input"*}" ]; then
				echo "$input" >&4
			fi
			if [ -n "$kill_on" ] && [ -z "${line##*"$kill_on"*}" ]; then
				echo "OUTER: run $name sigkill_ms=$(( $(ms) - t0 ))"
				kill -9 "$(cat /tmp/pid)"
			fi
		done
		# vmm is gone: a listener still waiting will get nothing more.
		[ -f /tmp/steps.pid ] && kill $(cat /tmp/steps.pid) 2>/dev/null
		wait; }	# the steps
		rm -f /tmp/steps.pid
		t1=$(ms)
		[ -z "$input" ] || exec 4>&-
		echo "OUTER: run $name exit=$(cat /tmp/rc 2>/dev/null || echo none) ms=$(( t1 - t0 ))"
		case " $extra " in *" inner.net_lo=1 "*) net_loopback ;; esac
		case " $extra " in *" inner.action=fs "*)
			echo "OUTER: run $name fs_moved=$(cat /shared/newdir/moved.txt 2>&1 | tr ' ' _) fs_deleted=$([ -e /shared/delete-me.txt ] && echo no || echo yes)" ;;
		esac
		rm -f /tmp/rx.dat
		# After vmm is gone: what reached its files.
		case " $args " in *" -d /raw.img"*)
			echo "OUTER: run $name raw=$(dd if=/raw.img bs=512 skip=8 count=1 2>/dev/null | tr -d '\0')" ;;
		esac
		set -- $md5s
		for f in $ro_disks; do
			t0=$(ms)
			sum=$(md5sum <"$f" | cut -d ' ' -f 1)
			echo "OUTER: run $name md5_before=$1 md5_after=$sum file=$f md5_ms=$(( md5_ms + $(ms) - t0 ))"
			shift
		done
		sync
	done </runs
fi
echo "OUTER: done"
poweroff -f
INIT
chmod +x "$r/init"
(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out/outer.cpio.tmp"
mv "$out/outer.cpio.tmp" "$out/outer.cpio"

echo "INNER=$out/inner.cpio.gz"
echo "OUTER=$out/outer.cpio"
