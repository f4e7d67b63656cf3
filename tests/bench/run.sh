#!/bin/sh
# make bench: vmm against baselines measured in the same run, as ratios.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build/x86
make -s $B/minloop $B/stopwatch || exit 1
RUNS=${RUNS:-5}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ns_per_exit() { tr -d '\r' | sed -n "s/^BENCH $1 .*ns_per_exit=\([0-9]*\).*/\1/p"; }

echo "== exit cost: 1,000,000 exits from guest ring 3, timed by the guest (goal <= 1.05x)"
for kind in pio mmio; do
	v=$(./vmm run -p "vmmtest=bench_$kind" </dev/null | ns_per_exit $kind)
	m=$($B/minloop "vmmtest=bench_$kind" </dev/null | ns_per_exit $kind)
	echo "$kind: vmm ${v} ns/exit, minimal KVM_RUN loop ${m} ns/exit: $(ratio "$v" "$m")"
done

echo "== start to first guest output and to poweroff, median of $RUNS (goal <= 0.5x)"
GUEST=guest/build/testguest.bzImage
ARGS="vmmtest=cmdline"
for i in $(seq $RUNS); do
	$B/stopwatch RESULT -- ./vmm run -m 256 -p "$ARGS" </dev/null
done >"$B/bench.vmm"
have_qemu=0
if command -v qemu-system-x86_64 >/dev/null; then
	# microvm has no PM1a: stopwatch stops it (SIGTERM) at the RESULT line
	for i in $(seq $RUNS); do
		$B/stopwatch RESULT -- qemu-system-x86_64 -M microvm -accel kvm -m 256 \
			-kernel $GUEST -append "console=ttyS0 $ARGS" -serial stdio -display none \
			-nodefaults -no-reboot </dev/null 2>/dev/null
	done >"$B/bench.qemu"
	have_qemu=1
fi
for metric in first_byte_ms match_ms exit_ms; do
	v=$(sed -n "s/.*$metric=\([0-9.]*\).*/\1/p" "$B/bench.vmm" | median)
	if [ $have_qemu = 1 ]; then
		q=$(sed -n "s/.*$metric=\([0-9.]*\).*/\1/p" "$B/bench.qemu" | median)
		echo "$metric: vmm $v ms, qemu microvm $q ms: $(ratio "$v" "$q")"
	else
		echo "$metric: vmm $v ms (qemu-system-x86_64 not installed)"
	fi
done
echo "(first_byte: first serial byte; match: the guest's RESULT line; exit: process exit;"
echo " qemu is stopped by SIGTERM at RESULT since microvm has no ACPI PM1a poweroff)"

echo "== memory: vmm's RSS beyond the guest RAM it touched (goal <= 3 MiB)"
./vmm run -c 2 -m 256 -p "vmmtest=all expect_cpus=2 action=hang" </dev/null >/dev/null 2>&1 &
pid=$!
sleep 2
awk '/^[0-9a-f]+-[0-9a-f]+ /{ guest = 0 } /^Size: +262144 kB/{ guest = 1 }
     /^Rss:/{ if (guest) g += $2; else o += $2 }
     END { printf "guest RAM touched %d KiB, vmm itself %d KiB (%.2f MiB)\n", g, o, o / 1024 }' \
	/proc/$pid/smaps
kill -TERM $pid; wait $pid 2>/dev/null

sh tests/bench/blk.sh	# virtio-blk, vmm vs the host on the same file
sh tests/bench/net.sh	# virtio-net over a tap, both ways, vmm vs QEMU (needs root)

echo "== real kernel: time to 'Linux version', host-side vs guest-side decompression"
if kernel=$(sh guest/fetch-kernel.sh cloud 2>/dev/null); then
	h=$($B/stopwatch "Linux version" -- ./vmm run -k "$kernel" -m 512 --timeout 300 </dev/null 2>/dev/null)
	echo "host-side (vmm unpacks, PVH entry): $h"
	if [ "${BENCH_GUEST_DECOMPRESS:-1}" = 1 ]; then
		g=$($B/stopwatch "Linux version" -- ./vmm run -k "$kernel" -m 512 --timeout 400 \
			--guest-decompress </dev/null 2>/dev/null)
		echo "guest-side (--guest-decompress):    $g"
		hv=$(echo "$h" | sed -n 's/.*match_ms=\([0-9.]*\).*/\1/p')
		gv=$(echo "$g" | sed -n 's/.*match_ms=\([0-9.]*\).*/\1/p')
		echo "host-side / guest-side: $(ratio "$hv" "$gv")"
	fi
else
	echo "skipped: cannot fetch the Debian kernel"
fi

echo "== arm64 (nested under QEMU TCG): inner Linux boot time, vmm-arm64 memory, virtio-net throughput"
if command -v qemu-system-aarch64 >/dev/null; then
	runs=$(mktemp)
	for i in $(seq $RUNS); do echo "b$i|1|120|inner.action=poweroff"; done >"$runs"
	for i in 1 2 3; do echo "s$i|2|120|inner.action=poweroff"; done >>"$runs"
	# virtio-net on a tap: 16 MiB of random data each way with busybox nc
	# between the inner (1 vcpu) and the outer, then the outer to itself over lo.
	NET_KB=16384
	for i in 1 2 3; do
		echo "n$i|1|120|inner.action=net inner.net_lo=1 inner.net_kb=$NET_KB|-n tap,ifname=vmmtap0"
	done >>"$runs"
	log=$(mktemp)
	# (and once, before the inner runs, QEMU's own virtio-net between the outer and this host)
	E2E_HOST_NET=$NET_KB E2E_RUNS=$runs E2E_LOG=$log sh tests/integration/arm64.sh >/dev/null 2>&1
	field() { sed -n "s/^OUTER: run $1[0-9]* .*$2=\([0-9]*\).*/\1/p" "$log"; }
	echo "outer Linux boot to its init: $(sed -n 's/^OUTER: start uptime_ms=//p' "$log") ms (guest uptime)"
	for k in b s; do
		n=$([ $k = b ] && echo 1 || echo 2)
		up=$(field $k up_ms | median)
		off=$(sed -n "s/^OUTER: run $k[0-9]* exit=0 ms=\([0-9]*\).*/\1/p" "$log" | median)
		cnt=$(sed -n "s/^OUTER: run $k[0-9]* exit=0 .*/x/p" "$log" | wc -l)
		echo "$n vcpu: vmm start to inner init ${up} ms, to poweroff ${off} ms (median of $cnt)"
	done
	echo "vmm-arm64 RSS beyond guest RAM: $(field b rss_vmm_kb | median) KiB (median; guest RAM touched $(field b rss_guest_kb | median) KiB)"
	# Per run: ms inner -> outer (the inner's nc), outer -> inner (the outer's
	# nc), outer -> outer over loopback; counted only when both md5s matched.
	for i in 1 2 3; do
		seg=$(sed -n "/^OUTER: run n$i start\$/,/^OUTER: run n$i lo_ms=/p" "$log" | tr -d '\r')
		v() { echo "$seg" | sed -n "s/^$1 .*\<$2=\([^ ]*\).*/\1/p" | head -n 1; }
		tx=$(v INNER: net_tx_md5); txo=$(v "OUTER: run n$i" tx_md5)
		rx=$(v INNER: net_rx_md5); rxo=$(v "OUTER: run n$i" rx_md5)
		[ -n "$tx" ] && [ "$tx" = "$txo" ] && [ -n "$rx" ] && [ "$rx" = "$rxo" ] || continue
		echo "$(v INNER: net_tx_ms) $(v "OUTER: run n$i" rx_ms) $(v "OUTER: run n$i" lo_ms)"
	done >"$log.net"
	cnt=$(wc -l <"$log.net")
	if [ "$cnt" -gt 0 ]; then
		mbit() { awk -v t="$1" -v kb=$NET_KB 'BEGIN { if (t > 0) printf "%.1f", kb * 1024 * 8 / t / 1000; else print "?" }'; }
		g=$(cut -d ' ' -f 1 "$log.net" | median); h=$(cut -d ' ' -f 2 "$log.net" | median)
		l=$(cut -d ' ' -f 3 "$log.net" | median)
		echo "virtio-net, guest to host (inner -> tap in the outer): $(mbit "$g") Mbit/s; outer loopback $(mbit "$l") Mbit/s: $(ratio "$l" "$g") of loopback"
		echo "virtio-net, host to guest (outer -> inner over the tap): $(mbit "$h") Mbit/s; outer loopback $(mbit "$l") Mbit/s: $(ratio "$l" "$h") of loopback"
		hn() { sed -n "s/^$1 hostnet .*\\<$2=\\([^ ]*\\).*/\\1/p" "$log" | head -n 1; }
		if [ -n "$(hn HOST: tx_md5)" ] && [ "$(hn HOST: tx_md5)" = "$(hn OUTER: tx_md5)" ] &&
		   [ -n "$(hn HOST: rx_md5)" ] && [ "$(hn HOST: rx_md5)" = "$(hn OUTER: rx_md5)" ]; then
			qg=$(hn OUTER: tx_ms); qh=$(hn HOST: rx_ms)
			echo "QEMU's virtio-net (tap, no vhost), outer guest to this host: $(mbit "$qg") Mbit/s, vmm's inner to outer: $(ratio "$qg" "$g") of it"
			echo "QEMU's virtio-net, this host to the outer guest: $(mbit "$qh") Mbit/s, vmm's outer to inner: $(ratio "$qh" "$h") of it"
		else
			echo "QEMU's virtio-net baseline: no intact transfer ($(grep -m 2 -E 'hostnet (failed|needs)' "$log" | tr '\n' ' '))"
		fi
		echo "(vmm: median of $cnt runs with the data intact both ways, 16 MiB each, TCP with busybox nc; QEMU: one"
		echo " transfer each way. Everything runs under QEMU TCG and vmm's guest is nested in it (two levels of"
		echo " emulation against QEMU's one): absolute figures are low; the ratios are the measure)"
	else
		echo "virtio-net: no run moved the data intact (log: $(grep -m 3 -E 'net-|failed' "$log" | tr '\n' ' '))"
	fi
	rm -f "$log.net"
	rm -f "$runs" "$log"
else
	echo "skipped: qemu-system-aarch64 is not installed"
fi

echo "== control API: GET /vm, 1000 requests on one keep-alive connection (goal p99 < 200 us)"
make -s $B/api_latency || exit 1
echo "server code on a hand-built VM, no KVM: $($B/api_latency 1000)"
sock=$B/bench-api.sock
./vmm run -m 64 -p action=hang --api-socket "$sock" </dev/null >/dev/null 2>&1 &
vpid=$!
i=0
while [ $i -lt 100 ] && ! ./vmm info "$sock" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
if ./vmm info "$sock" >/dev/null 2>&1; then
	echo "a running vmm (its run loop serves): $($B/api_latency "$sock" 1000)"
	./vmm stop "$sock"
else
	echo "a running vmm: did not start (no /dev/kvm?)"
	kill $vpid 2>/dev/null
fi
wait $vpid 2>/dev/null
