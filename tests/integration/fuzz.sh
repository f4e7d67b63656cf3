#!/bin/sh
# A bounded libFuzzer run of every target (make fuzz runs them longer).
. "$(dirname "$0")/../lib.sh"
SECONDS_EACH=${FUZZ_SECONDS_CHECK:-10}
if ! command -v clang >/dev/null; then
	skip fuzz "clang is not installed"
	exit 0
fi
for t in "$TOP"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	if sh "$TOP/tests/fuzz/run.sh" "$SECONDS_EACH" "$name" >"$WORK/$name.log" 2>&1; then
		pass "$name" "$(sed -n 's|^ok fuzz/[^:]*: ||p' "$WORK/$name.log" | tail -n 1)"
	else
		fail "$name" "$(tail -n 5 "$WORK/$name.log" | tr '\n' ' ' | cut -c1-400)"
	fi
done
