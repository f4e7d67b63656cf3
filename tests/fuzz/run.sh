#!/bin/sh
# Build and run the libFuzzer targets for a time budget each.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default 60 s, every target)
# Needs Debian clang and libclang-rt-14-dev (the fuzzer runtime). Corpora
# live in build/<arch>/fuzz/corpus-<target>, seeded from tests/fuzz/seeds/<target>
# (hand-made valid inputs); crashes are left in
# build/<arch>/fuzz/ (crash-*) and make the script fail. The device targets
# (fuzz_vm.h) silence vmm's own warnings; FUZZ_VERBOSE=1 shows them. At the
# end a table: per target, executions, rate, and libFuzzer's last cov: (code
# edges) and ft: (features) figures.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
BUDGET=${1:-60}
[ $# -gt 0 ] && shift
ARCH=${ARCH:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')}
OUT=build/$ARCH/fuzz
CLANG=${CLANG:-clang}
CFLAGS="-std=gnu11 -O1 -g -D_GNU_SOURCE -I. -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

# Each target and the sources it links (besides util/, which all get, with
# the compression libraries util/payload.c needs).
srcs() {
	case $1 in
	fuzz_virtqueue) echo devices/virtio/virtqueue.c kvm/mem.c ;;
	fuzz_virtio_blk) echo devices/virtio/blk.c devices/virtio/virtio.c \
		devices/virtio/virtqueue.c kvm/mem.c -laio ;;
	fuzz_virtio_pci) echo devices/pci.c devices/virtio/pci.c devices/virtio/rng.c \
		devices/virtio/virtio.c devices/virtio/virtqueue.c kvm/bus.c kvm/eventfd.c \
		kvm/irq.c kvm/mem.c ;;
	fuzz_virtio_net) echo devices/virtio/net.c devices/virtio/net_tap.c \
		devices/virtio/net_slirp.c devices/virtio/virtio.c devices/virtio/virtqueue.c \
		kvm/bus.c kvm/irq.c kvm/mem.c ;;
	fuzz_virtio_console) echo devices/virtio/console.c devices/console.c devices/term.c \
		devices/virtio/virtio.c devices/virtio/virtqueue.c kvm/bus.c kvm/irq.c kvm/mem.c ;;
	fuzz_bus) echo devices/uart8250.c hw/x86/power.c hw/x86/pci.c devices/pvpanic.c devices/boot_timer.c devices/exec_status.c \
		devices/pci.c kvm/bus.c kvm/irq.c kvm/mem.c ;;
	fuzz_virtio_mmio) echo devices/virtio/mmio.c devices/virtio/rng.c \
		devices/virtio/virtio.c devices/virtio/virtqueue.c kvm/bus.c kvm/eventfd.c \
		kvm/irq.c kvm/mem.c ;;
	fuzz_loaders) echo hw/x86/bzimage.c hw/x86/elf.c hw/arm64/image.c kvm/bus.c kvm/mem.c ;;
	# libslirp linked, not dlopen'ed, in restricted mode (see the target).
	fuzz_slirp) echo devices/virtio/net_slirp.c devices/virtio/virtio.c \
		devices/virtio/virtqueue.c kvm/mem.c -DVMM_HAVE_SLIRP "$(pkg-config --cflags slirp)" \
		-Wl,--wrap=slirp_new "$(pkg-config --libs slirp)" ;;
	fuzz_teardown) echo devices/virtio/mmio.c devices/virtio/blk.c devices/virtio/console.c \
		devices/console.c devices/term.c devices/virtio/virtio.c devices/virtio/virtqueue.c \
		kvm/bus.c kvm/eventfd.c kvm/irq.c kvm/mem.c \
		-laio ;;
	fuzz_http) echo "" ;;	# util/http.c only
	fuzz_pl061) echo devices/pl061.c ;;
	fuzz_fs) echo devices/virtio/fs_server.c devices/virtio/virtqueue.c kvm/mem.c ;;
	*) return 1 ;;
	esac
}

# What a target needs to run, or why it cannot: libslirp's target runs in a
# network namespace of its own, so no frame it makes reaches a real network.
runner() {
	case $1 in
	fuzz_slirp)
		pkg-config --exists slirp || { echo "SKIP: libslirp-dev not installed"; return; }
		unshare -rn true 2>/dev/null || { echo "SKIP: no network namespace (unshare -rn)"; return; }
		echo "unshare -rn" ;;
	esac
}

targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')}
if ! command -v "$CLANG" >/dev/null; then
	echo "SKIP fuzz: $CLANG not found (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi
mkdir -p "$OUT"
status=0
table=$(printf '%-22s %10s %9s %7s %7s  %s' target executions exec/s cov ft result)
for t in $targets; do
	s=$(srcs "$t") || { echo "unknown fuzz target $t"; exit 2; }
	run=$(runner "$t")
	case $run in
	SKIP*)
		echo "SKIP fuzz/$t: ${run#SKIP: }"
		table=$(printf '%s\n%-22s %10s %9s %7s %7s  %s' "$table" "$t" - - - - skipped)
		continue ;;
	esac
	# shellcheck disable=SC2086
	$CLANG $CFLAGS -o "$OUT/$t" "tests/fuzz/$t.c" util/*.c $s -lz -llzma -llz4 -lzstd || exit 1
	mkdir -p "$OUT/corpus-$t"
	log=$OUT/$t.log
	seeds=$TOP/tests/fuzz/seeds/$t
	[ -d "$seeds" ] || seeds=
	# New inputs go to the first directory; the seeds are only read.
	# shellcheck disable=SC2086
	(cd "$OUT" && $run ./"$t" -max_total_time="$BUDGET" -print_final_stats=1 \
		-max_len=70000 "corpus-$t" $seeds) >"$log" 2>&1
	r=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1)
	if [ $r = 0 ]; then
		echo "ok fuzz/$t: ${execs:-?} runs in ${BUDGET}s (${rate:-?}/s), $cov, $ft"
		result=ok
	else
		echo "FAIL fuzz/$t (exit $r): see $log"
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
		status=1
		result=FAIL
	fi
	table=$(printf '%s\n%-22s %10s %9s %7s %7s  %s' "$table" "$t" "${execs:-?}" \
		"${rate:-?}" "${cov#cov: }" "${ft#ft: }" "$result")
done
echo
echo "fuzzing summary (${BUDGET}s per target):"
echo "$table"
exit $status
