#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# virtio-net over a tap that vmm creates (-n tap,ifname=...), on both virtio
# transports (--virtio-transport mmio and pci, checks mmio_net_*, pci_net_*): the test guest
# sends one frame (EtherType 0x88b5, "VMMTEST-NET-PING") and waits for the
# reply; tests/tools/net_echo.c, on an AF_PACKET socket bound to the tap,
# checks the guest's frame and answers "VMMTEST-NET-PONG". Traffic stays on
# the tap itself. Also: bad --net options, --net none, tap errors.
. "$(dirname "$0")/../lib.sh"
VMM_HARD_TIMEOUT=20
start=$(now_ms)

# --- options ---
set -- unknown_mode multicast_mac bad_mac long_ifname unknown_option
for bad in usr 'tap,mac=01:00:00:00:00:01' 'tap,mac=zz' 'tap,ifname=0123456789abcdef' 'tap,speed=1'; do
	what=$1; shift
	run_vmm "$WORK/bad.out" "$WORK/bad.err" run --net "$bad" -p vmmtest=none
	if [ "$rc" = 2 ] && [ "$(wc -l <"$WORK/bad.err")" = 1 ] && grep -q -- "--net '$bad'" "$WORK/bad.err"; then
		pass "net_bad_option_$what" "$(cat "$WORK/bad.err")"
	else
		fail "net_bad_option_$what" "'$bad': exit $rc: $(head -c 300 "$WORK/bad.err")"
	fi
done
run_vmm "$WORK/none.out" "$WORK/none.err" run --timeout 10 --net none -p vmmtest=virtio_net
t=$(tr -d '\r' <"$WORK/none.out" | grep -m 1 '^TEST virtio_net ')
case $t in
"TEST virtio_net SKIP"*) pass net_none_has_no_device "$t" ;;
*) fail net_none_has_no_device "exit $rc: '$t'" ;;
esac

if [ ! -c /dev/net/tun ] || [ "$(id -u)" != 0 ]; then
	skip net_tap_round_trip "needs root and /dev/net/tun"
	exit 0
fi

# A name the kernel rejects for a tap (an existing non-tap device): exit 1, one line.
run_vmm "$WORK/lo.out" "$WORK/lo.err" run --net tap,ifname=lo -p vmmtest=none
if [ "$rc" = 1 ] && [ "$(wc -l <"$WORK/lo.err")" = 1 ]; then
	pass net_tap_on_a_non_tap_device_fails "$(cat "$WORK/lo.err")"
else
	fail net_tap_on_a_non_tap_device_fails "exit $rc: $(head -c 300 "$WORK/lo.err")"
fi

# --- frames out and back in ---
tool=$TOP/build/${ARCH:-x86}/net_echo	# built by make check
if [ ! -x "$tool" ]; then
	fail net_tap_round_trip "$tool was not built"
	exit 0
fi
# net_round_trip T: the ping/pong over --virtio-transport T, checks named T_net_*.
net_round_trip() {
	T=$1
	ifname=$(printf '%.14s' "vmmtest$$")$(printf '%.1s' "$T")
	mac=52:54:00:12:34:56
	"$tool" "$ifname" 10 >"$WORK/host.out" 2>"$WORK/host.err" &
	echo_pid=$!
	run_vmm "$WORK/net.out" "$WORK/net.err" run --timeout 15 --virtio-transport "$T" \
		-n "tap,ifname=$ifname,mac=$mac" -p vmmtest=virtio_net
	wait $echo_pid
	echo_rc=$?
	t=$(tr -d '\r' <"$WORK/net.out" | grep -m 1 '^TEST virtio_net ')
	case $t in
	"TEST virtio_net PASS"*"reply=VMMTEST-NET-PONG"*)
		if [ "$rc" = 0 ]; then pass "${T}_net_guest_got_the_hosts_reply" "${t#TEST virtio_net PASS }"
		else fail "${T}_net_guest_got_the_hosts_reply" "guest passed but vmm exit $rc: $(head -c 300 "$WORK/net.err")"; fi ;;
	*) fail "${T}_net_guest_got_the_hosts_reply" "exit $rc: '$t' $(head -c 300 "$WORK/net.err") $(tail -n 3 "$WORK/net.out" | tr -d '\r')" ;;
	esac
	got=$(grep -m 1 '^HOST got' "$WORK/host.out")
	if [ "$echo_rc" = 0 ] && [ "$got" = "HOST got src=$mac len=60 payload=VMMTEST-NET-PING" ]; then
		pass "${T}_net_host_saw_the_guests_frame" "$got"
	else
		fail "${T}_net_host_saw_the_guests_frame" "net_echo exit $echo_rc: '$got' $(head -c 300 "$WORK/host.err")"
	fi
	if tr -d '\r' <"$WORK/net.out" | grep -q "^VIRTIO_NET transport=$T base=.* mac=$mac status=1 "; then
		pass "${T}_net_mac_in_config_space" "$mac, link up"
	else
		fail "${T}_net_mac_in_config_space" "$(tr -d '\r' <"$WORK/net.out" | grep -m 1 '^VIRTIO_NET transport=')"
	fi
	# The tap was vmm's own: it is gone with vmm.
	if ip link show "$ifname" >/dev/null 2>&1; then
		fail "${T}_net_tap_removed_on_exit" "$ifname still exists"
		ip link delete "$ifname" 2>/dev/null
	else
		pass "${T}_net_tap_removed_on_exit" "$ifname"
	fi
}
for T in mmio pci; do
	net_round_trip $T
done

# --- the tap outlives guest reboots (devices/virtio/net_backends.h) ---
# The guest resets at once, again and again; what the host put on vmm's tap
# after the first boot (an address) and its ifindex must be there after three.
ifname=$(printf '%.13s' "vmmtest$$")r
"$VMM" run --net "tap,ifname=$ifname" -p "vmmtest=none action=reset" --timeout 60 \
	</dev/null >"$WORK/rb.out" 2>"$WORK/rb.err" &
vmm_pid=$!
for i in $(seq 100); do [ -e "/sys/class/net/$ifname" ] && break; sleep 0.1; done
idx1=$(cat "/sys/class/net/$ifname/ifindex" 2>/dev/null)
ip addr add 198.51.100.1/32 dev "$ifname" 2>"$WORK/rb.ip"
for i in $(seq 300); do
	[ "$(grep -c 'guest rebooted' "$WORK/rb.err")" -ge 3 ] && break
	kill -0 $vmm_pid 2>/dev/null || break
	sleep 0.1
done
reboots=$(grep -c 'guest rebooted' "$WORK/rb.err")
idx2=$(cat "/sys/class/net/$ifname/ifindex" 2>/dev/null)
addr=$(ip -4 -o addr show dev "$ifname" 2>/dev/null | grep -o '198\.51\.100\.1/32')
kill -TERM $vmm_pid 2>/dev/null
wait $vmm_pid
if [ -z "$idx1" ] || [ "$reboots" -lt 3 ]; then
	fail net_tap_survives_reboots "ifindex '$idx1', $reboots reboots: $(head -c 300 "$WORK/rb.err") $(cat "$WORK/rb.ip")"
elif [ "$idx2" = "$idx1" ] && [ -n "$addr" ]; then
	pass net_tap_survives_reboots "$ifname: ifindex $idx1 and $addr after $reboots reboots"
else
	fail net_tap_survives_reboots "after $reboots reboots: ifindex $idx1 -> '$idx2', address '$addr'"
fi
if ip link show "$ifname" >/dev/null 2>&1; then
	fail net_tap_removed_after_reboots "$ifname still exists"
	ip link delete "$ifname" 2>/dev/null
else
	pass net_tap_removed_after_reboots "$ifname"
fi
echo "net.sh: $(( $(now_ms) - start )) ms"
