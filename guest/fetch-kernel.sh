#!/bin/sh
# Fetch a Debian kernel package once and cache it, keyed by package version.
#   guest/fetch-kernel.sh cloud|generic  -> prints the path of the vmlinuz
# Cache: ${VMM_CACHE:-$HOME/.cache/vmm}. Needs Debian's package archive.
set -e
flavour=${1:-cloud}
case $flavour in
cloud) meta=linux-image-cloud-amd64 ;;
generic) meta=linux-image-amd64 ;;
*) echo "fetch-kernel: unknown flavour '$flavour' (cloud|generic)" >&2; exit 2 ;;
esac
cache=${VMM_CACHE:-$HOME/.cache/vmm}

# The ABI name changes with every kernel update: resolve it, never hard-code it.
pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	apt-get update -q >/dev/null 2>&1 || true
	pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1)
fi
if [ -z "$pkg" ]; then
	# Offline: use whatever is cached.
	found=$(ls -d "$cache"/linux-image-*-"$flavour"*/ 2>/dev/null | tail -n 1)
	[ "$flavour" = generic ] && found=$(ls -d "$cache"/linux-image-*-amd64_*/ 2>/dev/null | grep -v cloud | tail -n 1)
	[ -n "$found" ] || { echo "fetch-kernel: cannot resolve $meta and nothing is cached" >&2; exit 1; }
	ls "$found"boot/vmlinuz-*
	exit 0
fi
ver=$(apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
dir=$cache/${pkg}_$ver
if [ ! -f "$dir/.done" ]; then
	mkdir -p "$dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1)
	dpkg-deb -x "$tmp"/*.deb "$dir"
	rm -rf "$tmp"
	touch "$dir/.done"
fi
ls "$dir"/boot/vmlinuz-*
