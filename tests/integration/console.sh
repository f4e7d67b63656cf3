#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# The interactive console under a real pseudo-terminal (tmux): typed input
# reaches the guest, Ctrl-A x ends vmm, and the terminal settings afterwards
# equal those before, also when vmm is killed with SIGTERM.
. "$(dirname "$0")/../lib.sh"

if ! command -v tmux >/dev/null; then
	skip console_pty "tmux is not installed"
	exit 0
fi
S=vmmtest$$
T="tmux -L $S"
trap 'tmux -L ${S}a kill-server 2>/dev/null; tmux -L ${S}b kill-server 2>/dev/null' EXIT

# wait_screen PATTERN SECONDS: 0 once the pane shows PATTERN
wait_screen() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		$T capture-pane -p -t $S 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_console: a shell in a pty records stty, runs vmm, records stty again
start_console() {
	rm -f "$WORK/before" "$WORK/after" "$WORK/rc" "$WORK/pid"
	$T kill-server 2>/dev/null
	S=vmmtest$$$1
	T="tmux -L $S"
	$T new-session -d -s $S -x 120 -y 40 "sh -c 'stty -g >$WORK/before; \
		echo \$\$ >$WORK/pid; exec sh -c \"$VMM run -m 64 --timeout 60; \
		echo \\\$? >$WORK/rc; stty -g >$WORK/after; sleep 30\"'"
}

wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$1" ]
}

start_console a
if wait_screen 'testguest>' 15; then
	$T send-keys -t $S 'echo typed-through-the-console' Enter
	if wait_screen '^typed-through-the-console' 10; then
		pass console_input_reaches_guest "the guest echoed a typed line"
	else
		fail console_input_reaches_guest "no echo: $($T capture-pane -p -t $S | tail -n 5)"
	fi
	$T send-keys -t $S C-a x
	if wait_file "$WORK/rc" 10 && wait_file "$WORK/after" 5; then
		pass console_ctrl_a_x_quits "exit $(cat "$WORK/rc")"
		if cmp -s "$WORK/before" "$WORK/after"; then
			pass console_tty_restored_after_quit "stty -g equal"
		else
			fail console_tty_restored_after_quit "$(cat "$WORK/before") != $(cat "$WORK/after")"
		fi
	else
		fail console_ctrl_a_x_quits "vmm still running"
	fi
else
	fail console_input_reaches_guest "no prompt: $($T capture-pane -p -t $S | tail -n 5)"
fi

# SIGTERM to vmm while the terminal is raw
start_console b
if wait_screen 'testguest>' 15; then
	if ! $T capture-pane -p -t $S >/dev/null || ! pkill -TERM -P "$(cat "$WORK/pid")"; then
		fail console_tty_restored_after_sigterm "cannot signal vmm"
	elif wait_file "$WORK/rc" 10 && wait_file "$WORK/after" 5; then
		if [ "$(cat "$WORK/rc")" = 143 ] && cmp -s "$WORK/before" "$WORK/after"; then
			pass console_tty_restored_after_sigterm "exit 143, stty -g equal"
		else
			fail console_tty_restored_after_sigterm "exit $(cat "$WORK/rc"), stty $(cat "$WORK/before") -> $(cat "$WORK/after")"
		fi
	else
		fail console_tty_restored_after_sigterm "vmm did not exit"
	fi
else
	fail console_tty_restored_after_sigterm "no prompt"
fi
