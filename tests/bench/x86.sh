#!/bin/sh
# make bench, x86: everything that needs /dev/kvm, each figure against a
# baseline measured in the same run. tests/bench/run.sh builds what it
# uses and runs it here, or, without a usable /dev/kvm, inside the nested
# x86 machine (tests/nested.sh), where only the ratios mean something.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build/x86
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
# rss ARGS...: vmm's own RSS in KiB (and the guest's) once the test guest ran its tests.
rss() {
	./vmm run -c 2 -m 256 -p "vmmtest=all expect_cpus=2 action=hang" "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep ${RSS_WAIT:-2}
	awk '/^[0-9a-f]+-[0-9a-f]+ /{ guest = 0 } /^Size: +262144 kB/{ guest = 1 }
	     /^Rss:/{ if (guest) g += $2; else o += $2 }
	     END { printf "%d %d\n", o, g }' /proc/$pid/smaps
	kill -TERM $pid; wait $pid 2>/dev/null
}
set -- $(rss)
echo "guest RAM touched $2 KiB, vmm itself $1 KiB ($(awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }') MiB)"
with=$1
set -- $(rss --api-socket none)
echo "the control API (its socket served by the run loop, no thread): $((with - $1)) KiB more than with --api-socket none ($1 KiB)"

sh tests/bench/blk.sh	# virtio-blk, vmm vs the host on the same file
sh tests/bench/net.sh	# virtio-net over a tap, both ways, vmm vs QEMU (needs root)

echo "== real kernel: time to 'Linux version', host-side vs guest-side decompression"
# (nested, tests/nested.sh hands over the kernel it copied in)
if kernel=${VMM_TEST_KERNEL:-$(sh guest/fetch-kernel.sh cloud 2>/dev/null)}; [ -n "$kernel" ]; then
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

echo "== control API: GET /vm, 1000 requests on one keep-alive connection (goal p99 < 200 us)"
echo "server code on a hand-built VM, no KVM: $($B/api_latency 1000)"
sock=$B/bench-api.sock
./vmm run -m 64 -p action=hang --api-socket "$sock" </dev/null >/dev/null 2>&1 &
vpid=$!
i=0
while [ $i -lt 100 ] && ! ./vmm info "$sock" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
if ./vmm info "$sock" >/dev/null 2>&1; then
	echo "a running vmm (its run loop serves): $($B/api_latency "$sock" 1000)"
	echo "pause and resume through the API, 200 pairs (goal: pause < 1 ms):"
	$B/api_latency "$sock" 200 pause
	./vmm stop "$sock"
else
	echo "a running vmm: did not start (no /dev/kvm?)"
	kill $vpid 2>/dev/null
fi
wait $vpid 2>/dev/null
