#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# The built-in test guest on real /dev/kvm: its own checks with 1, 2 and 8
# vcpus, every exit status, --timeout, signals, stdin, concurrent instances.
. "$(dirname "$0")/../lib.sh"

# guest_checks NAME CPUS MEM: every TEST line the guest prints becomes a result.
guest_checks() {
	run_vmm "$WORK/$1.out" "$WORK/$1.err" run -c "$2" -m "$3" --timeout 60 \
		-p "vmmtest=all expect_mem=$3 expect_cpus=$2"
	tr -d '\r' <"$WORK/$1.out" | sed -n 's/^TEST \([^ ]*\) \(PASS\|FAIL\|SKIP\) *\(.*\)$/\2 \1 \3/p' |
	while read -r verdict test detail; do
		case $verdict in
		PASS) pass "$1/$test" "$detail" ;;
		SKIP) skip "$1/$test" "$detail" ;;
		*) fail "$1/$test" "$detail" ;;
		esac
	done
	if [ $rc = 0 ] && tr -d '\r' <"$WORK/$1.out" | grep -q '^RESULT passed=9 failed=0$'; then
		pass "$1/exit" "powered off, exit 0"
	else
		fail "$1/exit" "exit $rc: $(tail -c 300 "$WORK/$1.err") $(tail -n 3 "$WORK/$1.out")"
	fi
}
guest_checks guest_1cpu 1 128
guest_checks guest_2cpu 2 256
guest_checks guest_8cpu 8 3584	# above the 3 GiB hole: RAM continues at 4 GiB

# Exit statuses: one test per branch of the table in README.md.
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline action=poweroff"
expect_rc exit_poweroff_is_0 0 "$WORK/e"
# The boot-time marker: a guest write of 123 to the boot-timer device.
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline boottimer=1 action=poweroff"
if [ $rc = 0 ] && grep -q 'guest boot-time marker: [0-9.]* ms after vmm started, [0-9.]* ms after its vcpus started' "$WORK/e"; then
	pass boot_timer_marker_logged "$(grep -o 'marker: .*' "$WORK/e")"
else
	fail boot_timer_marker_logged "exit $rc: $(head -c 300 "$WORK/e")"
fi
run_vmm "$WORK/o" "$WORK/e" run --no-reboot -p "vmmtest=cmdline action=reset"
expect_rc exit_reset_with_no_reboot_is_0 0 "$WORK/e"
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline action=panic"
expect_rc exit_panic_is_3 3 "$WORK/e"
# A kernel without a pvpanic driver: its panic line on the console is enough.
printf 'echo Kernel panic - not syncing: said by the guest shell\n' |
	timeout 30 "$VMM" run >"$WORK/o" 2>"$WORK/e"
rc=$?
expect_rc exit_console_panic_line_is_3 3 "$WORK/e"
run_vmm "$WORK/o" "$WORK/e" run -c 2 -p "vmmtest=acpi expect_cpus=3"
expect_rc exit_failed_guest_test_is_3 3 "$WORK/e"
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline action=triplefault"
if [ $rc = 4 ] && grep -q "triple fault" "$WORK/e" && grep -q "rip [0-9a-f]" "$WORK/e"; then
	pass exit_triple_fault_is_4 "reported with registers"
else
	fail exit_triple_fault_is_4 "exit $rc: $(head -c 300 "$WORK/e")"
fi

# A fatal KVM exit: ring-0 cmpxchg16b, which a software nested KVM cannot emulate.
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline action=emulfail"
if grep -q "EMULFAIL survived" "$WORK/o"; then
	skip exit_kvm_internal_error_is_4 "this host runs ring-0 cmpxchg16b natively"
elif [ $rc = 4 ] && grep -q "internal error.*instruction bytes f0 48 0f c7" "$WORK/e" &&
     grep -q "rip [0-9a-f]" "$WORK/e"; then
	pass exit_kvm_internal_error_is_4 "reported with the instruction and registers"
else
	fail exit_kvm_internal_error_is_4 "exit $rc: $(head -c 300 "$WORK/e")"
fi

start=$(date +%s)
run_vmm "$WORK/o" "$WORK/e" run --timeout 2 -p "vmmtest=cmdline action=hang"
took=$(( $(date +%s) - start ))
if [ $rc = 124 ] && [ $took -le 4 ] && grep -q "timeout" "$WORK/e"; then
	pass exit_timeout_is_124 "after ${took}s"
else
	fail exit_timeout_is_124 "exit $rc after ${took}s"
fi

# A reboot restarts the guest: it boots again (and again) until --timeout.
run_vmm "$WORK/o" "$WORK/e" run --timeout 3 -p "vmmtest=cmdline action=reset"
boots=$(grep -c '^RESULT' "$WORK/o")
if [ $rc = 124 ] && [ "$boots" -ge 2 ]; then
	pass reset_restarts_the_guest "$boots boots in 3 s"
else
	fail reset_restarts_the_guest "exit $rc, $boots boots"
fi

"$VMM" run -p "vmmtest=cmdline action=hang" </dev/null >"$WORK/o" 2>"$WORK/e" &
pid=$!
sleep 0.5
kill -TERM $pid; wait $pid; rc=$?
expect_rc exit_sigterm_is_143 143 "$WORK/e"

# stdin: a pipe feeds the serial port (rep insb), and EOF does not stop the guest.
printf 'hello from the host\n' | timeout 30 "$VMM" run -p "vmmtest=serial_in" \
	>"$WORK/o" 2>"$WORK/e"
rc=$?
if [ $rc = 0 ] && tr -d '\r' <"$WORK/o" | grep -q "TEST serial_in PASS got=hello from the host"; then
	pass serial_input_from_a_pipe "line received"
else
	fail serial_input_from_a_pipe "exit $rc: $(tr -d '\r' <"$WORK/o" | grep serial_in)"
fi

# Two VMs at once, each with two vcpus.
"$VMM" run -c 2 -m 128 -p "vmmtest=all expect_cpus=2" </dev/null >"$WORK/a.out" 2>&1 &
a=$!
"$VMM" run -c 2 -m 128 -p "vmmtest=all expect_cpus=2" </dev/null >"$WORK/b.out" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
if [ $ra = 0 ] && [ $rb = 0 ] && grep -q 'failed=0' "$WORK/a.out" && grep -q 'failed=0' "$WORK/b.out"; then
	pass two_instances_at_once "both passed"
else
	fail two_instances_at_once "exits $ra and $rb: $(tail -n 6 "$WORK/a.out" | tr '\n' '|') $(tail -n 6 "$WORK/b.out" | tr '\n' '|')"
fi
