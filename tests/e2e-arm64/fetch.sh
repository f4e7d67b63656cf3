#!/bin/sh
# Fetch Debian bookworm's arm64 kernel (with its modules) and busybox-static,
# cached by package version, without touching the host's dpkg configuration
# (a private apt state holds the arm64 package lists).
#   tests/e2e-arm64/fetch.sh  -> prints shell assignments:
#     KVER=6.1.0-NN-arm64  KERNEL=<Image>  MODULES=<lib/modules/KVER>  BUSYBOX=<binary>
# Cache: ${VMM_CACHE:-$HOME/.cache/vmm}/arm64. Works from an empty cache (needs
# Debian's archive then); offline it falls back to the newest cached versions.
# The package lists are refreshed when older than VMM_APT_MAX_AGE minutes (720).
set -e
cache=${VMM_CACHE:-$HOME/.cache/vmm}/arm64
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"

apt_opts="-o APT::Architecture=arm64 -o APT::Architectures=arm64
	-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache
	-o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt_get() { apt-get -q $apt_opts "$@"; }
# shellcheck disable=SC2086
apt_cache() { apt-cache $apt_opts "$@"; }

# Resolution is remembered until the lists change (apt-cache takes ~0.7 s a call).
resolve() {
	memo=$apt_dir/resolved
	if [ -s "$memo" ] && [ -z "$(find "$apt_dir/updated" -newer "$memo" 2>/dev/null)" ]; then
		read -r kpkg kver_pkg bver_pkg <"$memo" && [ -n "$bver_pkg" ] && return 0
	fi
	kpkg=$(apt_cache depends linux-image-arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n 1)
	[ -n "$kpkg" ] || return 1
	kver_pkg=$(apt_cache show "$kpkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	bver_pkg=$(apt_cache show busybox-static 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$kver_pkg" ] && [ -n "$bver_pkg" ] || return 1
	echo "$kpkg $kver_pkg $bver_pkg" >"$memo"
}

# Refresh the lists when missing or stale; tolerate failure (offline).
max_age=${VMM_APT_MAX_AGE:-720}
# (apt dates the list files by the archive's clock: keep our own stamp.)
updated=no
update() {
	updated=yes
	if apt_get update --error-on=any >"$apt_dir/update.log" 2>&1; then
		touch "$apt_dir/updated"
	else
		echo "fetch: apt-get update failed (see $apt_dir/update.log); trying cached lists" >&2
	fi
}
[ -n "$(find "$apt_dir/updated" -mmin -"$max_age" 2>/dev/null)" ] || update

# extract PKG VERSION DIR: download the .deb once and unpack it into DIR.
extract() {
	[ -f "$3/.done" ] && return 0
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && apt_get download "$1=$2" >"$tmp/log" 2>&1); then
		echo "fetch: cannot download $1=$2: $(grep -E '^(E|W):' "$tmp/log" | head -n 1)" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$3" && mkdir -p "$3"
	dpkg-deb -x "$tmp"/*.deb "$3"
	rm -rf "$tmp"
	touch "$3/.done"
}

if resolve || { [ $updated = no ] && update && resolve; }; then
	kdir=$cache/${kpkg}_$kver_pkg
	bdir=$cache/busybox-static_$bver_pkg
	extract "$kpkg" "$kver_pkg" "$kdir"
	extract busybox-static "$bver_pkg" "$bdir"
else
	# Offline and no usable lists: the newest complete cached versions.
	kdir=$(ls -d "$cache"/linux-image-*-arm64_*/.done 2>/dev/null | sort -V | tail -n 1)
	bdir=$(ls -d "$cache"/busybox-static_*/.done 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$kdir" ] || [ -z "$bdir" ]; then
		echo "fetch: cannot resolve linux-image-arm64 (no package lists, no network?) and nothing is cached in $cache" >&2
		exit 1
	fi
	kdir=$(dirname "$kdir") bdir=$(dirname "$bdir")
fi

kernel=$(ls "$kdir"/boot/vmlinuz-*-arm64 2>/dev/null | head -n 1)
[ -n "$kernel" ] || { echo "fetch: no /boot/vmlinuz-* in $kdir" >&2; exit 1; }
kver=${kernel##*/vmlinuz-}
modules=$kdir/lib/modules/$kver
[ -d "$modules/kernel" ] || { echo "fetch: no modules in $modules" >&2; exit 1; }
busybox=$bdir/bin/busybox
[ -f "$busybox" ] || { echo "fetch: no bin/busybox in $bdir" >&2; exit 1; }
# Debian's arm64 vmlinuz is the uncompressed Image: header magic "ARM\x64" at 56.
magic=$(dd if="$kernel" bs=1 skip=56 count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')
[ "$magic" = 41524d64 ] || { echo "fetch: $kernel is not an arm64 Image (magic $magic)" >&2; exit 1; }

echo "KVER=$kver"
echo "KERNEL=$kernel"
echo "MODULES=$modules"
echo "BUSYBOX=$busybox"
