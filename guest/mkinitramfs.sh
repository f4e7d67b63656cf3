#!/bin/sh
# Build a busybox initramfs whose init reports and powers off; prints its path.
#   guest/mkinitramfs.sh [kernel]
# With the kernel of a Debian package unpacked by guest/fetch-kernel.sh, the
# virtio modules it ships (virtio_pci, virtio_blk, ...) go in too and init
# loads them, then reports what it finds (VMM-INIT: lines) and powers off.
# Cached by busybox version and kernel release.
set -e
cache=${VMM_CACHE:-$HOME/.cache/vmm}
bb=/bin/busybox
[ -x "$bb" ] && "$bb" --help 2>&1 | grep -q 'static' || bb=$(command -v busybox)
[ -n "$bb" ] || { echo "mkinitramfs: busybox-static is not installed" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
moddir=
if [ -n "$1" ]; then
	moddir=$(ls -d "$(dirname "$1")"/../lib/modules/*/ 2>/dev/null | head -n 1)
fi
kver=$(basename "${moddir:-none}")
# Keyed by this script's own checksum: a change to the init below is a new image.
out=$cache/initramfs-busybox-$ver-$kver-$(cksum <"$0" | cut -d' ' -f1).cpio.gz

if [ ! -f "$out" ]; then
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/lib/modules"
	cp "$bb" "$tmp/bin/busybox"
	mknod "$tmp/dev/console" c 5 1	# the kernel opens it before init runs
	for c in sh mount echo cat grep wc poweroff sleep uname ls ps setsid cttyhack dmesg \
		 insmod head dd od tr ip udhcpc true sync sed stty find xargs stat; do
		ln -s busybox "$tmp/bin/$c"
	done
	: >"$tmp/lib/modules/load"
	[ -z "$moddir" ] || sh "$(dirname "$0")/kmods.sh" "$moddir" "$tmp/lib/modules" \
		virtio_pci virtio_mmio virtio_blk virtio-rng virtio_net virtio_console pvpanic-mmio \
		button evdev fuse virtiofs
	cat >"$tmp/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# console=hvc0 with virtio_console a module: no console yet, use ttyS0 until it loads.
[ -t 1 ] || exec </dev/ttyS0 >/dev/ttyS0 2>&1
echo "VMM-INIT: cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "VMM-INIT: mem=$(grep MemTotal /proc/meminfo)"
echo "VMM-INIT: cmdline=$(cat /proc/cmdline)"
# Module parameters from the command line (virtio_mmio.device=...), as modprobe would.
for m in $(cat /lib/modules/load); do
	insmod /lib/modules/$m.ko $(tr ' ' '\n' </proc/cmdline | sed -n "s/^$m\.//p") ||
		echo "VMM-INIT: insmod $m failed"
done
sleep 0.5	# let the drivers probe
echo "VMM-INIT: virtio devices=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')"
[ -n "$(ls /sys/bus/virtio/devices 2>/dev/null)" ] ||
	echo "VMM-INIT: no virtio devices; dmesg: $(dmesg | grep -i virtio | tail -n 3 | tr '\n' ';')"
echo "VMM-INIT: virtio-pci functions=$(ls /sys/bus/pci/drivers/virtio-pci 2>/dev/null | grep -c :)"
echo "VMM-INIT: virtio msi=$(grep -c 'PCI-MSI.*virtio' /proc/interrupts)"
# vmm.seek=N: write a line into sector N of the first disk (tests read it back)
seek=$(sed -n 's/.*vmm\.seek=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -b /dev/vda ]; then
	echo "VMM-INIT: vda reads=$(head -c 16 /dev/vda)"
	if [ -n "$seek" ] &&
	   echo "VMM-INIT-WROTE-SECTOR-$seek" | dd of=/dev/vda bs=512 seek=$seek conv=sync,fsync 2>/dev/null; then
		echo "VMM-INIT: vda write ok"
	fi
fi
if [ -c /dev/hwrng ]; then
	echo "VMM-INIT: hwrng=$(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
fi
if ip link set eth0 up 2>/dev/null; then
	udhcpc -i eth0 -n -q -t 5 -s /bin/true 2>&1 | grep -o 'lease of [0-9.]* obtained' |
		sed 's/^/VMM-INIT: dhcp=/'
fi
# What the kernel said about the machine vmm described, errors only.
echo "VMM-INIT: firmware_errors=$(dmesg | grep -E 'ACPI (Error|Warning|BIOS)|i8042.*(fail|Can.t)|failed to claim|probe (of|with driver) .* failed|pci .*(BAR .* no space|can.t claim)' | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ';')"
echo "VMM-INIT: pvpanic=$(ls /sys/bus/platform/drivers/pvpanic-mmio 2>/dev/null | grep -c QEMU0001)"
if [ -c /dev/hvc0 ]; then
	# One open for both ways: Linux drops what hvc0 gets while it is closed.
	exec 3<>/dev/hvc0
	# No echo, as in the arm64 harness: with it on, this Linux sometimes
	# hands the typed line to read(2) twice ("typed-into-vmmtyped-into-vmm",
	# its echo missing from hvc0's output) although vmm read it once from its
	# stdin and pushed it once to the receive queue (traced, 1 in 10 runs).
	stty -echo <&3 2>/dev/null
	echo "VMM-INIT: hvc0 ok" >&3
	echo "VMM-INIT: ready for input"
	read -t 20 line <&3 && echo "VMM-INIT: hvc0_in=$line"
	exec 3>&-
fi
# Every kernel warning, whatever the console's loglevel (quiet hides them).
echo "VMM-INIT: tainted=$(cat /proc/sys/kernel/tainted)"
echo "VMM-INIT: kernel_warnings=$(dmesg | grep -E 'WARNING:|BUG:|Oops|soft lockup|rcu.*(stall|self-detected)|Unable to handle' | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ';' | cut -c 1-600)"
case $(sed -n 's/.*vmm\.action=\([a-z]*\).*/\1/p' /proc/cmdline) in
panic) echo "VMM-INIT: panicking"; echo c >/proc/sysrq-trigger ;;
fs|fsro)
	# vmm --fs: the shared directory, tag "share". fs: read, list, write,
	# rename, delete, and follow the symlinks out of it (which lead into
	# this guest's own tree, never the host's); fsro: every change refused.
	mkdir -p /mnt
	if mount -t virtiofs share /mnt 2>/tmp/err; then
		echo "VMM-INIT: fs_read=$(cat /mnt/hello.txt)"
		echo "VMM-INIT: fs_list=$(ls /mnt | tr '\n' ' ')"
		echo "VMM-INIT: fs_escape=$(cat /mnt/out/secret /mnt/up/secret-dir/secret 2>&1 | tr '\n' ';' | cut -c 1-200)"
		if grep -q fsro /proc/cmdline; then
			echo "VMM-INIT: fsro_write=$( (echo x >/mnt/ro-test.txt) 2>&1 | head -n 1)"
			echo "VMM-INIT: fsro_rm=$(rm /mnt/hello.txt 2>&1 | head -n 1)"
		else
			echo "written-by-the-inner" >/mnt/from-inner.txt &&
				mkdir /mnt/newdir && mv /mnt/from-inner.txt /mnt/newdir/moved.txt &&
				rm /mnt/delete-me.txt && sync && echo "VMM-INIT: fs_changes=done"
		fi
		umount /mnt && echo "VMM-INIT: fs_umount=ok"
	else
		echo "VMM-INIT: fs_mount_failed=$(tr '\n' ' ' </tmp/err)"
	fi ;;
fsbench)
	# make bench's virtio-fs figures: a big file read, a tree of small files
	# walked and stat'ed, through the share (the outer times the same on its own).
	ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 )); }
	mkdir -p /mnt
	if mount -t virtiofs share /mnt 2>/tmp/err; then
		t0=$(ms)
		cat /mnt/big >/dev/null
		echo "VMM-INIT: fsbench_read_ms=$(( $(ms) - t0 ))"
		t0=$(ms)
		n=$(find /mnt/tree -type f | xargs stat -c %s | wc -l)
		echo "VMM-INIT: fsbench_tree_ms=$(( $(ms) - t0 )) files=$n"
		umount /mnt
	else
		echo "VMM-INIT: fs_mount_failed=$(tr '\n' ' ' </tmp/err)"
	fi ;;
powerbutton)
	# What acpid does, in the small: the ACPI button driver's input device
	# reports the press; then power off.
	ev=
	for d in /sys/class/input/event*; do
		[ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && ev=/dev/input/${d##*/}
	done
	echo "VMM-INIT: power button=${ev:-none}"
	if [ -n "$ev" ]; then
		echo "VMM-INIT: waiting for the power button"
		dd if="$ev" of=/dev/null bs=24 count=1 2>/dev/null &&
			echo "VMM-INIT: power button pressed"
	fi ;;
esac
echo "VMM-INIT: done"
# vmm.shell on the command line: an interactive shell first (make demo)
if grep -q vmm.shell /proc/cmdline; then
	setsid cttyhack sh -l
fi
poweroff -f
INIT
	chmod +x "$tmp/init"
	mkdir -p "$cache"
	part=$(mktemp "$out.XXXXXX")	# two builders at once: each renames its own
	(cd "$tmp" && find . | cpio -o -H newc 2>/dev/null | gzip -9) >"$part"
	mv "$part" "$out"
	rm -rf "$tmp"
fi
echo "$out"
