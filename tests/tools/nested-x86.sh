#!/bin/sh
# Run a shell script next to this tree's ./vmm inside an x86 QEMU (TCG,
# -cpu max: emulated SVM, so kvm-amd gives the outer Linux a /dev/kvm).
# For hosts whose own /dev/kvm is missing or cannot run what a test needs.
#   sh tests/tools/nested-x86.sh SCRIPT [FILE...]
# The outer's root is a busybox initramfs with /bin/vmm (and the libraries
# it loads), SCRIPT as /script and each FILE in /files/. Its init runs
# /script with /bin/sh and powers off; everything is printed on stdout,
# and the last line is "NESTED: exit=N" (SCRIPT's status).
# Environment: VMM (binary, default ./vmm), NESTED_TIMEOUT (s, default 300),
# NESTED_MEM (the outer's RAM in MiB, default 1024).
set -e
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VMM=${VMM:-$TOP/vmm}
script=$1
[ -f "$script" ] || { echo "usage: nested-x86.sh SCRIPT [FILE...]" >&2; exit 2; }
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud)
moddir=$(ls -d "$(dirname "$kernel")"/../lib/modules/*/ | head -n 1)

root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/files"
cp "$(command -v busybox)" "$root/bin/busybox"
for c in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$c" ] || ln -s busybox "$root/bin/$c"
done
sh "$TOP/guest/kmods.sh" "$moddir" "$root/lib/modules" kvm-amd virtio_pci virtio_blk
cp "$VMM" "$root/bin/vmm"
# The libraries of vmm and of every FILE that is a dynamic executable.
for lib in $(for f in "$VMM" "$@"; do ldd "$f" 2>/dev/null; done |
		sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$script" "$root/script"
for f in "$@"; do cp "$f" "$root/files/"; done
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/load); do insmod /lib/modules/$m.ko; done
echo
echo "NESTED: kvm=$([ -c /dev/kvm ] && echo yes || echo no)"
cd /tmp
sh /script
echo "NESTED: exit=$?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/root.cpio.gz"
timeout -k 5 "${NESTED_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "${NESTED_MEM:-1024}" \
	-nographic -no-reboot -kernel "$kernel" -initrd "$work/root.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1" </dev/null | tr -d '\r'
