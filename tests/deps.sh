#!/bin/sh
# Install every build and test dependency from Debian (idempotent: quick when
# all are present). Run as root on a fresh Debian 12 machine.
set -e
PKGS="gcc make libc6-dev linux-libc-dev libfdt-dev zlib1g-dev libaio-dev liblzma-dev
liblz4-dev libzstd-dev acpica-tools device-tree-compiler busybox-static cpio tmux curl
qemu-system-x86 qemu-system-arm binutils gcc-aarch64-linux-gnu libc6-dev-arm64-cross
linux-libc-dev-arm64-cross clang libclang-rt-14-dev e2fsprogs iproute2
pkg-config libslirp-dev libglib2.0-dev libjson-c-dev"

sh "$(dirname "$0")/apt-ensure.sh" deps $PKGS
# arm64: Debian's arm64 libraries in a private sysroot for the static cross build
sh "$(dirname "$0")/deps-arm64.sh" build/arm64-sysroot >/dev/null
