#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# --console virtio with the test guest's ring-3 virtio-console driver
# (guest/virtio_console.c, vmmtest=virtio_console) over both transports
# (checks named mmio_* and pci_*): what the guest writes to its transmitq is on
# vmm's stdout, vmm's stdin reaches its receive buffers and comes back echoed.
# stdin is a fifo: the first line is written before vmm starts (vmm must hold
# it until the guest posts buffers, which it does 500 ms after DRIVER_OK); the
# rest once the guest has echoed that line: a LONG line (610 bytes, more than
# the 16 x 32 bytes posted, so it spans many buffers and waits for them to come
# back) and every byte 0x20-0x7e. The guest's COM1 output (its TEST line) stays
# on stdout next to hvc0's. Then: a reordered LONG line fails, no device skips.
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=60

EARLY='typed before the guest posted receive buffers'
LONG="LONG n=150 $(awk 'BEGIN { for (i = 0; i < 150; i++) printf "%s%03d", i ? " " : "", i }')"
ASCII=$(awk 'BEGIN { for (i = 32; i < 127; i++) printf "%c", i }')

# guest_line FILE PREFIX: the first output line starting with PREFIX, without CR.
guest_line() { tr -d '\r' <"$1" | awk -v p="$2" 'index($0, p) == 1 { print; exit }'; }
# has_line FILE LINE: FILE has exactly LINE (CR stripped).
has_line() { tr -d '\r' <"$1" | grep -q -x -F -- "$2"; }
# line_no FILE LINE: the number of the first line that is exactly LINE, else 0.
line_no() { tr -d '\r' <"$1" | grep -n -x -F -- "$2" | head -n 1 | cut -d: -f1 | grep . || echo 0; }

# feed FIFO OUT LONGLINE: EARLY at once, the other two lines after the guest echoed it.
feed() {
	exec 3>"$1"
	printf '%s\n' "$EARLY" >&3
	i=0
	while ! has_line "$2" "ECHO: $EARLY" && ! grep -q '^TEST virtio_console ' "$2" &&
	      [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	printf '%s\n%s\n' "$3" "$ASCII" >&3
	exec 3>&-
}

# converse T LONGLINE OUT: vmm --console virtio over transport T, fed through a fifo; sets $rc.
converse() {
	rm -f "$WORK/in.fifo" "$3"
	mkfifo "$WORK/in.fifo"
	: >"$3"
	feed "$WORK/in.fifo" "$3" "$2" 2>/dev/null &
	feeder=$!
	timeout -k 5 $VMM_HARD_TIMEOUT "$VMM" run --timeout 40 --console virtio \
		--virtio-transport "$1" -p vmmtest=virtio_console <"$WORK/in.fifo" >"$3" 2>"$WORK/err"
	rc=$?
	wait $feeder 2>/dev/null
	rm -f "$WORK/in.fifo"
}

summary() { echo "exit $rc; $(tr -d '\r' <"$1" | grep -E '^(TEST|VIRTIO_CONSOLE|HVC|ECHO)' | cut -c1-100 | tail -n 8 | tr '\n' '|') $(head -c 300 "$WORK/err")"; }

for T in pci mmio; do
	out=$WORK/$T.out
	converse $T "$LONG" "$out"

	t=$(tr -d '\r' <"$out" | grep -m 1 '^TEST virtio_console ')
	case $t in
	"TEST virtio_console PASS"*)
		if [ "$rc" = 0 ]; then pass "${T}_virtio_console" "${t#TEST virtio_console PASS }, exit 0"
		else fail "${T}_virtio_console" "guest passed but $(summary "$out")"; fi ;;
	"") fail "${T}_virtio_console" "no TEST line: $(summary "$out")" ;;
	*) fail "${T}_virtio_console" "$t; $(summary "$out")" ;;
	esac
	if has_line "$out" "HVC hello transport=$T"; then
		pass "${T}_virtio_console_output_on_stdout" "HVC hello transport=$T"
	else
		fail "${T}_virtio_console_output_on_stdout" "no 'HVC hello transport=$T': $(summary "$out")"
	fi
	if has_line "$out" "HVC ascii=$ASCII"; then
		pass "${T}_virtio_console_output_every_printable_byte" "0x20-0x7e intact"
	else
		fail "${T}_virtio_console_output_every_printable_byte" "got '$(guest_line "$out" "HVC ascii=")'"
	fi
	if has_line "$out" "ECHO: $EARLY"; then
		pass "${T}_virtio_console_input_before_buffers_held" "'$EARLY' echoed"
	else
		fail "${T}_virtio_console_input_before_buffers_held" "no echo of '$EARLY': $(summary "$out")"
	fi
	bufs=$(guest_line "$out" "VIRTIO_CONSOLE rx line=2 " | sed -n 's/.* buffers=\([0-9]*\)$/\1/p')
	if has_line "$out" "ECHO: $LONG" && [ "${bufs:-0}" -ge 2 ]; then
		pass "${T}_virtio_console_long_input_whole_in_order" "${#LONG} bytes in $bufs buffers"
	else
		fail "${T}_virtio_console_long_input_whole_in_order" "buffers=${bufs:-none}: $(summary "$out")"
	fi
	if has_line "$out" "ECHO: $ASCII"; then
		pass "${T}_virtio_console_input_every_printable_byte" "0x20-0x7e echoed intact"
	else
		fail "${T}_virtio_console_input_every_printable_byte" "$(summary "$out")"
	fi
	# One stdout for COM1 and hvc0, in the order the guest wrote them.
	order=""
	for l in "HVC hello transport=$T" "HVC ascii=$ASCII" "ECHO: $EARLY" "ECHO: $LONG" \
		 "ECHO: $ASCII" "$t" "RESULT passed=1 failed=0"; do
		order="$order $(line_no "$out" "$l")"
	done
	if echo "$order" | tr ' ' '\n' | grep . | sort -n -c 2>/dev/null &&
	   ! echo "$order" | grep -qw 0; then
		pass "${T}_virtio_console_hvc_and_com1_in_order" "lines$order"
	else
		fail "${T}_virtio_console_hvc_and_com1_in_order" "lines$order: $(summary "$out")"
	fi
done

# The guest checks the LONG line: two numbers swapped make it fail, and vmm exit 3.
converse pci "$(echo "$LONG" | sed 's/ 077 078 / 078 077 /')" "$WORK/bad.out"
t=$(tr -d '\r' <"$WORK/bad.out" | grep -m 1 '^TEST virtio_console ')
case $t in
"TEST virtio_console FAIL line 2"*"number 77 reads 78"*)
	if [ "$rc" = 3 ]; then pass virtio_console_reordered_input_fails "${t#TEST virtio_console }, exit 3"
	else fail virtio_console_reordered_input_fails "guest failed but exit $rc, expected 3"; fi ;;
*) fail virtio_console_reordered_input_fails "'$t': $(summary "$WORK/bad.out")" ;;
esac

# Without --console virtio there is no device: SKIP, exit 0.
run_vmm "$WORK/none.out" "$WORK/err" run --timeout 20 -p vmmtest=virtio_console
t=$(tr -d '\r' <"$WORK/none.out" | grep -m 1 '^TEST virtio_console ')
case $t in
"TEST virtio_console SKIP"*) expect_rc virtio_console_skips_without_device 0 "$WORK/err" ;;
*) fail virtio_console_skips_without_device "'$t', exit $rc" ;;
esac
