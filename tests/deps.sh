#!/bin/sh
# Install every build and test dependency from Debian (idempotent: quick when
# all are present). Run as root on a fresh Debian 12 machine.
set -e
PKGS="gcc make libc6-dev linux-libc-dev libfdt-dev zlib1g-dev libaio-dev liblzma-dev
liblz4-dev libzstd-dev acpica-tools device-tree-compiler busybox-static cpio tmux
qemu-system-x86 qemu-system-arm binutils gcc-aarch64-linux-gnu libc6-dev-arm64-cross
linux-libc-dev-arm64-cross clang libclang-rt-14-dev e2fsprogs"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
# arm64: Debian's arm64 libraries in a private sysroot for the static cross build
sh "$(dirname "$0")/deps-arm64.sh" build/arm64-sysroot >/dev/null
