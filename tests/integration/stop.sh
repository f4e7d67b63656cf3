#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# A stop always works, and only the guest's real panic is a panic.
# - stdout a FIFO nobody reads while the guest floods its console: --timeout
#   still ends vmm (124) within a second of the deadline, and so does SIGTERM
#   (143) within a second of the signal;
# - --timeout is one deadline across reboots (action=reset reboots ~10 times
#   a second here);
# - a stop signal the parent ignores stays ignored (nohup);
# - teardown stress: the guest fills hvc0's transmitq with pieces of a panic
#   line and resets at once, boot after boot, under ./vmm, vmm-asan and
#   vmm-tsan (make asan tsan): no sanitizer report, and every run ends as
#   panicked (3) or at the deadline (124);
# - --panic-watch: a panic line printed by a guest program counts only until
#   the guest's pvpanic driver has probed (auto), always (console), never
#   (pvpanic, off); the pvpanic device itself counts unless off.
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=60

# --- a console nobody reads -------------------------------------------------
rm -f "$WORK/stall"
mkfifo "$WORK/stall"
exec 3<>"$WORK/stall"	# open for reading, never read: writes fill it and block
t0=$(now_ms)
timeout -k 5 30 "$VMM" run -m 64 --timeout 5 -p "vmmtest=cmdline action=flood" \
	</dev/null >"$WORK/stall" 2>"$WORK/err1"
rc=$? ms=$(( $(now_ms) - t0 ))
if [ $rc = 124 ] && [ $ms -lt 6000 ]; then
	pass stop_timeout_with_stalled_stdout "exit 124 after $ms ms"
else
	fail stop_timeout_with_stalled_stdout "exit $rc after $ms ms (want 124 within 6000): $(head -c 300 "$WORK/err1")"
fi

timeout -k 5 30 "$VMM" run -m 64 -p "vmmtest=cmdline action=flood" \
	</dev/null >"$WORK/stall" 2>"$WORK/err2" &
pid=$!
sleep 3
t0=$(now_ms)
kill -TERM $pid
wait $pid
rc=$? ms=$(( $(now_ms) - t0 ))
if [ $rc = 143 ] && [ $ms -lt 1000 ]; then
	pass stop_sigterm_with_stalled_stdout "exit 143, $ms ms after SIGTERM"
else
	fail stop_sigterm_with_stalled_stdout "exit $rc, $ms ms after SIGTERM (want 143 within 1000): $(head -c 300 "$WORK/err2")"
fi
exec 3>&-
rm -f "$WORK/stall"

# --- one deadline across reboots ------------------------------------------
t0=$(now_ms)
run_vmm "$WORK/out3" "$WORK/err3" run -m 64 --timeout 3 -p "vmmtest=cmdline action=reset"
ms=$(( $(now_ms) - t0 ))
boots=$(grep -c '^RESULT' "$WORK/out3")
if [ $rc = 124 ] && [ $ms -lt 4000 ] && [ "$boots" -ge 2 ]; then
	pass stop_timeout_spans_reboots "exit 124 after $ms ms and $boots boots"
else
	fail stop_timeout_spans_reboots "exit $rc after $ms ms and $boots boots (want 124 within 4000, >= 2 boots)"
fi

# --- nohup: an ignored SIGHUP stays ignored -------------------------------
# vmm itself is the exec'd child of the subshell that ignores SIGHUP: no
# timeout(1) between them (GNU timeout installs its own SIGHUP handler,
# so its child would not inherit SIG_IGN); a guard kills a hung vmm.
(trap '' HUP; exec "$VMM" run -m 64 --timeout 4 -p "vmmtest=cmdline action=hang" \
	</dev/null >"$WORK/out4" 2>"$WORK/err4") &
pid=$!
(sleep 30; kill -9 $pid 2>/dev/null) &
guard=$!
sleep 2
kill -HUP $pid
wait $pid
rc=$?
kill $guard 2>/dev/null
if [ $rc = 124 ]; then
	pass stop_ignored_sighup_stays_ignored "exit 124"
else
	fail stop_ignored_sighup_stays_ignored "exit $rc (want 124: the timeout, not SIGHUP): $(head -c 300 "$WORK/err4")"
fi

# --- teardown stress: hvc0 panic lines racing a reset, boot after boot -----
stress() {	# NAME BINARY
	if [ ! -x "$2" ]; then
		fail "stop_hvc_panic_reset_$1" "$2 is not built (make asan tsan)"
		return
	fi
	ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0" \
		timeout -k 5 60 "$2" run -m 64 --timeout 8 --console virtio --panic-watch console \
		-p "vmmtest=hvc_panic_reset" </dev/null >"$WORK/s-$1.out" 2>"$WORK/s-$1.err"
	rc=$?
	boots=$(grep -c 'VIRTIO pci=\|VIRTIO mmio=' "$WORK/s-$1.out")
	reports=$(grep -c -E 'ERROR: AddressSanitizer|runtime error|WARNING: ThreadSanitizer' "$WORK/s-$1.err")
	if { [ $rc = 3 ] || [ $rc = 124 ]; } && [ "$reports" = 0 ]; then
		pass "stop_hvc_panic_reset_$1" "exit $rc after $boots boots, no sanitizer report"
	else
		fail "stop_hvc_panic_reset_$1" "exit $rc after $boots boots, $reports reports: $(grep -m 3 -A 8 -E 'ERROR|WARNING' "$WORK/s-$1.err" | head -c 1500)"
	fi
}
stress plain "$VMM"
stress asan "$TOP/vmm-asan"
stress tsan "$TOP/vmm-tsan"

# --- --panic-watch -----------------------------------------------------------
watch() {	# NAME WANT MODE CMDLINE
	run_vmm "$WORK/w.out" "$WORK/w.err" run -m 64 --timeout 20 --panic-watch "$3" -p "vmmtest=cmdline $4"
	expect_rc "$1" "$2" "$WORK/w.err"
}
watch panic_watch_auto_console_line 3 auto "action=fakepanic"
watch panic_watch_auto_after_pvpanic_probe 0 auto "pvprobe=1 action=fakepanic"
watch panic_watch_console_always 3 console "pvprobe=1 action=fakepanic"
watch panic_watch_pvpanic_ignores_console 0 pvpanic "action=fakepanic"
watch panic_watch_pvpanic_device 3 pvpanic "action=panic"
watch panic_watch_auto_device 3 auto "action=panic"
run_vmm "$WORK/w.out" "$WORK/w.err" run -m 64 --timeout 3 --panic-watch off -p "vmmtest=cmdline action=panic"
expect_rc panic_watch_off_ignores_device 124 "$WORK/w.err"
run_vmm "$WORK/w.out" "$WORK/w.err" run --panic-watch sometimes
if [ $rc = 2 ] && grep -q "panic-watch" "$WORK/w.err"; then
	pass panic_watch_bad_value "exit 2: $(head -n 1 "$WORK/w.err")"
else
	fail panic_watch_bad_value "exit $rc: $(head -c 200 "$WORK/w.err")"
fi
