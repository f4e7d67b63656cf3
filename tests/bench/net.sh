#!/bin/sh
# make bench: virtio-net throughput over a tap, both ways, vmm against QEMU's
# virtio-net on the same tap in the same run. The test guest's ring-3 driver
# (vmmtest=bench_net_tx / bench_net_rx, guest/bench_net.c: polled rings, no
# interrupts, 1514-byte frames) talks to tests/bench/nethost.c on an AF_PACKET
# socket bound to the tap; both VMMs use virtio-mmio (QEMU microvm), QEMU with
# -netdev tap,vhost=off. Gbit/s: frame bytes delivered (received by the host
# for guest -> host, by the guest for host -> guest). CPU per Gbit: the VMM
# process's threads (schedstat run time) while the guest measured, per Gbit
# delivered; the guest's vcpu polls, so it is also given without the vcpu
# thread(s). Needs root (tap). NET_RUNS (default 5), NET_MS (default 1000).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build/x86
RUNS=${NET_RUNS:-5}
MS=${NET_MS:-1000}
GUEST=guest/build/testguest.bzImage
MAC=52:54:00:12:34:57

echo "== virtio-net over a tap: guest ring-3 driver <-> AF_PACKET on the host, 1514-byte frames, median of $RUNS"
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	echo "skipped: needs root and /dev/net/tun (a tap)"
	exit 0
fi
if [ ! -x $B/nethost ] && ! make -s $B/nethost; then
	echo "skipped: cannot build tests/bench/nethost.c"
	exit 0
fi

TAP=vmmbn$$
ip tuntap add dev $TAP mode tap vnet_hdr || { echo "skipped: cannot create a tap"; exit 0; }
ip link set $TAP up
out=$(mktemp -d)
trap 'ip link delete $TAP 2>/dev/null; rm -rf "$out"' EXIT
trap 'exit 130' INT TERM

have_qemu=0
command -v qemu-system-x86_64 >/dev/null && have_qemu=1

vmm_run() {	# DIR TRANSPORT OUT
	$B/nethost -t 20 -o "$3" "$1" $TAP -- ./vmm run -m 256 --virtio-transport "$2" \
		-n tap,ifname=$TAP,mac=$MAC -p "vmmtest=bench_net_$1 bench_ms=$MS" </dev/null
}
qemu_run() {	# DIR OUT; microvm cannot power off: nethost stops it 300 ms after STOP
	$B/nethost -t 20 -k 300 -o "$2" "$1" $TAP -- qemu-system-x86_64 \
		-M microvm,acpi=off,ioapic2=off,auto-kernel-cmdline=on,rtc=on \
		-global virtio-mmio.force-legacy=false -accel kvm -m 256 -nodefaults -display none \
		-serial stdio -no-reboot -name qemu,debug-threads=on -kernel $GUEST \
		-append "console=ttyS0 vmmtest=bench_net_$1 bench_ms=$MS action=hang" \
		-netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off \
		-device virtio-net-device,netdev=n0,mac=$MAC </dev/null
}
for i in $(seq $RUNS); do
	for dir in tx rx; do
		vmm_run $dir mmio "$out/vmm.$dir" >>"$out/log" 2>&1
		[ $have_qemu = 1 ] && qemu_run $dir "$out/qemu.$dir" >>"$out/log" 2>&1
		[ "$i" -le 3 ] && vmm_run $dir pci "$out/pci.$dir" >>"$out/log" 2>&1
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# fig FILE FIELD: the median of FIELD over the NETHOST lines of FILE
fig() { tr -d '\r' <"$1" 2>/dev/null | sed -n "s/^NETHOST .* $2=\([-0-9.]*\).*/\1/p" | median; }
runs() { grep -c '^NETHOST' "$1" 2>/dev/null || echo 0; }
gbps() { awk -v m="$1" 'BEGIN { if (m != "") printf "%.2f", m / 1000; else print "?" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
cpu() { printf '%s s/Gbit (%s without the vcpu)' "$(fig "$1" vm_cpu_per_gbit)" "$(fig "$1" vm_io_cpu_per_gbit)"; }

for dir in tx rx; do
	[ $dir = tx ] && what="guest to host" || what="host to guest"
	f=$out/vmm.$dir
	if [ "$(runs "$f")" = 0 ]; then
		echo "$what: vmm failed: $(tr -d '\r' <"$out/log" | grep -m 3 -E '^TEST|nethost|vmm:' | tr '\n' ' ')"
		continue
	fi
	v=$(fig "$f" Mbps)
	line="$what: vmm $(gbps "$v") Gbit/s"
	if [ $have_qemu = 1 ] && [ "$(runs "$out/qemu.$dir")" != 0 ]; then
		q=$(fig "$out/qemu.$dir" Mbps)
		line="$line, QEMU $(gbps "$q") Gbit/s: vmm/QEMU $(ratio "$v" "$q")"
	elif [ $have_qemu = 1 ]; then
		line="$line, QEMU failed"
	else
		line="$line (qemu-system-x86_64 not installed)"
	fi
	echo "$line"
	echo "  CPU per Gbit: vmm $(cpu "$f")$([ -s "$out/qemu.$dir" ] && echo ", QEMU $(cpu "$out/qemu.$dir")")"
	if [ $dir = tx ]; then
		echo "  host receiver $(fig "$f" host_cpu_per_gbit) s/Gbit; frames lost on the host socket: vmm $(fig "$f" lost), QEMU $(fig "$out/qemu.$dir" lost)"
	else
		echo "  host sender $(fig "$f" host_cpu_per_gbit) s/Gbit; frames the tap dropped (the VMM not reading in time; the sender backs off): vmm $(fig "$f" dropped), QEMU $(fig "$out/qemu.$dir" dropped)"
	fi
	echo "  ($(runs "$f") vmm runs, $(runs "$out/qemu.$dir") QEMU runs)"
done
fails=$(tr -d '\r' <"$out/log" | grep -E '^TEST .* (FAIL|SKIP)|^nethost:' | sort | uniq -c | head -n 4)
[ -n "$fails" ] && echo "failed runs: $fails"
echo "vmm over virtio-pci (x86 default), median of $(runs "$out/pci.tx"): guest to host $(gbps "$(fig "$out/pci.tx" Mbps)") Gbit/s, host to guest $(gbps "$(fig "$out/pci.rx" Mbps)") Gbit/s"
[ -c /dev/vhost-net ] || echo "(vhost-net: not measured, this host has no /dev/vhost-net)"
echo "(2 shared cores: the guest's polling vcpu, the VMM's I/O thread and nethost compete; CPU is"
echo " the VMM process's, GO to STOP, per Gbit delivered; Gbit/s counts 1514-byte frames)"
