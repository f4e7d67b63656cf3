#!/bin/sh
# needs: /dev/kvm (tests/run.sh runs it nested where the host has none)
# Bad input: each case is one line on stderr, a non-zero exit, within a second.
. "$(dirname "$0")/../lib.sh"

GUEST=$TOP/guest/build/testguest.bzImage
head -c 4096 /dev/urandom >"$WORK/random.bin"
head -c 700 "$GUEST" >"$WORK/truncated.bzImage"
cp "$GUEST" "$WORK/old.bzImage"
# boot protocol version lives at 0x206: make it 2.05
printf '\005\002' | dd of="$WORK/old.bzImage" bs=1 seek=518 conv=notrunc 2>/dev/null
truncate -s 64M "$WORK/big.initrd"

# bad_input NAME WANT_RC PATTERN ARGS...
bad_input() {
	name=$1; want=$2; pat=$3; shift 3
	start=$(now_ms)
	run_vmm "$WORK/out" "$WORK/err" "$@"
	ms=$(( $(now_ms) - start ))
	lines=$(wc -l <"$WORK/err")
	if [ "$rc" != "$want" ]; then
		fail "$name" "exit $rc, expected $want: $(head -c 300 "$WORK/err")"
	elif [ "$lines" != 1 ]; then
		fail "$name" "expected one line on stderr, got $lines: $(head -c 300 "$WORK/err")"
	elif ! grep -q -- "$pat" "$WORK/err"; then
		fail "$name" "message lacks '$pat': $(cat "$WORK/err")"
	elif [ "$ms" -gt 1000 ]; then
		fail "$name" "took $ms ms"
	else
		pass "$name" "$(cat "$WORK/err")"
	fi
}

bad_input cli_missing_kernel 1 "No such file" run -k "$WORK/nonexistent"
bad_input cli_kernel_is_a_directory 2 "not a regular file" run -k "$WORK"
bad_input cli_kernel_not_a_kernel 2 "is not a kernel" run -k "$WORK/random.bin"
: >"$WORK/empty"
bad_input cli_kernel_empty 2 "is not a kernel" run -k "$WORK/empty"
bad_input cli_truncated_bzimage 2 "truncated" run -k "$WORK/truncated.bzImage"
bad_input cli_boot_protocol_too_old 2 "too old" run -k "$WORK/old.bzImage"
bad_input cli_initrd_larger_than_memory 2 "does not fit" run -m 16 -i "$WORK/big.initrd"
bad_input cli_initrd_missing 1 "initrd" run -i "$WORK/nonexistent"
bad_input cli_virtio_transport_unknown 2 "expected mmio or pci" run --virtio-transport usb
bad_input cli_mem_zero 2 "--mem" run --mem 0
bad_input cli_mem_absurd 2 "--mem" run --mem 100000000G
bad_input cli_mem_garbage 2 "--mem" run --mem lots
bad_input cli_mem_between_2mib_steps 2 "8 MiB or 10 MiB" run --mem 8193K
bad_input cli_cpus_zero 2 "--cpus" run --cpus 0
bad_input cli_cpus_above_kvm_max 2 "at most" run --cpus 4096
bad_input cli_unknown_option 2 "unknown option" run --frobnicate
bad_input cli_unknown_command 2 "unknown command" frobnicate
bad_input cli_option_without_value 2 "needs a value" run --kernel
bad_input cli_timeout_zero 2 "--timeout" run --timeout 0
bad_input cli_cmdline_too_long 2 "command line" run -p "$(head -c 70000 /dev/zero | tr '\0' x)"

# Multiboot headers made byte by byte: le32 VALUE prints it little-endian.
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
# mb_aout FILE CHECKSUM_DELTA BSS_END: flag 16, the file loaded at 1 MiB.
mb_aout() {
	{ head -c 64 /dev/zero; le32 0x1badb002; le32 0x10000
	  le32 $(( (0x100000000 - 0x1badb002 - 0x10000 + $2) & 0xffffffff ))
	  le32 0x100040; le32 0x100000; le32 0x101000; le32 "$3"; le32 0x100000
	  head -c 4000 /dev/zero; } >"$1"
}
{ head -c 4088 /dev/zero; le32 0x1badb002; le32 0x10000; } >"$WORK/mb-truncated"
bad_input cli_multiboot_truncated_header 2 "truncated" run -k "$WORK/mb-truncated"
mb_aout "$WORK/mb-checksum" 1 0
bad_input cli_multiboot_bad_checksum 2 "bad checksum" run -k "$WORK/mb-checksum"
mb_aout "$WORK/mb-huge" 0 0x4100000
bad_input cli_multiboot_larger_than_ram 2 "more than" run -m 16 -k "$WORK/mb-huge"
bad_input cli_irqchip_unknown 2 "expected gicv2, gicv3 or gicv3-its" run --irqchip frob
bad_input cli_irqchip_gic_on_x86 2 "has no GIC" run --irqchip gicv3
bad_input cli_pmu_on_x86 2 "arm64" run --pmu

truncate -s 1M "$WORK/disk.img"
bad_input cli_disk_missing 1 "No such file" run -d "$WORK/nonexistent.img"
head -c 1 /dev/zero >"$WORK/one-byte.img"
bad_input cli_disk_smaller_than_a_sector 2 "smaller than one 512-byte sector" run -d "$WORK/one-byte.img"
bad_input cli_disk_bad_option 2 "unknown option 'frob'" run -d "$WORK/disk.img,frob"
bad_input cli_disk_given_twice_is_locked 2 "locked" run -d "$WORK/disk.img" -d "$WORK/disk.img"

# Files that are no kernel, initrd or disk: refused by type before anything can
# block (a FIFO used to hang vmm in open()): the hard limit makes a hang a failure.
mkfifo "$WORK/fifo"
VMM_HARD_TIMEOUT=10
bad_input cli_kernel_is_a_fifo 2 "is a FIFO, not a regular file" run -k "$WORK/fifo"
bad_input cli_initrd_is_a_fifo 2 "is a FIFO, not a regular file" run -i "$WORK/fifo"
bad_input cli_disk_is_a_fifo 2 "is a FIFO" run -d "$WORK/fifo"
bad_input cli_disk_ro_is_a_fifo 2 "is a FIFO" run -d "$WORK/fifo,ro"
bad_input cli_disk_is_a_directory 2 "is a directory" run -d "$WORK"
bad_input cli_disk_ro_is_a_directory 2 "is a directory" run -d "$WORK,ro"
bad_input cli_initrd_is_a_directory 2 "is a directory" run -i "$WORK"
bad_input cli_fs_missing_directory 2 "--fs $WORK/nope: No such file" run --fs "$WORK/nope"
: >"$WORK/plain"
bad_input cli_fs_not_a_directory 2 "Not a directory" run --fs "$WORK/plain"
bad_input cli_fs_bad_option 2 "unknown option" run --fs "$WORK,rw"
bad_input cli_disk_is_a_char_device 2 "is a character device" run -d /dev/null
# --exec: vmm's own failures are 125 (the command's statuses are its own), one line each.
bad_input cli_exec_needs_a_kernel 125 "--exec needs --kernel" run --exec true
bad_input cli_exec_bad_option_is_125 125 "unknown option" run --exec true --bogus
bad_input cli_exec_no_initrd 125 "--initrd cannot be given" run -k "$GUEST" -i "$WORK/plain" --exec true
bad_input cli_exec_kernel_missing 125 "No such file" run -k "$WORK/nonexistent" --exec true
bad_input cli_rootfs_missing 2 "--rootfs $WORK/nope: No such file" run -k "$GUEST" --rootfs "$WORK/nope"
bad_input cli_rootfs_not_a_directory 2 "not a directory but a regular file" run -k "$GUEST" --rootfs "$WORK/plain"
bad_input cli_modules_alone 2 "--modules: only with --exec or --rootfs" run --modules "$WORK"
bad_input cli_modules_not_a_directory 125 "--modules $WORK/plain: not a directory" run -k "$GUEST" --exec true --modules "$WORK/plain"
unset VMM_HARD_TIMEOUT

# --net user (libslirp): bad options are usage errors; a host port that cannot
# be had (the second forward wants every address, the first has loopback's) is a host error.
bad_input cli_net_user_unknown_key 2 "unknown net option" run --net user,frob=1
bad_input cli_net_user_bad_host_port 2 "host port '70000'" run --net user,hostfwd=tcp::70000-:22
bad_input cli_net_user_bad_guest_port 2 "guest port 'ssh'" run --net user,hostfwd=tcp::2222-:ssh
bad_input cli_net_user_bad_protocol 2 "protocol 'sctp'" run --net user,hostfwd=sctp::2222-:22
bad_input cli_net_user_restrict_bad_value 2 "restrict 'yes': expected on or off" run --net user,restrict=yes
bad_input cli_net_restrict_needs_user 2 "restrict: only with user" run --net tap,restrict=on
bad_input cli_net_hostfwd_needs_user 2 "hostfwd: only with user" run --net tap,hostfwd=tcp::2222-:22
port=$((40000 + $$ % 20000))
bad_input cli_net_user_host_port_taken 1 "cannot listen" run \
	--net "user,hostfwd=tcp:127.0.0.1:$port-:22,hostfwd=tcp::$port-:23"
bad_input cli_vcpu_affinity_garbage 2 "expected a CPU number" run --vcpu-affinity x
bad_input cli_vcpu_affinity_backwards 2 "goes backwards" run --vcpu-affinity 3-1
bad_input cli_io_affinity_no_such_cpu 2 "host CPU 1023 is not available" run --io-affinity 1023

# --vcpu-affinity puts vcpu i on the i-th listed CPU (wrapping), --io-affinity the I/O threads.
if [ "$(nproc)" -ge 2 ]; then
	"$VMM" run -c 2 --rng --vcpu-affinity 1 --io-affinity 0 --timeout 20 -p action=hang \
		</dev/null >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	got=
	for i in $(seq 50); do
		got=$(for t in /proc/$pid/task/*; do
			printf '%s=%s ' "$(cat $t/comm)" \
				"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' $t/status)"
		done 2>/dev/null)
		case $got in *vcpu1=*virtio-rng=*|*virtio-rng=*vcpu1=*) break;; esac
		sleep 0.1
	done
	kill $pid; wait $pid 2>/dev/null
	n=0
	for want in vcpu0=1 vcpu1=1 virtio-rng=0; do
		case " $got" in *" $want "*) n=$((n + 1));; esac
	done
	if [ $n = 3 ]; then
		pass cli_affinity_pins_threads "$got"
	else
		fail cli_affinity_pins_threads "threads: $got"
	fi
else
	skip cli_affinity_pins_threads "needs 2 host CPUs, this host has $(nproc)"
fi

run_vmm "$WORK/out" "$WORK/err" --help
if [ $rc = 0 ] && grep -q "exit status" "$WORK/out" && grep -q -- "--timeout" "$WORK/out"; then
	pass cli_help "documents options and exit statuses"
else
	fail cli_help "exit $rc"
fi
run_vmm "$WORK/out" "$WORK/err" --version
if [ $rc = 0 ] && grep -q "^vmm [0-9]" "$WORK/out"; then
	pass cli_version "$(cat "$WORK/out")"
else
	fail cli_version "exit $rc"
fi
