#!/bin/sh
# Print the command that runs the x86 QEMU for the nested tests: Debian's
# QEMU 10 from bookworm-backports, fetched once with a private apt state
# (the host's sources and packages are never touched) and unpacked under
# $VMM_CACHE (default ~/.cache/vmm) keyed by its version; the system's
# qemu-system-x86_64 when that cannot be had (a line on stderr says why).
#   qemu=$(sh tests/tools/qemu-x86.sh)
# Why 10: bookworm's QEMU 7.2 froze in nested-suite sessions here (1 in 5
# even with tests/tools/kvm_hold.c); 10.0 did not in the 8 sessions
# measured, and ran the suite faster (docs/ARCHITECTURE.md).
cache=${VMM_CACHE:-$HOME/.cache/vmm}
SUITE=bookworm-backports
PKGS="qemu-system-x86 qemu-system-common qemu-system-data"

fallback() {
	echo "qemu-x86: $1; using the system's QEMU" >&2
	echo qemu-system-x86_64
	exit 0
}

# args DIR: the command line for the QEMU unpacked in DIR. Its firmware is
# its own, then the system's SeaBIOS; modules (display, audio) none.
args() {
	echo "env QEMU_MODULE_DIR=$1/none $1/usr/bin/qemu-system-x86_64" \
	     "-L $1/usr/share/qemu -L /usr/share/seabios"
}

# The newest unpacked one is used as it is: no network needed.
have=$(ls -d "$cache"/qemu-x86-*/ 2>/dev/null | sort -V | tail -n 1)
if [ -n "$have" ] && [ -x "$have/usr/bin/qemu-system-x86_64" ] && [ -z "$QEMU_X86_UPDATE" ]; then
	args "${have%/}"
	exit 0
fi

apt_dir=$(mktemp -d) || fallback "no temporary directory"
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
echo "deb http://deb.debian.org/debian $SUITE main" >"$apt_dir/sources.list"
apt_bpo() {
	apt-get -q -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
		-o Dir::State::status=/dev/null -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}
apt_bpo update >"$apt_dir/update.log" 2>&1 || fallback "cannot reach $SUITE"
ver=$(apt-cache -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
	-o Dir::State::status=/dev/null show qemu-system-x86 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$ver" ] || fallback "no qemu-system-x86 in $SUITE"
dir=$cache/qemu-x86-$(echo "$ver" | tr ':~+' '___')
if [ ! -x "$dir/usr/bin/qemu-system-x86_64" ]; then
	(cd "$apt_dir/debs" && apt_bpo download $PKGS >"$apt_dir/download.log" 2>&1) ||
		fallback "cannot download $PKGS $ver"
	rm -rf "$dir.new" && mkdir -p "$dir.new" || fallback "cannot write $cache"
	for deb in "$apt_dir/debs"/*.deb; do
		dpkg-deb -x "$deb" "$dir.new" || fallback "cannot unpack $deb"
	done
	"$dir.new/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1 ||
		fallback "QEMU $ver does not run here (its libraries?)"
	rm -rf "$dir" && mv "$dir.new" "$dir"
fi
args "$dir"
