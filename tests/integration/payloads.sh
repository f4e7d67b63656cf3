#!/bin/sh
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
