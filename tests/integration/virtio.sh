#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# virtio devices driven by the test guest's ring-3 driver (guest/virtio.c), over
# both transports (--virtio-transport mmio and pci, checks named mmio_* and pci_*):
# blk data checked against the host file, read-only disks, rng, interrupts on
# every device's line (pci: level INTx, a shared line, MSI-X), several disks;
# then PCI configuration space (guest/pci.c), the default transport, image
# locking, O_DIRECT.
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=30
SECTOR0='vmm virtio test: sector 0 written by the host'
MiB=1048576

# guest_line FILE PREFIX: the first guest output line starting with PREFIX, without CR.
guest_line() { tr -d '\r' <"$1" | grep -m 1 "^$2"; }

# guest_test NAME OUT TEST: the guest's verdict for TEST and vmm's exit status.
guest_test() {
	t=$(guest_line "$2" "TEST $3 ")
	case $t in
	"TEST $3 PASS"*)
		if [ "$rc" = 0 ]; then pass "$1" "${t#TEST $3 PASS }"
		else fail "$1" "guest passed but vmm exit $rc: $(head -c 300 "$WORK/err")"; fi ;;
	"") fail "$1" "no TEST $3 line, exit $rc: $(head -c 300 "$WORK/err") $(tail -n 3 "$2" | tr -d '\r')" ;;
	*) fail "$1" "$t" ;;
	esac
}

# The host's image: text everywhere, a known string in sector 0.
mkimage() {
	yes 'vmm-virtio-host-data-0123456789' | head -c $((16 * MiB)) >"$1"
	printf '%s' "$SECTOR0" | dd of="$1" conv=notrunc status=none
}

# What the guest writes to sectors 8..15: 32 lines "VMMTEST-%07u\n" per sector.
pattern() {
	for s in 8 9 10 11 12 13 14 15; do
		i=0
		while [ $i -lt 32 ]; do printf 'VMMTEST-%07u\n' $s; i=$((i + 1)); done
	done
}

img=$WORK/disk.img
mkimage "$img"
cp "$img" "$WORK/orig.img"
want_hex=$(head -c 16 "$img" | od -An -tx1 | tr -d ' \n')
start=$(now_ms)
pattern >"$WORK/pattern"

# transport_checks T: the device checks over --virtio-transport T (mmio or pci);
# every check is named T_<check>.
transport_checks() {
	T=$1
	tr_opt="--virtio-transport $T"

	# --- virtio_blk: read, write, flush, get_id, write_zeroes, discard, bounds ---
	cp "$WORK/orig.img" "$img"
	# shellcheck disable=SC2086
	run_vmm "$WORK/blk.out" "$WORK/err" run --timeout 20 $tr_opt -d "$img,serial=vmm-test-disk" \
		-p vmmtest=virtio_blk
	guest_test "${T}_virtio_blk" "$WORK/blk.out" virtio_blk
	got=$(guest_line "$WORK/blk.out" "VIRTIO_BLK sector0=")
	if [ "$got" = "VIRTIO_BLK sector0=$want_hex" ]; then
		pass "${T}_virtio_blk_sector0_is_the_hosts" "$want_hex"
	else
		fail "${T}_virtio_blk_sector0_is_the_hosts" "guest '$got', host $want_hex"
	fi
	got=$(guest_line "$WORK/blk.out" "VIRTIO_BLK serial=")
	if [ "$got" = "VIRTIO_BLK serial=vmm-test-disk" ]; then
		pass "${T}_virtio_blk_serial" "vmm-test-disk"
	else
		fail "${T}_virtio_blk_serial" "guest '$got'"
	fi
	if guest_line "$WORK/blk.out" "VIRTIO_BLK " | grep -q "^VIRTIO_BLK transport=$T "; then
		pass "${T}_virtio_blk_over_$T" "$(guest_line "$WORK/blk.out" "VIRTIO_BLK " | cut -d' ' -f2-3)"
	else
		fail "${T}_virtio_blk_over_$T" "$(guest_line "$WORK/blk.out" "VIRTIO_BLK ")"
	fi
	if dd if="$img" bs=512 skip=8 count=8 status=none | cmp -s - "$WORK/pattern"; then
		pass "${T}_virtio_blk_write_reaches_the_file" "sectors 8-15 hold the guest's pattern"
	else
		fail "${T}_virtio_blk_write_reaches_the_file" "sectors 8-15: $(dd if="$img" bs=512 skip=8 count=1 status=none | head -c 32 | od -c | head -n 2)"
	fi
	if grep -q "write_zeroes=ok" "$WORK/blk.out"; then
		if [ "$(dd if="$img" bs=512 skip=16 count=8 status=none | tr -d '\0' | wc -c)" = 0 ]; then
			pass "${T}_virtio_blk_write_zeroes_in_the_file" "sectors 16-23 zero"
		else
			fail "${T}_virtio_blk_write_zeroes_in_the_file" "sectors 16-23 not zero"
		fi
	else
		fail "${T}_virtio_blk_write_zeroes_in_the_file" "guest did not use WRITE_ZEROES: $(guest_line "$WORK/blk.out" "TEST ")"
	fi
	# Nothing else changed: the original with 8..15 = pattern and 16..23 = zeroes.
	{ head -c 4096 "$WORK/orig.img"; cat "$WORK/pattern"; head -c 4096 /dev/zero
	  tail -c +$((12288 + 1)) "$WORK/orig.img"; } >"$WORK/expect.img"
	if cmp -s "$img" "$WORK/expect.img"; then
		pass "${T}_virtio_blk_nothing_else_changed" "the other 16 MiB - 8 KiB identical"
	else
		fail "${T}_virtio_blk_nothing_else_changed" "$(cmp "$img" "$WORK/expect.img" 2>&1 | head -n 1)"
	fi

	# --- a read-only disk: RO offered, writes refused, file untouched ---
	cp "$WORK/orig.img" "$WORK/ro.img"
	sum=$(md5sum <"$WORK/ro.img")
	# shellcheck disable=SC2086
	run_vmm "$WORK/ro.out" "$WORK/err" run --timeout 20 $tr_opt -d "$WORK/ro.img,ro" -p vmmtest=virtio_blk_ro
	guest_test "${T}_virtio_blk_ro" "$WORK/ro.out" virtio_blk_ro
	if [ "$(md5sum <"$WORK/ro.img")" = "$sum" ]; then
		pass "${T}_virtio_blk_ro_file_unchanged" "md5 ${sum%% *}"
	else
		fail "${T}_virtio_blk_ro_file_unchanged" "md5 changed"
	fi

	# --- rng ---
	# shellcheck disable=SC2086
	run_vmm "$WORK/rng.out" "$WORK/err" run --timeout 20 $tr_opt --rng -p vmmtest=virtio_rng
	guest_test "${T}_virtio_rng" "$WORK/rng.out" virtio_rng
	if guest_line "$WORK/rng.out" "VIRTIO_RNG bytes=" | grep -qE '^VIRTIO_RNG bytes=[0-9a-f]{128}$'; then
		pass "${T}_virtio_rng_64_bytes_printed" "$(guest_line "$WORK/rng.out" "VIRTIO_RNG bytes=" | cut -c 18-33)..."
	else
		fail "${T}_virtio_rng_64_bytes_printed" "$(guest_line "$WORK/rng.out" "VIRTIO_RNG")"
	fi

	# --- interrupts: mmio: irqfd on the ISA line; pci: INTx, level, lowered by the ISR read ---
	# shellcheck disable=SC2086
	run_vmm "$WORK/irq.out" "$WORK/err" run --timeout 20 $tr_opt -d "$img" -p vmmtest=virtio_irq
	guest_test "${T}_virtio_irq" "$WORK/irq.out" virtio_irq

	# --- two disks: the test uses the first; the second is announced and untouched ---
	mkimage "$WORK/a.img"
	mkimage "$WORK/b.img"
	sum=$(md5sum <"$WORK/b.img")
	# shellcheck disable=SC2086
	run_vmm "$WORK/two.out" "$WORK/err" run --timeout 20 $tr_opt -d "$WORK/a.img" \
		-d "$WORK/b.img,serial=second" -p vmmtest=cmdline,virtio_blk
	guest_test "${T}_two_disks_first_used" "$WORK/two.out" virtio_blk
	if [ "$T" = mmio ]; then
		if guest_line "$WORK/two.out" "CMDLINE" | grep -q "virtio_mmio.device=512@0xd0001000:5 virtio_mmio.device=512@0xd0002000:6" &&
		   guest_line "$WORK/two.out" "VIRTIO mmio=1 " | grep -q "base=0xd0002000 .*irq=6 magic=0x74726976 version=2 device=2(blk)" &&
		   ! grep -q "^VIRTIO pci=" "$WORK/two.out"; then
			pass mmio_two_disks_second_announced "$(guest_line "$WORK/two.out" "VIRTIO mmio=1 " | cut -d' ' -f2-5)"
		else
			fail mmio_two_disks_second_announced "$(guest_line "$WORK/two.out" "CMDLINE") $(guest_line "$WORK/two.out" "VIRTIO pci=")"
		fi
	else
		# On PCI: slots 1 and 2, nothing on the command line.
		if guest_line "$WORK/two.out" "VIRTIO pci=00:01.0 " | grep -q "id=1af4:1042 rev=1 device=2(blk) " &&
		   guest_line "$WORK/two.out" "VIRTIO pci=00:02.0 " | grep -q "id=1af4:1042 rev=1 device=2(blk) " &&
		   ! guest_line "$WORK/two.out" "CMDLINE" | grep -q "virtio_mmio.device="; then
			pass pci_two_disks_second_announced "$(guest_line "$WORK/two.out" "VIRTIO pci=00:02.0 " | cut -d' ' -f2-5)"
		else
			fail pci_two_disks_second_announced "$(guest_line "$WORK/two.out" "CMDLINE") $(guest_line "$WORK/two.out" "VIRTIO pci=00:02.0 ")"
		fi
	fi
	if [ "$(md5sum <"$WORK/b.img")" = "$sum" ] &&
	   dd if="$WORK/a.img" bs=512 skip=8 count=8 status=none | cmp -s - "$WORK/pattern"; then
		pass "${T}_two_disks_writes_go_to_the_first" "b.img unchanged"
	else
		fail "${T}_two_disks_writes_go_to_the_first" "a.img or b.img not as expected"
	fi

	# --- eight disks and an rng: nine devices, every line interrupts ---
	# pci: slots 1-9, INTA# of slot s on GSI 16 + s % 8, so slots 1 and 9 share a line;
	# MSI-X on all nine.
	disks=
	for i in 1 2 3 4 5 6 7 8; do
		rm -f "$WORK/m$i.img"
		truncate -s 1M "$WORK/m$i.img"
		disks="$disks -d $WORK/m$i.img"
	done
	tests=virtio_irq,virtio_rng
	[ "$T" = pci ] && tests=$tests,virtio_msix
	# shellcheck disable=SC2086
	run_vmm "$WORK/nine.out" "$WORK/err" run --timeout 20 $tr_opt $disks --rng -p vmmtest=$tests
	guest_test "${T}_nine_devices_irq_on_every_line" "$WORK/nine.out" virtio_irq
	if [ "$T" = mmio ]; then
		n=$(tr -d '\r' <"$WORK/nine.out" | grep -c '^VIRTIO mmio=.* magic=0x74726976 version=2 device=')
		if [ "$n" = 9 ] && grep -q "TEST virtio_rng PASS bytes=64 base=0xd0009000" "$WORK/nine.out"; then
			pass mmio_nine_devices_announced "9 windows, rng at 0xd0009000"
		else
			fail mmio_nine_devices_announced "$n windows: $(guest_line "$WORK/nine.out" "TEST virtio_rng")"
		fi
	else
		n=$(tr -d '\r' <"$WORK/nine.out" | grep -v unusable |
		    grep -cE '^VIRTIO pci=00:0[1-8]\.0 id=1af4:1042 rev=1 device=2\(blk\) .* pin=1 ')
		if [ "$n" = 8 ] && guest_line "$WORK/nine.out" "VIRTIO pci=00:09.0 " | grep -q "id=1af4:1044 rev=1 device=4(rng) .* gsi=17" &&
		   grep -q "TEST virtio_rng PASS bytes=64 base=.* transport=pci" "$WORK/nine.out"; then
			pass pci_nine_devices_announced "8 blk in slots 1-8, rng in slot 9 on gsi 17"
		else
			fail pci_nine_devices_announced "$n blk functions: $(guest_line "$WORK/nine.out" "VIRTIO pci=00:09.0 ") $(guest_line "$WORK/nine.out" "TEST virtio_rng")"
		fi
		if guest_line "$WORK/nine.out" "TEST virtio_irq PASS" | grep -q "shared_intx_ok"; then
			pass pci_shared_intx_line "$(guest_line "$WORK/nine.out" "VIRTIO_IRQ shared" | cut -d' ' -f3-)"
		else
			fail pci_shared_intx_line "$(guest_line "$WORK/nine.out" "TEST virtio_irq")"
		fi
		guest_test pci_nine_devices_msix "$WORK/nine.out" virtio_msix
	fi
}

for T in mmio pci; do
	transport_checks $T
done

# --- PCI: configuration space (CAM and ECAM), BAR sizing, read-only fields, MSI-X ---
run_vmm "$WORK/pci.out" "$WORK/err" run --timeout 20 --virtio-transport pci -d "$img" --rng \
	-p vmmtest=pci,virtio_msix
guest_test pci_config_space "$WORK/pci.out" pci
guest_test pci_virtio_msix "$WORK/pci.out" virtio_msix
if guest_line "$WORK/pci.out" "PCI 00:00.0 " | grep -q "id=1b36:0008 .*class=0x060000" &&
   guest_line "$WORK/pci.out" "PCI ecam=" | grep -q "^PCI ecam=0xe0000000 mcfg_buses=0-"; then
	pass pci_host_bridge_and_mcfg "1b36:0008 at 00:00.0, ECAM 0xe0000000 from the MCFG"
else
	fail pci_host_bridge_and_mcfg "$(guest_line "$WORK/pci.out" "PCI ecam=") $(guest_line "$WORK/pci.out" "PCI 00:00.0 ")"
fi
if guest_line "$WORK/pci.out" "PCI 00:01.0 " | grep -q "id=1af4:1042 .*rev=1 .*pin=1 .* b0=0x[cC][0-9a-f]*/0x" &&
   guest_line "$WORK/pci.out" "PCI 00:02.0 " | grep -q "id=1af4:1044 .*rev=1 .*pin=1 .* b0=0x[cC][0-9a-f]*/0x" &&
   [ -z "$(guest_line "$WORK/pci.out" "PCI 00:03.0 ")" ]; then
	pass pci_virtio_functions "$(guest_line "$WORK/pci.out" "PCI 00:01.0 " | cut -d' ' -f2-3) $(guest_line "$WORK/pci.out" "PCI 00:02.0 " | cut -d' ' -f2-3)"
else
	fail pci_virtio_functions "$(guest_line "$WORK/pci.out" "PCI 00:01.0 ") / $(guest_line "$WORK/pci.out" "PCI 00:02.0 ")"
fi

# Without the option x86 puts virtio on PCI (what a stock PC kernel looks for), and only there.
cp "$WORK/orig.img" "$img"
run_vmm "$WORK/def.out" "$WORK/err" run --timeout 20 -d "$img" -p vmmtest=virtio_blk
if [ "$(grep -c "^VIRTIO pci=" "$WORK/def.out")" = 1 ] &&
   [ "$(grep -c "^VIRTIO mmio=" "$WORK/def.out")" = 0 ]; then
	guest_test default_transport_is_pci "$WORK/def.out" virtio_blk
else
	fail default_transport_is_pci "$(grep "^VIRTIO" "$WORK/def.out" | tr -d '\r' | head -n 3)"
fi
# With mmio there is no virtio function on the bus.
run_vmm "$WORK/m.out" "$WORK/err" run --timeout 20 --virtio-transport mmio -d "$img" -p vmmtest=pci
if guest_line "$WORK/m.out" "TEST pci " | grep -q "PASS functions=1 virtio=0"; then
	pass mmio_transport_leaves_the_bus_empty "$(guest_line "$WORK/m.out" "TEST pci " | cut -d' ' -f4-5)"
else
	fail mmio_transport_leaves_the_bus_empty "$(guest_line "$WORK/m.out" "TEST pci ")"
fi

# --- image locking ---
# one_line_error NAME: exit 2 with exactly one line on stderr, about the lock.
one_line_error() {
	if [ "$rc" = 2 ] && [ "$(wc -l <"$WORK/err")" = 1 ] && grep -q "locked" "$WORK/err"; then
		pass "$1" "$(cat "$WORK/err")"
	else
		fail "$1" "exit $rc: $(head -c 300 "$WORK/err")"
	fi
}
run_vmm "$WORK/o" "$WORK/err" run --timeout 20 -d "$img" -d "$img" -p vmmtest=cmdline
one_line_error lock_same_image_twice

# wait_result FILE: until the guest (in the background) has printed RESULT.
wait_result() {
	i=0
	while [ $i -lt 100 ] && ! grep -q '^RESULT' "$1" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
}
timeout -k 5 30 "$VMM" run --timeout 25 -d "$img" -p "vmmtest=cmdline action=hang" \
	</dev/null >"$WORK/holder.out" 2>&1 &
holder=$!
wait_result "$WORK/holder.out"
run_vmm "$WORK/o" "$WORK/err" run --timeout 20 -d "$img" -p vmmtest=cmdline
one_line_error lock_held_by_another_vmm
run_vmm "$WORK/o" "$WORK/err" run --timeout 20 -d "$img,ro" -p vmmtest=cmdline
one_line_error lock_ro_refused_while_written_elsewhere
kill -TERM $holder 2>/dev/null
wait $holder 2>/dev/null

# Read-only users share the image.
timeout -k 5 30 "$VMM" run --timeout 25 -d "$img,ro" -p "vmmtest=cmdline action=hang" \
	</dev/null >"$WORK/holder.out" 2>&1 &
holder=$!
wait_result "$WORK/holder.out"
run_vmm "$WORK/o" "$WORK/err" run --timeout 20 -d "$img,ro" -p vmmtest=virtio_blk_ro
guest_test lock_two_readers_share "$WORK/o" virtio_blk_ro
kill -TERM $holder 2>/dev/null
wait $holder 2>/dev/null

# --- O_DIRECT, and a serial of the full 20 bytes (no NUL in GET_ID) ---
mkimage "$WORK/direct.img"
run_vmm "$WORK/direct.out" "$WORK/err" run --timeout 20 -d "$WORK/direct.img,direct,serial=ABCDEFGHIJ0123456789" \
	-p vmmtest=virtio_blk
if [ "$rc" != 0 ] && grep -q "O_DIRECT" "$WORK/err"; then
	skip virtio_blk_direct "$(cat "$WORK/err")"
else
	guest_test virtio_blk_direct "$WORK/direct.out" virtio_blk
	if guest_line "$WORK/direct.out" "VIRTIO_BLK serial=" | grep -qx "VIRTIO_BLK serial=ABCDEFGHIJ0123456789" &&
	   dd if="$WORK/direct.img" bs=512 skip=8 count=8 status=none | cmp -s - "$WORK/pattern"; then
		pass virtio_blk_direct_data_and_20_byte_serial "pattern in the file"
	else
		fail virtio_blk_direct_data_and_20_byte_serial "$(guest_line "$WORK/direct.out" "VIRTIO_BLK serial=")"
	fi
fi
echo "virtio.sh: $(( $(now_ms) - start )) ms"
