#!/bin/sh
# make bench: vmm against baselines measured in the same run, as ratios.
# The x86 figures (tests/bench/x86.sh) need /dev/kvm: without a usable one
# they are taken inside the nested x86 machine the tests use
# (tests/nested.sh); the arm64 ones always come from the nested arm64 harness.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build/x86
make -s $B/minloop $B/stopwatch $B/api_latency $B/blkhost $B/nethost || exit 1
RUNS=${RUNS:-5}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

if [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; then
	sh tests/bench/x86.sh
else
	echo "== x86: no usable /dev/kvm here: measured in a nested KVM under QEMU TCG"
	echo "   (every figure is slowed by the emulation; only the ratios to baselines in the same run count)"
	NESTED_EXTRA="$TOP/$B/minloop $TOP/$B/stopwatch $TOP/$B/api_latency $TOP/$B/blkhost $TOP/$B/nethost" \
		NESTED_TIMEOUT=${NESTED_TIMEOUT:-1800} sh tests/nested.sh tests/bench/x86.sh
fi

echo "== virtio-fs and --exec (x86, Linux under vmm nested in QEMU TCG): a 256 MiB read and a walk of 10,000 files"
echo "   through --fs, against the outer machine doing the same on the same tmpfs (goals: read >= 0.5x, walk <= 5x)"
X86_FS_BENCH=1 X86_LOG=$B/bench-fs.log sh tests/integration/x86_nested.sh >$B/bench-fs.out 2>&1
grep '^x86: fsbench' $B/bench-fs.out | sed 's/^x86: fsbench //'
rt() { sed -n "s/^.*$1=\([0-9]*\).*/\1/p" $B/bench-fs.log | head -n 1; }
echo "read: guest $(rt fsbench_read_ms) ms, outer $(rt fsbench_host_read_ms) ms: the guest gets $(ratio "$(rt fsbench_host_read_ms)" "$(rt fsbench_read_ms)") of the outer's throughput"
echo "walk: guest $(rt fsbench_tree_ms) ms, outer $(rt fsbench_host_tree_ms) ms: $(ratio "$(rt fsbench_tree_ms)" "$(rt fsbench_host_tree_ms)") of the outer's time"
em() { sed -n "s/^OUTER: execbench .*$1=\([0-9]*\) exit=0.*/\1/p" $B/bench-fs.log | sort -n | sed -n 2p; }
echo "--exec true: $(em exec_true_ms) ms, a prebuilt initramfs running true: $(em initramfs_true_ms) ms: $(ratio "$(em exec_true_ms)" "$(em initramfs_true_ms)") (goal <= 1.2x)"

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

