# Shared helpers for integration tests: source it, then call pass/fail/skip.
# Each result is one line in $RESULTS (ok|FAIL|SKIP name: detail).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VMM=${VMM:-$TOP/vmm}
RESULTS=${RESULTS:-/dev/null}
WORK=${WORK:-$(mktemp -d)}
. "$TOP/tests/rootfs.sh"

pass() { echo "ok $1${2:+: $2}"; echo "ok $1" >>"$RESULTS"; }
fail() { echo "FAIL $1: $2"; echo "FAIL $1" >>"$RESULTS"; }
skip() { echo "SKIP $1: $2"; echo "SKIP $1" >>"$RESULTS"; }

# now_ms: a millisecond clock. busybox's date (the nested runs of
# tests/nested.sh) has no %N: /proc/uptime then, to 10 ms.
now_ms() {
	case $(date +%N) in
	*N*|'') awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $(( $(date +%s%N) / 1000000 )) ;;
	esac
}

# run_vmm OUT ERR ARGS...: run vmm with stdin from /dev/null, a hard time
# limit so a hang cannot stall the suite; sets $rc.
run_vmm() {
	out=$1; err=$2; shift 2
	timeout -k 5 ${VMM_HARD_TIMEOUT:-120} "$VMM" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}

# bg_vmm SECONDS ARGS...: vmm ARGS in the background as this shell's own
# child, so that VMM_PID is vmm itself for wait, kill and /proc (a
# timeout(1) in between is the command under busybox's, which execs it,
# but its parent under coreutils', which forks), SIGKILLed if still there
# after SECONDS (its watcher leaves within a second of vmm: no pid it
# could kill is ever reused). The caller's redirections apply:
# bg_vmm 60 run ... >out.
bg_vmm() {
	t=$1
	shift
	"$VMM" "$@" &
	VMM_PID=$!
	(while kill -0 $VMM_PID; do
		[ "$t" -gt 0 ] || { kill -9 $VMM_PID; break; }
		sleep 1
		t=$((t - 1))
	 done) </dev/null >/dev/null 2>&1 &
}

# expect_rc NAME WANT [detail-file]
expect_rc() {
	if [ "$rc" = "$2" ]; then
		pass "$1" "exit $rc"
	else
		fail "$1" "exit $rc, expected $2; $(tail -c 600 "${3:-/dev/null}" | tr '\n' ' ')"
	fi
}
