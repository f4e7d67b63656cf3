#!/bin/sh
# A bounded libFuzzer run of every target (make fuzz runs them longer).
. "$(dirname "$0")/../lib.sh"
# Seconds each target runs, after a few seconds of building it: the device
# targets (pci, net, console) get less than the ring and blk parsers, so
# the three of them add less than 30 s to the suite; the bus, mmio, loader,
# slirp and teardown targets 3 s each, mostly their seeds and a few
# thousand mutations (make fuzz runs them longer). FUZZ_SECONDS_CHECK sets
# one budget for all.
seconds() {
	case $1 in
	fuzz_virtqueue | fuzz_virtio_blk) echo "${FUZZ_SECONDS_CHECK:-10}" ;;
	fuzz_virtio_pci | fuzz_virtio_net | fuzz_virtio_console) echo "${FUZZ_SECONDS_CHECK:-5}" ;;
	*) echo "${FUZZ_SECONDS_CHECK:-3}" ;;
	esac
}
if ! command -v clang >/dev/null; then
	skip fuzz "clang is not installed"
	exit 0
fi
for t in "$TOP"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	if sh "$TOP/tests/fuzz/run.sh" "$(seconds "$name")" "$name" >"$WORK/$name.log" 2>&1; then
		if grep -q "^SKIP fuzz/" "$WORK/$name.log"; then
			skip "$name" "$(sed -n 's|^SKIP fuzz/[^:]*: ||p' "$WORK/$name.log")"
			continue
		fi
		pass "$name" "$(sed -n 's|^ok fuzz/[^:]*: ||p' "$WORK/$name.log" | tail -n 1)"
	else
		# The FAIL line and the errors under it, else (a build error) the end.
		msg=$(sed -n '/^FAIL fuzz/,/^$/p' "$WORK/$name.log")
		[ -n "$msg" ] || msg=$(tail -n 5 "$WORK/$name.log")
		fail "$name" "$(echo "$msg" | tr '\n' ' ' | cut -c1-400)"
	fi
done
