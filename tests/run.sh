#!/bin/sh
# The test runner: unit tests (plain and under ASan+UBSan), then integration
# tests. Last line: "N passed, N failed, N skipped".
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
ARCH=${ARCH:-x86}
export RESULTS=$(mktemp)
export WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$RESULTS"' EXIT

# Every TEST() counts; a binary that dies (sanitizer report) counts as a failure.
for t in build/$ARCH/unit/test_* build/$ARCH/unit-asan/test_*; do
	[ -x "$t" ] || continue
	kind=unit; case $t in *unit-asan*) kind=asan;; esac
	name=$(basename "$t")
	out=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t" 2>&1)
	status=$?
	echo "$out" | grep -E '^(ok|FAIL) ' | sed "s|^\([a-zA-Z]*\) |\1 $kind/$name/|" >>"$RESULTS"
	if [ $status = 0 ]; then
		echo "ok $kind/$name ($(echo "$out" | tail -n 1))"
	else
		echo "$out" | grep -v '^ok ' | sed 's/^/    /'
		echo "FAIL $kind/$name (exit $status)"
		echo "$out" | grep -q '^FAIL ' || echo "FAIL $kind/$name" >>"$RESULTS"
	fi
done

# Scripts marked "needs: /dev/kvm" run here when this host has a usable
# /dev/kvm, else all together inside a nested x86 QEMU (tests/nested.sh).
host_kvm=yes
# (a plain <> would create a regular file where no device is)
[ -c /dev/kvm ] && ( exec 3<>/dev/kvm ) 2>/dev/null || host_kvm=no
nested=
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	if [ $host_kvm = no ] && grep -q '^# needs: /dev/kvm' "$t"; then
		nested="$nested $t"
		continue
	fi
	echo "== $t"
	WORK=$WORK/$(basename "$t" .sh) && mkdir -p "$WORK" && export WORK
	sh "$t"
	WORK=$(dirname "$WORK")
done

if [ -n "$nested" ]; then
	echo "== nested (this host has no usable /dev/kvm):$nested"
	WORK=$WORK/nested sh tests/nested.sh $nested
fi

passed=$(grep -c '^ok' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
skipped=$(grep -c '^SKIP' "$RESULTS")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
