#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# Test kernels that are not Linux: an exact command line, multiboot kernels,
# writes nobody decodes.
. "$(dirname "$0")/../lib.sh"

# cmdline_line OUT: the CMDLINE line the test guest printed, CR stripped.
cmdline_line() { tr -d '\r' <"$1" | sed -n 's/^CMDLINE //p'; }

# --exact-cmdline: the guest sees -p and nothing else, even with devices
# that add words of their own (console=hvc0, virtio_mmio.device=).
want="vmmtest=cmdline  two  spaces=kept x=1"
run_vmm "$WORK/o" "$WORK/e" run --exact-cmdline --console virtio --virtio-transport mmio \
	--rng -p "$want" --timeout 30
got=$(cmdline_line "$WORK/o")
if [ $rc = 0 ] && [ "$got" = "$want" ]; then
	pass exact_cmdline_is_only_the_users "'$got'"
else
	fail exact_cmdline_is_only_the_users "exit $rc, guest saw '$got'; $(tail -c 300 "$WORK/e")"
fi
# ... and --debug still names what vmm would have added.
run_vmm "$WORK/o" "$WORK/e" run --exact-cmdline --debug --virtio-transport mmio --rng \
	-p "vmmtest=cmdline" --timeout 30
if [ $rc = 0 ] && grep -q "does not add: console=ttyS0 .*virtio_mmio.device=" "$WORK/e" &&
   [ "$(cmdline_line "$WORK/o")" = "vmmtest=cmdline" ]; then
	pass exact_cmdline_debug_shows_the_omitted_words "$(grep -o 'does not add.*' "$WORK/e" | head -c 120)"
else
	fail exact_cmdline_debug_shows_the_omitted_words "exit $rc: $(grep -i 'cmdline\|command line' "$WORK/e" | head -c 300)"
fi
# Without it the defaults come first (the test above can fail).
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline" --timeout 30
case $(cmdline_line "$WORK/o") in
"console=ttyS0 "*" vmmtest=cmdline") pass default_cmdline_has_vmm_words_first "" ;;
*) fail default_cmdline_has_vmm_words_first "guest saw '$(cmdline_line "$WORK/o")'" ;;
esac

# Multiboot v1: the test guest as a flat file with its own header
# (guest/build/testguest.mb), -i as its module. It checks the magic, the
# information's flags, memory fields and map, the loader name and the
# module's contents, then powers off (exit 0) or panics (exit 3).
MB=$TOP/guest/build/testguest.mb
printf 'hello-multiboot-module' >"$WORK/mod.bin"
run_vmm "$WORK/o" "$WORK/e" run -k "$MB" -i "$WORK/mod.bin" -m 128 --exact-cmdline --timeout 30 \
	-p "vmmtest=multiboot,cmdline expect_mem=128 expect_mod=hello-multiboot-module"
if [ $rc = 0 ] && tr -d '\r' <"$WORK/o" | grep -q '^TEST multiboot PASS' &&
   [ "$(cmdline_line "$WORK/o")" = "vmmtest=multiboot,cmdline expect_mem=128 expect_mod=hello-multiboot-module" ]; then
	pass multiboot_kernel_entered_per_spec "$(tr -d '\r' <"$WORK/o" | grep '^TEST multiboot')"
else
	fail multiboot_kernel_entered_per_spec "exit $rc: $(tr -d '\r' <"$WORK/o" | grep -a 'TEST\|CMDLINE' | head -c 400) $(tail -c 300 "$WORK/e")"
fi
# The guest's check can fail: a module with other contents is a panic (3).
run_vmm "$WORK/o" "$WORK/e" run -k "$MB" -i "$WORK/mod.bin" -m 128 --timeout 30 \
	-p "vmmtest=multiboot expect_mem=128 expect_mod=other-contents"
if [ $rc = 3 ] && tr -d '\r' <"$WORK/o" | grep -q '^TEST multiboot FAIL module'; then
	pass multiboot_guest_check_can_fail "exit 3"
else
	fail multiboot_guest_check_can_fail "exit $rc: $(tr -d '\r' <"$WORK/o" | grep -a '^TEST' | head -c 300)"
fi
# Above the 3 GiB hole: mem_upper stops at the hole, the map goes on at 4 GiB.
run_vmm "$WORK/o" "$WORK/e" run -k "$MB" -m 3584 --timeout 30 -p "vmmtest=multiboot expect_mem=3584"
if [ $rc = 0 ] && tr -d '\r' <"$WORK/o" | grep -q '^TEST multiboot PASS'; then
	pass multiboot_memory_above_4g "$(tr -d '\r' <"$WORK/o" | grep '^TEST multiboot')"
else
	fail multiboot_memory_above_4g "exit $rc: $(tr -d '\r' <"$WORK/o" | grep -a 'TEST' | head -c 300)"
fi

# A kernel printing to a UART vmm does not have (COM2) before it touches
# COM1: vmm says so once, with the address, without --debug, and counts the
# bytes at the end.
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline early_out=0x2f8" --timeout 30
if [ $rc = 0 ] && [ "$(grep -c 'wrote to pio 0x2f8' "$WORK/e")" = 1 ] &&
   grep -q '3 pio writes hit no device before the guest used its console, the first at 0x2f8' "$WORK/e"; then
	pass early_writes_to_nowhere_are_reported "$(head -n 1 "$WORK/e" | head -c 150)"
else
	fail early_writes_to_nowhere_are_reported "exit $rc: $(head -c 400 "$WORK/e")"
fi
# ... and a guest that sets up COM1 first and probes later stays quiet.
run_vmm "$WORK/o" "$WORK/e" run -p "vmmtest=cmdline" --timeout 30
if [ $rc = 0 ] && ! grep -q 'no device' "$WORK/e"; then
	pass normal_boot_reports_no_early_writes ""
else
	fail normal_boot_reports_no_early_writes "exit $rc: $(head -c 300 "$WORK/e")"
fi
