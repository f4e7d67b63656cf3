#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# vcpus_pause()/vcpus_resume() against a real VM (tests/integration/vcpu_pause.c).
. "$(dirname "$0")/../lib.sh"
BIN=$TOP/build/${ARCH:-x86}/vcpu_pause
if [ ! -x "$BIN" ]; then
	fail vcpu_pause "$BIN was not built"
	exit 0
fi
timeout 60 "$BIN" >"$WORK/out" 2>&1
sed -n 's/^\(ok\|FAIL\) \([^:]*\): \(.*\)$/\1 \2 \3/p' "$WORK/out" |
while read -r verdict name detail; do
	if [ "$verdict" = ok ]; then pass "$name" "$detail"; else fail "$name" "$detail"; fi
done
grep -q '^\(ok\|FAIL\) ' "$WORK/out" || fail vcpu_pause "no result: $(tail -c 300 "$WORK/out")"
