#!/bin/sh
# A static libslirp for the arm64 cross build, from Debian's source package:
# Debian ships libslirp only as a shared library, and vmm-arm64 is static.
# Called by tests/deps-arm64.sh once the sysroot holds GLib's and PCRE2's
# arm64 -dev packages (libglib-2.0.a, libpcre2-8.a, headers).
#
# The source comes the Debian way: `apt-get source` (dpkg-dev unpacks it and
# applies Debian's patches) with a private apt state whose deb-src entries
# mirror the binary entries the system already uses. Its few .c files (the
# list in its meson.build) are compiled with aarch64-linux-gnu-gcc into
# SYSROOT/usr/lib/aarch64-linux-gnu/libslirp.a, its headers go to
# SYSROOT/usr/include/slirp as `meson install` puts them; no meson needed.
# Keyed by the source version: SYSROOT/.slirp-arm64 holds the one built, and
# the same version is not rebuilt.
# Usage: tests/slirp-arm64.sh SYSROOT APT-DIR
set -e
SYSROOT=$(cd "$1" && pwd)
apt_dir=$2
CC=${CROSS_COMPILE:-aarch64-linux-gnu-}gcc
AR=${CROSS_COMPILE:-aarch64-linux-gnu-}ar
stamp="$SYSROOT/.slirp-arm64"
libdir="$SYSROOT/usr/lib/aarch64-linux-gnu"

# deb-src twins of the system's binary sources (as the private arm64 state
# that deps-arm64.sh just updated resolved them), in a state of their own.
src_apt="$apt_dir/src"
rm -rf "$src_apt"
mkdir -p "$src_apt/lists/partial" "$src_apt/cache/archives/partial" "$src_apt/parts" \
	"$src_apt/build"
apt-get -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status=/dev/null \
	indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
	sort -u | sed 's/^/deb-src /' >"$src_apt/sources.list"
if [ ! -s "$src_apt/sources.list" ]; then
	echo "slirp-arm64: no Debian sources found in the apt configuration" >&2
	exit 1
fi
apt_src() {
	tool=$1
	shift
	"$tool" -q -o Dir::Etc::SourceList="$src_apt/sources.list" \
		-o Dir::Etc::SourceParts="$src_apt/parts" \
		-o Dir::State::Lists="$src_apt/lists" -o Dir::Cache="$src_apt/cache" \
		-o Dir::State::status=/dev/null -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}
apt_src apt-get update >/dev/null
version=$(apt_src apt-cache showsrc --only-source libslirp | sed -n 's/^Version: //p' | sort -V | tail -n 1)
if [ -z "$version" ]; then
	echo "slirp-arm64: no libslirp source package" >&2
	exit 1
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "libslirp $version" ] &&
	[ -f "$libdir/libslirp.a" ]; then
	rm -rf "$src_apt"
	exit 0
fi

echo "deps-arm64: building a static libslirp $version for arm64"
(cd "$src_apt/build" && apt_src apt-get source "libslirp=$version" >../source.log 2>&1) || {
	cat "$src_apt/source.log" >&2
	echo "slirp-arm64: apt-get source libslirp=$version failed" >&2
	exit 1
}
src=$(find "$src_apt/build" -mindepth 1 -maxdepth 1 -type d -name 'libslirp-*' | head -n 1)
if [ -z "$src" ] || [ ! -f "$src/meson.build" ] || [ ! -f "$src/src/libslirp.h" ]; then
	echo "slirp-arm64: the unpacked source has no meson.build or src/libslirp.h" >&2
	exit 1
fi

# What meson would do: libslirp-version.h from its template, the library
# from the sources its meson.build lists, with its one define.
upstream=$(sed -n "s/^ *version *: *'\([0-9][0-9.]*\)'.*/\1/p" "$src/meson.build" | head -n 1)
major=${upstream%%.*}
rest=${upstream#*.}
minor=${rest%%.*}
micro=${rest#*.}
if [ -z "$upstream" ] || [ "$major.$minor.$micro" != "$upstream" ]; then
	echo "slirp-arm64: no X.Y.Z version in $src/meson.build" >&2
	exit 1
fi
obj="$src_apt/obj"
mkdir -p "$obj"
sed -e "s/@SLIRP_MAJOR_VERSION@/$major/" -e "s/@SLIRP_MINOR_VERSION@/$minor/" \
	-e "s/@SLIRP_MICRO_VERSION@/$micro/" -e "s/@SLIRP_VERSION_STRING@/\"$upstream\"/" \
	"$src/src/libslirp-version.h.in" >"$obj/libslirp-version.h"
sources=$(sed -n "/^sources *= *\[/,/^\]/s/^ *'\(src\/[^']*\.c\)' *,*$/\1/p" "$src/meson.build")
if [ -z "$sources" ]; then
	echo "slirp-arm64: no source list in $src/meson.build" >&2
	exit 1
fi
export CC obj src SYSROOT
# Debian's own flags for the package (-O2 -g, hardening), GLib from the sysroot.
printf '%s\n' $sources | xargs -P "$(nproc)" -I{} sh -c '
	f={}; o="$obj/$(basename "$f" .c).o"
	$CC -std=gnu99 -O2 -g -Wall -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
		-DG_LOG_DOMAIN="\"Slirp\"" -I"$obj" -I"$src/src" \
		-isystem "$SYSROOT/usr/include/glib-2.0" \
		-isystem "$SYSROOT/usr/lib/aarch64-linux-gnu/glib-2.0/include" \
		-c -o "$o" "$src/$f" || { echo "slirp-arm64: $f failed to compile" >&2; exit 255; }'
rm -f "$libdir/libslirp.a"
(cd "$src" && $AR rcs "$libdir/libslirp.a" $(printf '%s\n' $sources |
	sed "s|^src/\(.*\)\.c$|$obj/\1.o|"))
mkdir -p "$SYSROOT/usr/include/slirp"
cp "$src/src/libslirp.h" "$obj/libslirp-version.h" "$SYSROOT/usr/include/slirp/"
rm -rf "$src_apt"
echo "libslirp $version" >"$stamp"
