#!/bin/sh
# Build the two initramfs images of the arm64 end-to-end harness.
#   tests/e2e-arm64/mkinitramfs.sh [OUTDIR]   -> prints INNER=<path> OUTER=<path>
# inner.cpio.gz: busybox, the modules listed in INNER_MODULES with their
#   dependencies (modules.dep order), and an init that prints INNER: markers
#   and then obeys inner.action=poweroff|panic|hang on its command line.
# outer.cpio: busybox, the static vmm-arm64 ($VMM_ARM64, default ./vmm-arm64;
#   left out when missing), the arm64 Image and inner.cpio.gz; its init runs
#   vmm-arm64 once per line of the run table (E2E_RUNS, a file, or the default
#   below) and prints OUTER: markers. Uncompressed: QEMU's TCG inflates slowly.
# Run table lines: NAME|CPUS|TIMEOUT|EXTRA-CMDLINE   (timeout = vmm --timeout)
# The panic run passes panic=-1 so that, whatever vmm's default command line,
# a guest without a pvpanic driver resets at once instead of hanging.
# Inputs come from fetch.sh (run here unless KERNEL/MODULES/BUSYBOX are set).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
out=${1:-${VMM_CACHE:-$HOME/.cache/vmm}/arm64/build}
VMM_ARM64=${VMM_ARM64:-$TOP/vmm-arm64}
INNER_MODULES=${INNER_MODULES:-"pvpanic-mmio virtio_mmio virtio_blk virtio_net virtio_console"}
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

# --- inner -------------------------------------------------------------------
r=$tmp/inner
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules"
cp "$BUSYBOX" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
while read -r f; do
	cp "$f" "$r/lib/modules/"
	basename "$f" >>"$r/lib/modules/order"
done <"$tmp/order"
touch "$r/lib/modules/order"
cat >"$r/init" <<'INIT'
#!/bin/sh
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
case $action in
panic) echo c >/proc/sysrq-trigger ;;
hang) while :; do sleep 3600; done ;;
esac
poweroff -f
INIT
chmod +x "$r/init"
(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9n) >"$out/inner.cpio.gz.tmp"
mv "$out/inner.cpio.gz.tmp" "$out/inner.cpio.gz"

# --- outer -------------------------------------------------------------------
r=$tmp/outer
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
cp "$BUSYBOX" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$KERNEL" "$r/Image"
cp "$out/inner.cpio.gz" "$r/inner.cpio.gz"
if [ -f "$VMM_ARM64" ]; then
	cp "$VMM_ARM64" "$r/vmm-arm64"
	chmod +x "$r/vmm-arm64"
fi
if [ -n "$E2E_RUNS" ]; then
	grep -v '^#' "$E2E_RUNS" >"$r/runs"
else
	cat >"$r/runs" <<'RUNS'
boot1|1|120|inner.action=poweroff
boot2|2|120|inner.action=poweroff
panic|1|120|inner.action=panic panic=-1
hang|1|20|inner.action=hang
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
if [ ! -x /vmm-arm64 ]; then
	echo "OUTER: vmm=missing"
elif [ -c /dev/kvm ]; then
	while IFS='|' read -r name cpus timeout extra; do
		[ -n "$name" ] || continue
		echo "OUTER: run $name start"
		rm -f /tmp/rc
		t0=$(ms)
		# Timestamp the inner's first marker (vmm start -> inner userspace).
		{ /vmm-arm64 run -k /Image -i /inner.cpio.gz -c "$cpus" -m "$INNER_MEM" --no-reboot \
			--timeout "$timeout" -p "quiet $extra inner.run=$name" </dev/null 2>&1
		  echo $? >/tmp/rc; } |
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			*"INNER: up"*) echo "OUTER: run $name up_ms=$(( $(ms) - t0 ))" ;;
			esac
			echo "$line"
		done
		t1=$(ms)
		echo "OUTER: run $name exit=$(cat /tmp/rc 2>/dev/null || echo none) ms=$(( t1 - t0 ))"
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
