#!/bin/sh
# Dependencies of the arm64 cross build (make ARCH=arm64), idempotent and
# quick when everything is present:
# - the cross toolchain, installed as ordinary amd64 packages (needs root);
# - Debian's arm64 libfdt, zlib, liblzma, liblz4, libzstd, libaio, GLib, PCRE2 and json-c, unpacked into a
#   private sysroot (default build/arm64-sysroot) from packages fetched with
#   a private apt state. The host's dpkg architectures and packages are never
#   touched, so nothing can conflict with the amd64 -dev packages x86 builds
#   use;
# - a static libslirp (Debian ships none) built into that sysroot from
#   Debian's source package by tests/slirp-arm64.sh (dpkg-dev unpacks it).
# Usage: tests/deps-arm64.sh [SYSROOT]
set -e
SYSROOT=${1:-build/arm64-sysroot}
CROSS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross dpkg-dev"
# The -dev packages hold the static libraries we link; their headers need
# nothing from the runtime packages.
LIBS="libfdt-dev zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libaio-dev libglib2.0-dev libpcre2-dev libjson-c-dev"
# Built from source into the sysroot (the stamp records it too).
SRCS="libslirp"

sh "$(dirname "$0")/apt-ensure.sh" deps-arm64 $CROSS

stamp="$SYSROOT/.deps-arm64"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$LIBS + $SRCS" ] && exit 0

echo "deps-arm64: fetching arm64$(printf ' %s' $LIBS) into $SYSROOT"
mkdir -p "$SYSROOT"
SYSROOT=$(cd "$SYSROOT" && pwd)
apt_dir="$SYSROOT/.apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
# A private apt state: its own lists and caches, arm64 only.
apt_a64() {
	apt-get -q -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
		-o Dir::State::status=/dev/null -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}
apt_a64 update >/dev/null
(cd "$apt_dir/debs" && rm -f ./*.deb && apt_a64 download $LIBS >/dev/null)
for deb in "$apt_dir/debs"/*.deb; do
	dpkg-deb -x "$deb" "$SYSROOT"
done
for lib in libfdt.a libz.a liblzma.a liblz4.a libzstd.a libaio.a libglib-2.0.a libpcre2-8.a libjson-c.a; do
	if [ ! -f "$SYSROOT/usr/lib/aarch64-linux-gnu/$lib" ]; then
		echo "deps-arm64: $lib missing from the unpacked packages" >&2
		exit 1
	fi
done
sh "$(dirname "$0")/slirp-arm64.sh" "$SYSROOT" "$apt_dir"
# The package lists are large and only needed again for an update.
rm -rf "$apt_dir/lists" "$apt_dir/cache"
echo "$LIBS + $SRCS" >"$stamp"
