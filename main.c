// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: parse the command line, build the VM, run it, and turn the guest's
 * fate into the exit status (see usage() and README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/term.h"
#include "devices/virtio/devices.h"
#include "kvm/arch.h"
#include "kvm/config.h"
#include "kvm/kvm.h"
#include "util/cpulist.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmm run [options]        boot a guest (x86: the built-in test guest without --kernel)\n"
"       vmm --help | --version\n"
"\n"
"options of run:\n"
"  -k, --kernel PATH       kernel: bzImage, multiboot or ELF vmlinux (x86),\n"
"                          Image, Image.gz or flat binary (arm64)\n"
"  -i, --initrd PATH       initial ramdisk (a multiboot kernel's module)\n"
"  -p, --cmdline STRING    kernel command line, appended to vmm's defaults\n"
"                          (--debug prints the whole line)\n"
"      --exact-cmdline     the kernel command line is exactly -p: vmm adds no\n"
"                          words (console=, virtio_mmio.device=...; --debug\n"
"                          shows what it would have added)\n"
"  -c, --cpus N            number of vcpus (default 1)\n"
"  -m, --mem SIZE          guest RAM in MiB, or with a K/M/G suffix (default 512M)\n"
"  -d, --disk PATH[,ro][,serial=ID][,direct]\n"
"                          a virtio-blk disk (up to 8); read-write images are locked\n"
"      --rng               a virtio-rng device\n"
"  -n, --net tap[,ifname=NAME][,mac=MAC] | user[,hostfwd=...][,mac=MAC] | none\n"
"                          a virtio-net device on a tap (created if NAME does not\n"
"                          exist; needs CAP_NET_ADMIN) or on a user-mode network\n"
"                          (libslirp, no root: DHCP gives 10.0.2.15, the host is\n"
"                          10.0.2.2); up to 4. hostfwd=[tcp|udp]:[HOSTADDR]:PORT-\n"
"                          [GUESTADDR]:PORT forwards a host port (repeatable)\n"
"      --console serial|virtio\n"
"                          the guest console on your terminal: ttyS0 (default) or\n"
"                          hvc0 (virtio-console; vmm appends console=hvc0, and the\n"
"                          UART stays for earlycon/earlyprintk)\n"
"      --virtio-transport mmio|pci\n"
"                          how virtio devices attach: PCI (x86 default; MSI-X) or\n"
"                          virtio-mmio (arm64 default)\n"
"      --vcpu-affinity LIST\n"
"                          pin vcpu i to the i-th host CPU of LIST, in ascending\n"
"                          order (e.g. 2-3 or 0,2; wraps around if vcpus outnumber it)\n"
"      --io-affinity LIST  run the virtio devices' I/O threads on host CPUs LIST\n"
"      --timeout SECONDS   stop the guest after SECONDS; exit status 124\n"
"      --no-reboot         exit when the guest reboots instead of restarting it\n"
"      --guest-decompress  boot a bzImage as is (the kernel decompresses itself);\n"
"                          by default vmm unpacks gzip/xz/lz4/zstd payloads itself\n"
"      --irqchip gicv2|gicv3|gicv3-its\n"
"                          arm64: the GIC (default: GICv3, with an ITS where KVM\n"
"                          has one, else GICv2); one KVM cannot create is an error\n"
"      --pmu               arm64: a PMUv3 per vcpu (PPI 23) and its FDT node\n"
"      --debug             trace exits and unhandled I/O on stderr\n"
"\n"
"console: the guest's serial port (or hvc0) is your terminal; Ctrl-A x quits,\n"
"Ctrl-A h helps.\n"
"\n"
"exit status:\n"
"    0  the guest powered off (or rebooted, with --no-reboot), or Ctrl-A x\n"
"    1  vmm failed on the host (cannot open /dev/kvm, a file, ...)\n"
"    2  bad usage or bad input (unknown option, not a kernel, ...)\n"
"    3  the guest panicked (pvpanic, or Linux's panic line on the console)\n"
"    4  the guest crashed: triple fault or a fatal KVM exit\n"
"  124  --timeout expired\n"
"  128+N  vmm was stopped by signal N (e.g. 143 for SIGTERM)\n");
}

/* The terminal outlives VMs (reboot): its input goes to the current one. */
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm *console_vm;

static size_t console_input(void *opaque, const u8 *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&console_lock);
	if (console_vm && console_vm->console_rx)
		n = console_vm->console_rx(console_vm->console_opaque, buf, len);
	pthread_mutex_unlock(&console_lock);
	return n;
}

static void console_quit(void *opaque)
{
	pthread_mutex_lock(&console_lock);
	if (console_vm)
		vm_request_stop(console_vm, VM_STOP_QUIT);
	pthread_mutex_unlock(&console_lock);
}

static void console_attach(struct vm *vm)
{
	pthread_mutex_lock(&console_lock);
	console_vm = vm;
	pthread_mutex_unlock(&console_lock);
}

/* A crash of vmm itself must not leave the user's terminal raw. */
static void fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void signals_setup(sigset_t *stop_set)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
	signal(SIGPIPE, SIG_IGN);
	/* Stop requests are read from a signalfd by the main thread only. */
	sigemptyset(stop_set);
	sigaddset(stop_set, SIGTERM);
	sigaddset(stop_set, SIGINT);
	sigaddset(stop_set, SIGHUP);
	sigaddset(stop_set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, stop_set, NULL);
}

static int exit_status(struct vm *vm, enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:
	case VM_STOP_RESET:
	case VM_STOP_QUIT:
		return EXIT_POWEROFF;
	case VM_STOP_PANIC:
		return EXIT_GUEST_PANIC;
	case VM_STOP_CRASH:
		return EXIT_GUEST_CRASH;
	case VM_STOP_TIMEOUT:
		return EXIT_TIMEOUT;
	case VM_STOP_SIGNAL:
		return 128 + vm->stop_signal;
	default:
		return EXIT_HOST_ERROR;
	}
}

/* Build, run and tear down one VM; returns why it stopped (or < 0). */
static int vm_boot_once(struct vm *vm, const struct vm_config *cfg,
			struct term *term, int signal_fd, unsigned int timeout)
{
	int reason, r;

	r = vm_open(vm, cfg);
	if (r < 0)
		return -EXIT_HOST_ERROR;
	vm->term = term;
	vm->signal_fd = signal_fd;
	if ((int)cfg->nr_cpus > vm->max_vcpus) {
		log_error("--cpus %u: this host's KVM allows at most %d vcpus",
			  cfg->nr_cpus, vm->max_vcpus);
		vm_close(vm);
		return -EXIT_USAGE;
	}

	r = arch_vm_init(vm);
	if (r == 0)
		r = virtio_devices_create(vm);
	if (r == 0)
		r = arch_load_kernel(vm);
	if (r == 0)
		r = vcpus_create(vm, cfg->nr_cpus);
	if (r == 0) {
		console_attach(vm);
		vcpus_run(vm, timeout);
		console_attach(NULL);
	}
	reason = vm_stop_reason(vm);
	vcpus_destroy(vm);
	virtio_devices_destroy(vm);
	arch_vm_destroy(vm);
	vm_close(vm);
	if (r < 0)
		return r == -EINVAL || r == -ENOEXEC || r == -E2BIG ? -EXIT_USAGE :
		       -EXIT_HOST_ERROR;
	return reason;
}

static const char *stop_message(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_RESET: return "guest rebooted";
	case VM_STOP_PANIC: return "guest panicked";
	case VM_STOP_CRASH: return "guest crashed";
	case VM_STOP_QUIT: return "quit from the console";
	case VM_STOP_SIGNAL: return "stopped by a signal";
	default: return NULL;
	}
}

/* Affinity names host CPUs: only now can we say whether they exist for us. */
static int check_affinity(const struct vm_config *cfg)
{
	const char *why;

	if (cfg->vcpu_affinity_set && cpulist_check_allowed(&cfg->vcpu_affinity, &why) < 0) {
		log_error("--vcpu-affinity: %s", why);
		return -EINVAL;
	}
	if (cfg->io_affinity_set && cpulist_check_allowed(&cfg->io_affinity, &why) < 0) {
		log_error("--io-affinity: %s", why);
		return -EINVAL;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	struct term *term;
	struct timespec start, now;
	sigset_t stop_set;
	char err[256];
	int r, signal_fd, status;
	static const struct term_ops ops = { console_input, console_quit };

	r = config_parse(argc, argv, &cfg, err, sizeof(err));
	if (r == 1) {
		usage(stdout);
		return 0;
	}
	if (r < 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	log_debug_enabled = cfg.debug;
	if (check_affinity(&cfg) < 0)
		return EXIT_USAGE;

	signals_setup(&stop_set);
	signal_fd = signalfd(-1, &stop_set, SFD_CLOEXEC);
	term = term_open(STDIN_FILENO, STDOUT_FILENO, &ops, NULL);
	if (!term) {
		log_error("cannot set up the console: %s", strerror(errno));
		return EXIT_HOST_ERROR;
	}

	log_set_flush_hook((void (*)(void *))term_flush, term);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		unsigned int timeout = 0;

		if (cfg.timeout_sec) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long elapsed = now.tv_sec - start.tv_sec;

			timeout = elapsed >= cfg.timeout_sec ? 1 : cfg.timeout_sec - elapsed;
		}
		r = vm_boot_once(&vm, &cfg, term, signal_fd, timeout);
		if (r == VM_STOP_RESET && !cfg.no_reboot) {
			log_info("guest rebooted: restarting it");
			continue;
		}
		break;
	}
	log_set_flush_hook(NULL, NULL);
	term_close(term);

	if (r < 0)
		return -r;
	if (r == VM_STOP_TIMEOUT)
		log_error("timeout: the guest was still running after %u s",
			  cfg.timeout_sec);
	else if (stop_message(r) && (r != VM_STOP_RESET || cfg.debug))
		log_info("%s", stop_message(r));
	status = exit_status(&vm, r);
	return status;
}

/*
 * A closed stdin/stdout/stderr (a CI runner, a daemon) would hand fd 0-2 to
 * /dev/kvm or a disk image, and the console would read or write it.
 */
static void std_fds_ensure(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);

			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
}

int main(int argc, char **argv)
{
	std_fds_ensure();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	log_error("unknown command '%s' (see vmm --help)", argv[1]);
	return EXIT_USAGE;
}
