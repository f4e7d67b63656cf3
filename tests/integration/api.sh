#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# The control API on a real VM (needs /dev/kvm; here or through
# tests/tools/nested-x86.sh): the vmm CLI and, where installed, curl on the
# socket. A VM named by --name appears in `vmm list`, pauses (twice: 4),
# resumes, reboots (boots 2), stops with exit 0 and leaves no socket; a live
# name is refused (2); a socket left by a SIGKILLed vmm is replaced and
# cleaned by list; SIGTERM removes the socket too; a console nobody reads
# costs output, not the guest's progress: pause, resume and stop work.
# Graceful shutdown: `vmm shutdown` presses the ACPI power button, the
# test guest (action=powerbutton) sees PWRBTN_STS and its SCI and powers
# off (0); a guest that ignores it is stopped after --shutdown-timeout (5);
# a paused one is refused (4); --on-sigterm shutdown does it on SIGTERM,
# and a second SIGTERM stops at once (143).
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=60
# A private runtime directory: $XDG_RUNTIME_DIR/vmm/NAME.sock.
export XDG_RUNTIME_DIR="$WORK/rt"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
SOCKDIR=$XDG_RUNTIME_DIR/vmm
NAME=apitest

if [ ! -c /dev/kvm ]; then
	fail api "no /dev/kvm (run it through tests/tools/nested-x86.sh)"
	exit 0
fi

# wait_for NAME: until `vmm info NAME` answers (10 s).
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		"$VMM" info "$1" >"$WORK/info" 2>"$WORK/info.err" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# field KEY: a value from the last `vmm info` (pretty JSON, one key a line).
field() {
	sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$WORK/info" | head -n 1
}
ctl() {	# ctl NAME-OF-CHECK WANT-RC ARGS...
	n=$1 want=$2
	shift 2
	"$VMM" "$@" >"$WORK/ctl.out" 2>"$WORK/ctl.err"
	rc=$?
	expect_rc "$n" "$want" "$WORK/ctl.err"
}

bg_vmm 60 run -m 64 -p "action=hang" --name $NAME </dev/null \
	>"$WORK/vm.out" 2>"$WORK/vm.err"
vmpid=$VMM_PID
if ! wait_for $NAME; then
	fail api_info "no answer on $SOCKDIR/$NAME.sock: $(cat "$WORK/info.err" "$WORK/vm.err" | tail -c 400)"
	kill -9 $vmpid 2>/dev/null
	exit 0
fi
if [ "$(field state)" = running ] && [ "$(field name)" = $NAME ] &&
   [ "$(field pid)" = $vmpid ] && [ "$(field memory_mib)" = 64 ] && [ "$(field vcpus)" = 1 ]; then
	pass api_info "state running, pid $vmpid, 64 MiB"
else
	fail api_info "$(tr '\n' ' ' <"$WORK/info")"
fi
# Issue 11's first step: vmm can never gain privileges (it executes nothing).
nnp=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$vmpid/status)
[ "$nnp" = 1 ] && pass api_no_new_privs "NoNewPrivs: 1" || fail api_no_new_privs "NoNewPrivs: '$nnp'"
mode=$(stat -c %a "$SOCKDIR/$NAME.sock" 2>/dev/null)/$(stat -c %a "$SOCKDIR" 2>/dev/null)
[ "$mode" = 600/700 ] && pass api_socket_modes "$mode" || fail api_socket_modes "socket/dir $mode"

ctl api_pause 0 pause $NAME
"$VMM" info $NAME >"$WORK/info" 2>&1
[ "$(field state)" = paused ] && pass api_paused_state || fail api_paused_state "$(field state)"
ctl api_pause_twice_refused 4 pause $NAME
ctl api_resume 0 resume $NAME
"$VMM" info $NAME >"$WORK/info" 2>&1
[ "$(field state)" = running ] && pass api_resumed_state || fail api_resumed_state "$(field state)"
ctl api_resume_running_refused 4 resume $NAME
ctl api_counters 0 counters $NAME
grep -q '"exits"' "$WORK/ctl.out" && pass api_counters_exits ||
	fail api_counters_exits "$(head -c 300 "$WORK/ctl.out")"

"$VMM" list >"$WORK/list" 2>&1
grep -q "^$NAME  *$vmpid  *running " "$WORK/list" && pass api_list "$(grep "^$NAME" "$WORK/list")" ||
	fail api_list "$(tr '\n' '|' <"$WORK/list")"

# The name is taken while its vmm lives.
run_vmm "$WORK/dup.out" "$WORK/dup.err" run -m 64 -p action=poweroff --name $NAME
if [ $rc = 2 ] && [ "$(wc -l <"$WORK/dup.err")" = 1 ] && grep -q "running vmm" "$WORK/dup.err"; then
	pass api_live_name_refused "$(cat "$WORK/dup.err")"
else
	fail api_live_name_refused "exit $rc: $(head -c 300 "$WORK/dup.err")"
fi

if command -v curl >/dev/null; then
	out=$(curl -s --unix-socket "$SOCKDIR/$NAME.sock" http://localhost/vm)
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --unix-socket "$SOCKDIR/$NAME.sock" http://localhost/nope)
	case $out in
	*'"state":"running"'*) [ "$code" = 404 ] && pass api_curl "GET /vm, 404 elsewhere" ||
		fail api_curl "PUT /nope: $code" ;;
	*) fail api_curl "$out" ;;
	esac
else
	skip api_curl "curl not installed"
fi

ctl api_reboot 0 reboot $NAME
i=0
while [ $i -lt 50 ]; do
	"$VMM" info $NAME >"$WORK/info" 2>/dev/null && [ "$(field boots)" = 2 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "$(field boots)" = 2 ] && [ "$(field state)" = running ] && pass api_reboot_boots_again ||
	fail api_reboot_boots_again "boots $(field boots), state $(field state)"

ctl api_stop 0 stop $NAME
wait $vmpid
rc=$?
expect_rc api_stop_exit_status 0 "$WORK/vm.err"
[ ! -e "$SOCKDIR/$NAME.sock" ] && pass api_stop_removes_socket ||
	fail api_stop_removes_socket "$SOCKDIR/$NAME.sock still there"
ctl api_gone_is_no_vm 3 info $NAME

# A vmm killed with SIGKILL leaves its socket: list cleans it, a new vmm takes the name.
bg_vmm 60 run -m 64 -p "action=hang" --name stale </dev/null >/dev/null 2>&1
p=$VMM_PID
wait_for stale
kill -9 $p
wait $p 2>/dev/null
if [ -S "$SOCKDIR/stale.sock" ]; then
	"$VMM" list >"$WORK/list" 2>&1
	[ ! -e "$SOCKDIR/stale.sock" ] && ! grep -q '^stale ' "$WORK/list" &&
		pass api_list_cleans_stale || fail api_list_cleans_stale "$(cat "$WORK/list")"
else
	fail api_list_cleans_stale "SIGKILL left no socket to clean"
fi
bg_vmm 60 run -m 64 -p "action=hang" --name stale </dev/null >/dev/null 2>&1
p=$VMM_PID
: >"$SOCKDIR/x"	# (not a socket, must stay untouched)
if wait_for stale; then pass api_name_reused_after_kill; else fail api_name_reused_after_kill "$(cat "$WORK/info.err")"; fi
kill -TERM $p
wait $p
rc=$?
[ $rc = 143 ] && [ ! -e "$SOCKDIR/stale.sock" ] && pass api_sigterm_removes_socket "exit 143" ||
	fail api_sigterm_removes_socket "exit $rc, socket: $(ls "$SOCKDIR")"
[ -f "$SOCKDIR/x" ] && pass api_list_keeps_other_files || fail api_list_keeps_other_files "removed"
rm -f "$SOCKDIR/x"

# The guest floods a console nobody reads (stdout a FIFO never read). Once
# the FIFO and the terminal's buffer are full and nothing has been read for
# 500 ms, the output is dropped (said once) and the guest runs on: its
# exits keep rising, a pause and a resume work, and so does a stop.
rm -f "$WORK/stall"
mkfifo "$WORK/stall"
exec 3<>"$WORK/stall"	# opened for reading, never read
bg_vmm 90 run -m 64 -p "vmmtest=cmdline action=flood" --name flood </dev/null \
	>"$WORK/stall" 2>"$WORK/flood.err"
p=$VMM_PID
exits() { "$VMM" counters flood | sed -n 's/^ *"exits": *\([0-9]*\).*/\1/p' | head -n 1; }
if wait_for flood; then
	i=0
	while [ $i -lt 200 ] && ! grep -q "nothing read for" "$WORK/flood.err"; do
		sleep 0.1
		i=$((i + 1))
	done
	a=$(exits)
	sleep 1
	b=$(exits)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]; then
		pass api_stalled_console_does_not_hold_the_guest "exits $a -> $b in 1 s with nobody reading"
	else
		fail api_stalled_console_does_not_hold_the_guest "exits '$a' -> '$b': $(tail -c 300 "$WORK/flood.err")"
	fi
	n=$(grep -c "nothing read for" "$WORK/flood.err")
	[ "$n" = 1 ] && pass api_stalled_console_said_once "$(grep "nothing read for" "$WORK/flood.err")" ||
		fail api_stalled_console_said_once "$n lines: $(tail -c 300 "$WORK/flood.err")"
	ctl api_pause_with_a_stalled_console 0 pause flood
	ctl api_resume_with_a_stalled_console 0 resume flood
	ctl api_stop_with_a_stalled_console 0 stop flood
	wait $p
	rc=$?
	expect_rc api_stop_with_a_stalled_console_exit 0 "$WORK/flood.err"
else
	fail api_stalled_console_does_not_hold_the_guest "$(cat "$WORK/info.err" "$WORK/flood.err" | tail -c 300)"
	kill -9 $p 2>/dev/null
fi
exec 3>&-
rm -f "$WORK/stall"

# --api-socket PATH: anywhere, and the CLI takes the path for a name.
bg_vmm 60 run -m 64 -p "action=hang" --api-socket "$WORK/my.sock" </dev/null \
	>/dev/null 2>"$WORK/p.err"
p=$VMM_PID
if wait_for "$WORK/my.sock" && "$VMM" stop "$WORK/my.sock" 2>"$WORK/p.err"; then
	wait $p
	rc=$?
	[ $rc = 0 ] && [ ! -e "$WORK/my.sock" ] && pass api_socket_path "stopped, exit 0" ||
		fail api_socket_path "exit $rc"
else
	fail api_socket_path "$(cat "$WORK/p.err")"
	kill -9 $p 2>/dev/null
fi

# until_out FILE TEXT: wait up to 20 s for TEXT in FILE.
until_out() {
	i=0
	while [ $i -lt 200 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

# button CHECK HOW VMM-ARGS...: the test guest waits on the power button,
# HOW presses it (a shell command; $p is vmm's pid), it must power off (0).
button() {
	check=$1 how=$2
	shift 2
	bg_vmm 60 run -m 64 -p "vmmtest=cmdline action=powerbutton" "$@" </dev/null \
		>"$WORK/btn.out" 2>"$WORK/btn.err"
	p=$VMM_PID
	if ! until_out "$WORK/btn.out" "POWERBUTTON waiting"; then
		fail "$check" "the guest never waited: $(tail -c 300 "$WORK/btn.out" "$WORK/btn.err" | tr '\n' ' ')"
		kill -9 $p 2>/dev/null
		return
	fi
	eval "$how"
	wait $p
	rc=$?
	if [ $rc = 0 ] && grep -q "POWERBUTTON pressed sci=1 cleared=1" "$WORK/btn.out"; then
		pass "$check" "the guest saw PWRBTN_STS and its SCI, powered off: exit 0"
	else
		fail "$check" "exit $rc: $(tail -c 300 "$WORK/btn.out" "$WORK/btn.err" | tr '\n' ' ')"
	fi
}
button api_shutdown_powers_off 'ctl api_shutdown 0 shutdown btn' --name btn

bg_vmm 60 run -m 64 -p "action=hang" --name ign --shutdown-timeout 2 </dev/null \
	>/dev/null 2>"$WORK/ign.err"
p=$VMM_PID
if wait_for ign; then
	ctl api_shutdown_pause_first 0 pause ign
	ctl api_shutdown_paused_refused 4 shutdown ign
	ctl api_shutdown_resume_after 0 resume ign
	"$VMM" shutdown ign >"$WORK/sd.out" 2>"$WORK/sd.err" &
	sd=$!
	i=0
	while [ $i -lt 20 ] && ! { "$VMM" info ign >"$WORK/info" 2>/dev/null &&
				  [ -n "$(field shutdown_deadline_s)" ]; }; do
		sleep 0.1
		i=$((i + 1))
	done
	dl=$(field shutdown_deadline_s)
	case $dl in
	[0-2].*) pass api_shutdown_deadline_shown "shutdown_deadline_s $dl" ;;
	*) fail api_shutdown_deadline_shown "'$dl': $(tr '\n' ' ' <"$WORK/info")" ;;
	esac
	wait $p
	rc=$?
	expect_rc api_shutdown_ignored_is_5 5 "$WORK/ign.err"
	grep -q "did not power off within 2 s" "$WORK/ign.err" ||
		fail api_shutdown_ignored_message "$(cat "$WORK/ign.err")"
	wait $sd
	rc=$?
	expect_rc api_shutdown_cli_waits_for_exit 0 "$WORK/sd.err"
else
	fail api_shutdown_ignored_is_5 "$(cat "$WORK/info.err" "$WORK/ign.err" | tail -c 300)"
	kill -9 $p 2>/dev/null
fi

button api_sigterm_shutdown 'kill -TERM $p' --api-socket none --on-sigterm shutdown

bg_vmm 60 run -m 64 -p "action=hang" --name twice --on-sigterm shutdown \
	</dev/null >/dev/null 2>"$WORK/tw.err"
p=$VMM_PID
if wait_for twice; then
	kill -TERM $p
	until_out "$WORK/tw.err" "power button pressed"
	kill -TERM $p
	wait $p
	rc=$?
	expect_rc api_sigterm_twice_stops_at_once 143 "$WORK/tw.err"
else
	fail api_sigterm_twice_stops_at_once "$(cat "$WORK/info.err" "$WORK/tw.err" | tail -c 300)"
	kill -9 $p 2>/dev/null
fi

# Every thread starts through thread_spawn(): a virtio device's I/O thread
# too is named and leaves the stop signals to main (SIGTERM blocked there).
bg_vmm 60 run -m 64 -p "action=hang" --rng --name thr </dev/null >/dev/null 2>&1
p=$VMM_PID
if wait_for thr; then
	blk=
	for t in /proc/$p/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = virtio-rng ] &&
			blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$t/status")
	done
	# SIGTERM is signal 15: bit 14 of the mask.
	if [ -n "$blk" ] && [ $(( 0x$blk >> 14 & 1 )) = 1 ]; then
		pass api_io_thread_spawned "virtio-rng thread, SigBlk $blk"
	else
		fail api_io_thread_spawned "no virtio-rng thread with SIGTERM blocked ('$blk'): $(cat /proc/$p/task/*/comm | tr '\n' ' ')"
	fi
	"$VMM" stop thr 2>/dev/null
else
	fail api_io_thread_spawned "$(cat "$WORK/info.err")"
fi
wait $p 2>/dev/null
