#!/bin/sh
# make bench, virtio-blk: the test guest's ring-3 driver against the host
# doing the same I/O (tests/bench/blkhost.c) on the same file, interleaved.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build/x86
RUNS=${BLK_RUNS:-7}
IMG=$B/bench-blk.img

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Interrupt counts per CPU, summed over the device interrupt lines.
irq_counts() {
	awk 'NR == 1 { n = NF; next }
	     $1 ~ /^[0-9]+:$/ { for (i = 2; i <= n + 1; i++) c[i - 2] += $i }
	     END { for (i = 0; i < n; i++) printf "%d ", c[i]; print "" }' /proc/interrupts
}
# The CPU that took most device interrupts while "$@" ran.
irq_cpu() {
	before=$(irq_counts)
	"$@" >/dev/null
	echo "$before | $(irq_counts)" | awk '{
		for (i = 1; $i != "|"; i++) a[i] = $i
		best = -1
		for (j = 1; j < i; j++) if ($(i + j) - a[j] > best) { best = $(i + j) - a[j]; cpu = j - 1 }
		print cpu }'
}

echo "== virtio-blk: guest ring-3 driver vs the host on the same file, O_DIRECT + libaio both sides, median of $RUNS"
echo "   (128 KiB sequential, 8 in flight, 256 MiB; 4 KiB random read, 32 in flight, 20000 requests)"
if [ ! -x $B/blkhost ] && ! make -s $B/blkhost; then
	echo "skipped: cannot build tests/bench/blkhost.c (libaio)"
	exit 0
fi
dd if=/dev/zero of=$IMG bs=1M count=256 conv=fsync status=none

# The test guest cannot sleep (ring 3 has no hlt), so its vcpu spins while
# it waits. Keep that vcpu off the CPU taking the disk's interrupts, and put
# vmm's I/O thread and the host's process on it: the same tuning both sides.
VMM_PIN= HOST_PIN= SPIN_PIN=
if [ "$(nproc)" -ge 2 ]; then
	io=$(irq_cpu $B/blkhost $IMG direct)
	vcpu=$(awk -v io="$io" 'BEGIN { print io == 0 ? 1 : 0 }')
	VMM_PIN="--vcpu-affinity $vcpu --io-affinity $io"
	HOST_PIN="taskset -c $io"
	SPIN_PIN="--vcpu-affinity $vcpu"
	echo "   (disk interrupts on CPU $io: vmm's I/O thread and the host's process there, the vcpu on CPU $vcpu)"
fi
for i in $(seq $RUNS); do
	./vmm run -m 512 $VMM_PIN -d $IMG,direct -p "vmmtest=bench_blk" </dev/null |
		tr -d '\r' | grep '^BENCH blk'
	$HOST_PIN $B/blkhost $IMG direct
	# The host again, beside a guest vcpu spinning as the test guest's does.
	./vmm run -m 64 $SPIN_PIN --timeout 30 -p "action=hang" </dev/null >/dev/null 2>&1 &
	spin=$!
	sleep 0.3
	$HOST_PIN $B/blkhost $IMG direct | sed 's/^BENCH host/BENCH spin/'
	kill $spin; wait $spin 2>/dev/null
done >$B/bench.blk
fig() { sed -n "s/^BENCH $1 $2 [^=]*=\([0-9]*\).*/\1/p" $B/bench.blk | median; }
for t in seq_write:MBps:0.9 seq_read:MBps:0.9 rand_read_4k:IOPS:0.5; do
	name=${t%%:*}; unit=${t#*:}; goal=${unit#*:}; unit=${unit%:*}
	v=$(fig blk $name); h=$(fig host $name); s=$(fig spin $name)
	echo "$name: vmm ${v:-?} $unit; host ${h:-?}: $(ratio "${v:-0}" "${h:-0}");" \
	     "host beside a spinning vcpu ${s:-?}: $(ratio "${v:-0}" "${s:-0}") (goal >= ${goal}x)"
done
echo "(a spinning guest vcpu slows this nested host's disk by itself: the second ratio is vmm's own cost)"

# Exits: the vcpu's userspace exits with bench_n=1000 QD1 reads minus with bench_n=0
# (identical console output), from vmm's --debug summary at VM stop.
exits() {
	./vmm run --debug -m 512 -d $IMG,direct -p "vmmtest=bench_blk_exits bench_n=$1" </dev/null 2>&1 >/dev/null |
		sed -n 's/^vmm: debug: vcpu 0: \([0-9]*\) exits .*/\1/p'
}
e0=$(exits 0); e1=$(exits 1000)
echo "exits per blk request: $(awk -v a="$e1" -v b="$e0" 'BEGIN { printf "%.3f", (a - b) / 1000 }') (vcpu 0: $e1 exits with 1000 QD1 4 KiB reads, $e0 without; goal ~0)"
rm -f $IMG
