#!/bin/sh
# Copy kernel modules and what they need into an initramfs tree.
#   guest/kmods.sh MODDIR DEST MODULE...
# MODDIR: a kernel's /lib/modules/<release> (from its Debian package).
# DEST gets NAME.ko for each module and its dependencies (read from the
# .modinfo section: no depmod needed), and DEST/load lists them in an order
# insmod can follow, dependencies first.
set -e
moddir=$1 dest=$2
shift 2
mkdir -p "$dest"
touch "$dest/load"

add() {
	local name ko d
	name=$(echo "$1" | tr - _)
	grep -qx "$name" "$dest/load" && return 0
	ko=$(find "$moddir" -name "$1.ko*" -o -name "$name.ko*" -o -name "$(echo "$1" | tr _ -).ko*" |
		head -n 1)
	[ -n "$ko" ] || { echo "kmods: no module $1 in $moddir" >&2; exit 1; }
	# Newer Debian kernels compress their modules; busybox insmod wants them plain.
	case $ko in
	*.ko) cp "$ko" "$dest/$name.ko" ;;
	*.ko.xz) xz -dc "$ko" >"$dest/$name.ko" ;;
	*.ko.zst) zstd -qdc "$ko" >"$dest/$name.ko" ;;
	*.ko.gz) gzip -dc "$ko" >"$dest/$name.ko" ;;
	*) echo "kmods: cannot unpack $ko" >&2; exit 1 ;;
	esac
	for d in $(tr '\0' '\n' <"$dest/$name.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		add "$d"
	done
	echo "$name" >>"$dest/load"
}
for m in "$@"; do
	add "$m"
done
