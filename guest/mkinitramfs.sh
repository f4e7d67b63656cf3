#!/bin/sh
# Build a busybox initramfs whose init reports and powers off; prints its path.
#   guest/mkinitramfs.sh [kernel]   (cached by busybox version)
set -e
cache=${VMM_CACHE:-$HOME/.cache/vmm}
bb=/bin/busybox
[ -x "$bb" ] && "$bb" --help 2>&1 | grep -q 'static' || bb=$(command -v busybox)
[ -n "$bb" ] || { echo "mkinitramfs: busybox-static is not installed" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
out=$cache/initramfs-busybox-$ver-v2.cpio.gz
if [ ! -f "$out" ]; then
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp"
	cp "$bb" "$tmp/bin/busybox"
	mknod "$tmp/dev/console" c 5 1	# the kernel opens it before init runs
	for c in sh mount echo cat grep wc poweroff sleep uname ls ps setsid cttyhack; do ln -s busybox "$tmp/bin/$c"; done
	cat >"$tmp/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "VMM-INIT: cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "VMM-INIT: mem=$(grep MemTotal /proc/meminfo)"
echo "VMM-INIT: cmdline=$(cat /proc/cmdline)"
echo "VMM-INIT: done"
# vmm.shell on the command line: an interactive shell first (make demo)
if grep -q vmm.shell /proc/cmdline; then
	setsid cttyhack sh -l
fi
poweroff -f
INIT
	chmod +x "$tmp/init"
	mkdir -p "$cache"
	(cd "$tmp" && find . | cpio -o -H newc 2>/dev/null | gzip -9) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$tmp"
fi
echo "$out"
