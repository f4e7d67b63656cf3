#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# --serial: where the test guest's console goes. file: its output in the
# file (appended), none on stdout; none: nowhere; a missing directory is
# status 2. pty: the path is logged, a reader opening it late gets what was
# written, a line typed into it reaches the guest's shell. socket: `vmm
# console` attaches late and gets the ring's replay, types a command, C-a x
# detaches with the VM still running, a second client is refused (4), a
# guest flooding a console nobody reads keeps running (its output costs no
# progress), and the socket goes away with vmm.
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=60
export XDG_RUNTIME_DIR="$WORK/rt"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
SOCKDIR=$XDG_RUNTIME_DIR/vmm

if [ ! -c /dev/kvm ]; then
	fail serial "no /dev/kvm (run it through tests/tools/nested-x86.sh)"
	exit 0
fi

# until_in FILE TEXT [TENTHS]: wait for TEXT in FILE (default 20 s).
until_in() {
	i=0
	while [ $i -lt "${3:-200}" ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

# --- file and none -------------------------------------------------------------
echo "an earlier line" >"$WORK/con.log"
run_vmm "$WORK/f.out" "$WORK/f.err" run -m 64 -p "vmmtest=cmdline action=poweroff" \
	--serial "file:$WORK/con.log"
if [ $rc = 0 ] && grep -q "RESULT passed=" "$WORK/con.log" && grep -q "an earlier line" "$WORK/con.log" &&
   [ ! -s "$WORK/f.out" ]; then
	pass serial_file "the guest's output appended to the file, none on stdout, exit 0"
else
	fail serial_file "exit $rc, file: $(tail -c 200 "$WORK/con.log" | tr '\n' ' '), stdout $(wc -c <"$WORK/f.out") bytes: $(cat "$WORK/f.err")"
fi
run_vmm "$WORK/n.out" "$WORK/n.err" run -m 64 -p "vmmtest=cmdline action=poweroff" --serial none
[ $rc = 0 ] && [ ! -s "$WORK/n.out" ] && pass serial_none "nothing on stdout, exit 0" ||
	fail serial_none "exit $rc, stdout: $(head -c 200 "$WORK/n.out")"
run_vmm "$WORK/b.out" "$WORK/b.err" run -m 64 --serial "file:$WORK/no/such/dir/log"
if [ $rc = 2 ] && [ "$(wc -l <"$WORK/b.err")" = 1 ] && grep -q -- "--serial file:" "$WORK/b.err"; then
	pass serial_bad_file "$(cat "$WORK/b.err")"
else
	fail serial_bad_file "exit $rc: $(cat "$WORK/b.err")"
fi
run_vmm "$WORK/b.out" "$WORK/b.err" run -m 64 --serial tty
[ $rc = 2 ] && grep -q "expected stdio, pty" "$WORK/b.err" && pass serial_bad_value "exit 2" ||
	fail serial_bad_value "exit $rc: $(cat "$WORK/b.err")"

# --- pty ---------------------------------------------------------------------
timeout -k 5 60 "$VMM" run -m 64 --serial pty --api-socket none </dev/null \
	>"$WORK/p.out" 2>"$WORK/p.err" &
p=$!
if until_in "$WORK/p.err" "console on /dev/pts/"; then
	pty=$(sed -n 's|^.*console on \(/dev/pts/[0-9]*\).*$|\1|p' "$WORK/p.err")
	# Opened late: what the guest wrote waits in the pty.
	timeout 20 cat "$pty" >"$WORK/pty.log" &
	c=$!
	until_in "$WORK/pty.log" "testguest>" 150
	printf 'poweroff\r' >"$pty"
	wait $p
	rc=$?
	kill $c 2>/dev/null
	if [ $rc = 0 ] && grep -q "RESULT passed=" "$WORK/pty.log" && [ ! -s "$WORK/p.out" ]; then
		pass serial_pty "$pty: output read late, 'poweroff' typed into it: exit 0"
	else
		fail serial_pty "exit $rc, pty: $(tail -c 300 "$WORK/pty.log" | tr '\n' ' ') $(cat "$WORK/p.err")"
	fi
else
	fail serial_pty "no pty path logged: $(cat "$WORK/p.err")"
	kill -9 $p 2>/dev/null
fi

# --- socket and vmm console ----------------------------------------------------
timeout -k 5 90 "$VMM" run -m 64 --serial socket --name sc </dev/null \
	>"$WORK/s.out" 2>"$WORK/s.err" &
p=$!
i=0
while [ $i -lt 100 ] && ! "$VMM" info sc >"$WORK/info" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if grep -q "\"path\": *\"$SOCKDIR/sc.console\"" "$WORK/info" && [ -S "$SOCKDIR/sc.console" ]; then
	pass serial_socket_path "GET /vm names $SOCKDIR/sc.console"
else
	fail serial_socket_path "$(tr '\n' ' ' <"$WORK/info") $(cat "$WORK/s.err")"
fi
sleep 1	# the guest's self-test output goes into the ring, with nobody attached
# A first client: types a command at the shell, then C-a x.
rm -f "$WORK/in"
mkfifo "$WORK/in"
"$VMM" console sc <"$WORK/in" >"$WORK/c1.out" 2>"$WORK/c1.err" &
c1=$!
exec 3>"$WORK/in"
until_in "$WORK/c1.out" "testguest>" 150
# A second client while the first is attached.
"$VMM" console sc </dev/null >"$WORK/c2.out" 2>"$WORK/c2.err"
rc=$?
if [ $rc = 4 ] && grep -q "already has a client" "$WORK/c2.out"; then
	pass serial_console_one_client "exit 4: $(tr -d '\r' <"$WORK/c2.out")"
else
	fail serial_console_one_client "exit $rc: $(cat "$WORK/c2.out" "$WORK/c2.err" | tr '\r\n' '  ')"
fi
printf 'echo via-console-42\r' >&3
until_in "$WORK/c1.out" "via-console-42" 100
printf '\001x' >&3
wait $c1
rc=$?
exec 3>&-
if [ $rc = 0 ] && grep -q "RESULT passed=" "$WORK/c1.out" && grep -q "via-console-42" "$WORK/c1.out"; then
	pass serial_console_attach "late attach got the replay, a command typed and answered, C-a x: exit 0"
else
	fail serial_console_attach "exit $rc: $(tail -c 300 "$WORK/c1.out" | tr '\r\n' '  ') $(cat "$WORK/c1.err")"
fi
"$VMM" info sc >"$WORK/info" 2>&1 && grep -q '"state": *"running"' "$WORK/info" &&
	pass serial_console_detach_keeps_vm "running after C-a x" ||
	fail serial_console_detach_keeps_vm "$(head -c 300 "$WORK/info")"
"$VMM" stop sc 2>/dev/null
wait $p
rc=$?
[ $rc = 0 ] && [ ! -e "$SOCKDIR/sc.console" ] && [ ! -s "$WORK/s.out" ] &&
	pass serial_socket_removed "exit 0, console socket gone" ||
	fail serial_socket_removed "exit $rc: $(ls "$SOCKDIR") $(cat "$WORK/s.err")"

# A guest flooding its console with nobody attached keeps running: its
# exits go on rising while no client reads.
timeout -k 5 90 "$VMM" run -m 64 -p "vmmtest=cmdline action=flood" --serial socket --name fl \
	</dev/null >/dev/null 2>"$WORK/fl.err" &
p=$!
exits() { "$VMM" counters fl 2>/dev/null | sed -n 's/^ *"exits": *\([0-9]*\).*/\1/p' | head -n 1; }
i=0
while [ $i -lt 100 ] && [ -z "$(exits)" ]; do sleep 0.1; i=$((i + 1)); done
a=$(exits)
sleep 3
b=$(exits)
sleep 1
c=$(exits)
if [ -n "$a" ] && [ -n "$c" ] && [ "$c" -gt "$b" ] && [ "$b" -gt "$a" ]; then
	pass serial_socket_never_holds_the_guest "exits $a -> $b -> $c with nobody reading"
else
	fail serial_socket_never_holds_the_guest "exits '$a' -> '$b' -> '$c': $(cat "$WORK/fl.err")"
fi
"$VMM" stop fl 2>/dev/null
wait $p
rc=$?
expect_rc serial_socket_flood_stops 0 "$WORK/fl.err"
