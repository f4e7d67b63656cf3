#!/bin/sh
# The integration scripts that need /dev/kvm, on a host without a usable
# one: all of them in one x86 QEMU (TCG, emulated SVM) whose Linux has a
# /dev/kvm (tests/tools/nested-x86.sh), with this tree at the same path.
#   sh tests/nested.sh SCRIPT...      (NESTED_EXTRA: more files to copy in)
# Each script's results are appended to $RESULTS as if it had run here.
# The emulated machine sometimes freezes (see x86_nested.sh): a session
# silent for NESTED_SILENT_S is recognised by nested-x86.sh's signature,
# logged, and the scripts it had not finished run again in a new session
# (at most NESTED_TRIES sessions). Any other failure counts at once.
# One emulated CPU: with two, multi-threaded TCG froze (text patching, a
# spinlock) and the test guest triple-faulted in about one session of four;
# with one, in none of five (docs/ARCHITECTURE.md). vcpu threads are then
# time-sliced, not parallel: the host's own KVM or TSan covers that.
TOP=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-/dev/null}
WORK=${WORK:-$(mktemp -d)}
ARCH=${ARCH:-x86}
mkdir -p "$WORK"

# What the scripts reach outside tests/: the binaries make check built, the
# test guests, and for linux.sh the Debian kernel and an initramfs.
tree="$TOP/vmm $TOP/vmm-asan $TOP/vmm-tsan $TOP/tests $TOP/guest/build/testguest.bzImage
	$TOP/guest/build/testguest.mb $TOP/build/$ARCH/vcpu_pause $TOP/build/$ARCH/net_echo
	$TOP/build/$ARCH/kvm_hold"
# curl, for api.sh's check of the API through a common HTTP client. (tmux
# for console.sh's pty test is not there yet: it sees no prompt nested.)
p=$(command -v curl) && tree="$tree $p"
# More for a caller (make bench's binaries), absolute paths.
tree="$tree $NESTED_EXTRA"
kernel=$(sh "$TOP/guest/fetch-kernel.sh" cloud 2>"$WORK/fetch.err") &&
	initrd=$(sh "$TOP/guest/mkinitramfs.sh" "$kernel" 2>"$WORK/initrd.err") &&
	tree="$tree $kernel $initrd" || kernel= initrd=
for p in $tree; do
	[ -e "$p" ] || { echo "FAIL nested: $p is missing (make check builds it)"
		echo "FAIL nested_tree" >>"$RESULTS"; exit 0; }
done

# vmm loads libslirp with dlopen, where it is installed.
. "$TOP/tests/rootfs.sh"
slirp=$(slirp_lib)

todo="$*"
try=1
while [ -n "$todo" ]; do
	# The outer's script: each test script with its own results file, whose
	# lines come back prefixed on the console, then a done marker.
	{
		echo "export ARCH=$ARCH VMM_TEST_KERNEL=$kernel VMM_TEST_INITRD=$initrd"
		echo 'export XDG_RUNTIME_DIR=/run/user && mkdir -p -m 700 $XDG_RUNTIME_DIR'
		[ -n "$NESTED_NO_HOLD" ] || echo "$TOP/build/$ARCH/kvm_hold &"
		for t in $todo; do
			n=$(basename "$t" .sh)
			echo "echo 'NESTED-SUITE: start $n'"
			echo "mkdir -p /tmp/work/$n && : >/tmp/results.$n"
			echo "WORK=/tmp/work/$n RESULTS=/tmp/results.$n sh $TOP/$t"
			echo "sed 's/^/NESTED-RESULT $n /' /tmp/results.$n"
			echo "echo 'NESTED-SUITE: done $n'"
		done
	} >"$WORK/inner.sh"
	log=$WORK/session$try.log
	NESTED_TREE=$tree NESTED_MODULES=tun NESTED_LIBS=$slirp NESTED_SMP=${NESTED_SMP:-1} NESTED_MEM=${NESTED_MEM:-2048} \
		NESTED_TIMEOUT=${NESTED_TIMEOUT:-900} \
		sh "$TOP/tests/tools/nested-x86.sh" "$WORK/inner.sh" | tee "$log" |
		grep -v '^NESTED-RESULT \|^NESTED: tick'
	left=
	for t in $todo; do
		n=$(basename "$t" .sh)
		if grep -q "^NESTED-SUITE: done $n\$" "$log"; then
			sed -n "s/^NESTED-RESULT $n //p" "$log" >>"$RESULTS"
		else
			left="$left $t"
		fi
	done
	todo=$left
	[ -n "$todo" ] || break
	if ! grep -q '^NESTED: EMULATOR FROZEN' "$log"; then
		for t in $todo; do
			echo "FAIL nested/$(basename "$t" .sh): did not finish; last lines: $(grep -v '^NESTED: tick' "$log" | tail -n 5 | tr '\n' ' ')"
			echo "FAIL nested/$(basename "$t" .sh)" >>"$RESULTS"
		done
		break
	fi
	keep=${TMPDIR:-/tmp}/vmm-nested-frozen$try.log
	cp "$log" "$keep"
	if [ $try -ge "${NESTED_TRIES:-3}" ]; then
		echo "FAIL nested: the emulated machine froze $try times; not run:$todo"
		echo "FAIL nested_frozen" >>"$RESULTS"
		break
	fi
	echo "nested: session $try froze (signature: no output for ${NESTED_SILENT_S:-30}s); log $keep; again for:$todo"
	try=$((try + 1))
done
