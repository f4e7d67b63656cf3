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
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "devices/term.h"
#include "devices/virtio/devices.h"
#include "devices/virtio/net_backends.h"
#include "kvm/arch.h"
#include "cli/config.h"
#include "kvm/kvm.h"
#include "run/api_server.h"
#include "run/api_socket.h"
#include "run/api_vm.h"
#include "run/console_backend.h"
#include "run/ctl.h"
#include "run/exec.h"
#include "run/lifecycle.h"
#include "run/signals.h"
#include "util/clock.h"
#include "util/cpulist.h"
#include "util/log.h"
#include "util/thread.h"
#include "vcpu/vcpu.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmm run [options]        boot a guest (x86: the built-in test guest without --kernel)\n"
"       vmm list                 the running VMs of this user\n"
"       vmm info|counters NAME   a VM's description or counters (JSON)\n"
"       vmm console NAME         attach this terminal to a VM's --serial socket\n"
"                                (Ctrl-A x detaches; the VM runs on)\n"
"       vmm pause|resume|shutdown|stop|reboot NAME\n"
"                                control a running VM (shutdown: press its power\n"
"                                button; shutdown, stop: and wait until vmm exited)\n"
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
"  -m, --mem SIZE          guest RAM in MiB, or with a K/M/G suffix (default 512M);\n"
"                          in 2 MiB steps (a size between two is refused)\n"
"  -d, --disk PATH[,ro][,serial=ID][,direct]\n"
"                          a virtio-blk disk (up to 8); read-write images are locked\n"
"      --rng               a virtio-rng device\n"
"      --fs DIR[,tag=NAME][,ro][,xattr]\n"
"                          share host directory DIR (virtio-fs, served by vmm;\n"
"                          up to 4): mount -t virtiofs NAME /mnt in the guest;\n"
"                          NAME defaults to DIR's last component; xattr:\n"
"                          user. extended attributes\n"
"      --exec CMD          run CMD (/bin/sh -c) in the guest on the host's / shared\n"
"                          read-only, in this directory; its output and exit\n"
"                          status are vmm's (125: vmm's own failure, said on stderr)\n"
"      --rootfs DIR[,rw]   DIR is the guest's root (virtio-fs; read-only unless rw):\n"
"                          CMD runs there, or without --exec the tree's /sbin/init\n"
"      --modules DIR       the kernel's modules for --exec/--rootfs (default: the\n"
"                          root's /lib/modules/RELEASE)\n"
"  -n, --net tap[,ifname=NAME][,mac=MAC] | none |\n"
"            user[,hostfwd=...][,restrict=on][,host-loopback=off][,mac=MAC]\n"
"                          a virtio-net device on a tap (created if NAME does not\n"
"                          exist; needs CAP_NET_ADMIN) or on a user-mode network\n"
"                          (libslirp, no root: DHCP gives 10.0.2.15, the host is\n"
"                          10.0.2.2); up to 4. hostfwd=[tcp|udp]:[HOSTADDR]:PORT-\n"
"                          [GUESTADDR]:PORT forwards a host port (repeatable);\n"
"                          restrict=on: the guest reaches only forwarded ports;\n"
"                          host-loopback=off: 10.0.2.2 is not the host's loopback\n"
"      --console serial|virtio\n"
"                          the guest console: ttyS0 (default) or hvc0 (virtio-\n"
"                          console; vmm appends console=hvc0, and the UART stays\n"
"                          for earlycon/earlyprintk)\n"
"      --serial stdio|pty|file:PATH|socket[:PATH]|none\n"
"                          where the console goes: your terminal (default); a new\n"
"                          pty (its path printed); appended to a file; a Unix\n"
"                          socket for vmm console (default path: the control\n"
"                          socket's, .console for .sock); nowhere. A pty or socket\n"
"                          reader that is slow or absent costs output, not progress\n"
"      --virtio-transport mmio|pci\n"
"                          how virtio devices attach: PCI (x86 default; MSI-X) or\n"
"                          virtio-mmio (arm64 default)\n"
"      --vcpu-affinity LIST\n"
"                          pin vcpu i to the i-th host CPU of LIST, in ascending\n"
"                          order (e.g. 2-3 or 0,2; wraps around if vcpus outnumber it)\n"
"      --io-affinity LIST  run the virtio devices' I/O threads on host CPUs LIST\n"
"      --timeout SECONDS   stop the guest SECONDS after start, reboots included;\n"
"                          exit status 124\n"
"      --no-reboot         exit when the guest reboots instead of restarting it\n"
"      --shutdown-timeout SECONDS\n"
"                          after the power button (vmm shutdown), stop a guest\n"
"                          that has not powered off within SECONDS (default 30);\n"
"                          exit status 5\n"
"      --on-sigterm shutdown|stop\n"
"                          SIGTERM presses the power button (a second signal\n"
"                          stops at once), or stops the guest (default)\n"
"      --panic-watch auto|pvpanic|console|off\n"
"                          what is a guest panic: the pvpanic device, and Linux's\n"
"                          panic line on the console until the guest's pvpanic driver\n"
"                          probed (auto); the device only; both always; neither\n"
"      --guest-decompress  boot a bzImage as is (the kernel decompresses itself);\n"
"                          by default vmm unpacks gzip/xz/lz4/zstd payloads itself\n"
"      --irqchip gicv2|gicv3|gicv3-its\n"
"                          arm64: the GIC (default: GICv3, with an ITS where KVM\n"
"                          has one, else GICv2); one KVM cannot create is an error\n"
"      --pmu               arm64: a PMUv3 per vcpu (PPI 23) and its FDT node\n"
"      --debug             trace exits and unhandled I/O on stderr\n"
"      --name NAME         the VM's name for vmm list/pause/... (default vmm-PID);\n"
"                          its control socket is $XDG_RUNTIME_DIR/vmm/NAME.sock\n"
"                          (without XDG_RUNTIME_DIR: /run/vmm/ for root,\n"
"                          /tmp/vmm-UID/ for others)\n"
"      --api-socket PATH|none\n"
"                          the control socket (HTTP/1.1 + JSON, see README) at PATH\n"
"                          instead, or none at all\n"
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
"    5  the guest did not power off within --shutdown-timeout of the power\n"
"       button and was stopped\n"
"  124  --timeout expired\n"
"  125  --exec: the command's status never came back (otherwise it is the\n"
"       command's own: 0-255, 128+N when signal N killed it)\n"
"  128+N  vmm was stopped by signal N (e.g. 143 for SIGTERM)\n"
"  (stop through the control API: 0)\n"
"\n"
"exit status of list, info, counters, pause, resume, shutdown, stop, reboot:\n"
"    0  done\n"
"    1  vmm did not answer in time, or failed (stop: did not exit within 30 s;\n"
"       shutdown: within 30 s after the VM's --shutdown-timeout)\n"
"    2  bad usage\n"
"    3  no VM of that name (a socket its dead vmm left is removed)\n"
"    4  refused in the VM's state (pause when not running, resume when not\n"
"       paused, reboot under --no-reboot, shutdown when paused)\n");
}

/*
 * The terminal outlives VMs (reboot): its input goes to the current one.
 * cmd_run() owns it; the terminal's input thread reads it.
 */
struct console_link {
	pthread_mutex_t lock;
	struct vm *vm;
};

static size_t console_input(void *opaque, const u8 *buf, size_t len)
{
	struct console_link *link = opaque;
	size_t n = 0;

	pthread_mutex_lock(&link->lock);
	if (link->vm && link->vm->console_rx)
		n = link->vm->console_rx(link->vm->console_opaque, buf, len);
	pthread_mutex_unlock(&link->lock);
	return n;
}

static void console_quit(void *opaque)
{
	struct console_link *link = opaque;

	pthread_mutex_lock(&link->lock);
	if (link->vm)
		vm_request_stop(link->vm, VM_STOP_QUIT);
	pthread_mutex_unlock(&link->lock);
}

static void console_attach(struct console_link *link, struct vm *vm)
{
	pthread_mutex_lock(&link->lock);
	link->vm = vm;
	pthread_mutex_unlock(&link->lock);
}

/* A crash of vmm itself must not leave the user's terminal raw. */
static void fatal_signal(int sig)
{
	term_restore();
	api_socket_cleanup();
	/* SA_RESETHAND: the default action is back; re-raise it. */
	raise(sig);
}

static void fatal_signals_setup(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_handler = fatal_signal,
				.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	/* On its own stack: a stack overflow must still reach the handler. */
	thread_altstack_init();
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int exit_status(struct vm *vm, enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:
	case VM_STOP_RESET:
	case VM_STOP_QUIT:
	case VM_STOP_API:
		return EXIT_POWEROFF;
	case VM_STOP_PANIC:
		return EXIT_GUEST_PANIC;
	case VM_STOP_CRASH:
		return EXIT_GUEST_CRASH;
	case VM_STOP_TIMEOUT:
		return EXIT_TIMEOUT;
	case VM_STOP_SHUTDOWN_TIMEOUT:
		return EXIT_SHUTDOWN_TIMEOUT;
	case VM_STOP_SIGNAL:
		return 128 + vm->stop_signal;
	default:
		return EXIT_HOST_ERROR;
	}
}

/* --debug: where start-up time goes, from vmm's first instruction. */
static void boot_phase(const char *what)
{
	if (log_debug_enabled)
		log_debug("t+%.3f ms: %s", clock_since_start_ns() / 1e6, what);
}

/* Build, run and tear down one VM; returns why it stopped (or < 0). */
static int vm_boot_once(struct vm *vm, const struct vm_config *cfg, struct term *term,
			struct console_link *link, const struct timespec *deadline,
			struct net_backends *nets, const struct run_hook *hook)
{
	int reason, r;

	boot_phase("building the VM");
	r = vm_open(vm, cfg);
	if (r < 0) {
		vm_close(vm);
		return -EXIT_HOST_ERROR;
	}
	boot_phase("VM created (/dev/kvm open, KVM_CREATE_VM)");
	vm->term = term;
	vm->net_backends = nets;	/* net_backends.h: lent to this boot's devices */
	if ((int)cfg->nr_cpus > vm->max_vcpus) {
		log_error("--cpus %u: this host's KVM allows at most %d vcpus",
			  cfg->nr_cpus, vm->max_vcpus);
		vm_close(vm);
		return -EXIT_USAGE;
	}

	r = arch_vm_init(vm);
	if (r == 0) {
		boot_phase("machine ready (RAM, irqchip, devices)");
		r = virtio_devices_create(vm);
	}
	if (r == 0) {
		boot_phase("virtio devices created");
		r = arch_load_kernel(vm);
	}
	if (r == 0) {
		boot_phase("kernel, initrd and firmware tables loaded");
		r = vcpus_create(vm, cfg->nr_cpus);
	}
	if (r == 0) {
		boot_phase("vcpus created; entering the guest");
		console_attach(link, vm);
		vm_run(vm, deadline, hook);
		console_attach(link, NULL);
		boot_phase("guest stopped");
	}
	reason = vm_stop_reason(vm);
	/* Still running at --timeout: what its devices were waiting for (issue 16). */
	if (reason == VM_STOP_TIMEOUT)
		virtio_devices_log(vm);
	vm_teardown(vm);
	boot_phase("VM torn down");
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
	case VM_STOP_API: return "stopped through the control API";
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

/*
 * The control socket (run/api_socket.h): --api-socket PATH, or DIR/NAME.sock.
 * Returns 0 (*out NULL: none) or an exit status. Without --name and
 * --api-socket a socket that cannot be made costs a warning, not the VM.
 */
static int api_open(const struct vm_config *cfg, struct api_vm_ctx *ctx, char *name,
		    size_t nsize, char *path, size_t psize, struct api_server **out)
{
	static const struct api_limits lim = API_LIMITS_DEFAULT;
	bool chosen = cfg->name || cfg->api_socket;
	const char *why;
	char dir[192];
	int fd;

	*out = NULL;
	snprintf(name, nsize, "%s", cfg->name ? cfg->name : "");
	if (!cfg->name)
		snprintf(name, nsize, "vmm-%d", (int)getpid());
	ctx->name = name;
	if (cfg->api_socket && !strcmp(cfg->api_socket, "none"))
		return 0;
	if (cfg->api_socket) {
		snprintf(path, psize, "%s", cfg->api_socket);
	} else {
		fd = api_socket_dir(dir, sizeof(dir), true, &why);
		if (fd >= 0 && snprintf(path, psize, "%s/%s.sock", dir, name) >= (int)psize)
			fd = -ENAMETOOLONG, why = "path too long";
		if (fd < 0) {
			if (!chosen) {
				log_warn("no control socket: %s: %s", dir, why);
				return 0;
			}
			log_error("--name %s: %s: %s", name, dir, why);
			return EXIT_HOST_ERROR;
		}
	}
	fd = api_socket_listen(path, &why);
	if (fd < 0) {
		if (!chosen) {
			log_warn("no control socket: %s: %s", path, why);
			return 0;
		}
		log_error("control socket %s: %s%s", path, why,
			  fd == -EADDRINUSE ? " (choose another --name)" : "");
		return fd == -EADDRINUSE || fd == -EEXIST || fd == -ENAMETOOLONG ? EXIT_USAGE :
		       EXIT_HOST_ERROR;
	}
	ctx->socket_path = path;
	*out = api_server_create(fd, &lim, &api_vm_ops, ctx);
	if (!*out) {
		close(fd);
		api_socket_remove();
		log_error("control socket: out of memory");
		return EXIT_HOST_ERROR;
	}
	return 0;
}

static void api_close(struct api_server *api)
{
	api_server_destroy(api);
	api_socket_remove();
}

/* --exec on a command line that did not parse: its failure is still 125. */
static bool exec_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--exec") || !strncmp(argv[i], "--exec=", 7))
			return true;
	return false;
}

static int cmd_run(int argc, char **argv)
{
	char name[API_NAME_MAX + 1], api_path[108];
	struct api_vm_ctx actx = { 0 };
	struct api_server *api;
	struct run_hook hook = { api_server_prepare, api_server_ready, NULL };
	struct console_link link = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct vm_config cfg;
	struct vm vm;
	struct net_backends *nets;
	struct console_backend cons;
	struct cpio initramfs = { 0 };	/* --exec, --rootfs: every boot's initrd */
	struct term *term;
	struct timespec deadline;
	char err[256];
	int r, status;
	struct term_ops ops = { console_input, console_quit, 0 };

	r = config_parse(argc, argv, &cfg, err, sizeof(err));
	if (r == 1) {
		usage(stdout);
		return 0;
	}
	if (r < 0) {
		log_error("%s", err);
		return exec_asked(argc, argv) ? EXIT_EXEC_FAILED : EXIT_USAGE;
	}
	/* --timeout counts from vmm's start, across kernel loading and reboots. */
	deadline = clock_timespec(clock_start_ns() + cfg.timeout_sec * 1000000000ULL);
	log_debug_enabled = cfg.debug;
	if (check_affinity(&cfg) < 0)
		return EXIT_USAGE;
	/* The API outlives guest reboots, like the terminal; served by vm_run(). */
	r = api_open(&cfg, &actx, name, sizeof(name), api_path, sizeof(api_path), &api);
	if (r)
		return r;
	hook.opaque = api;
	/* net_backends.h: taps and slirp outlive guest reboots; destroyed at exit. */
	nets = net_backends_create(&cfg, &r);
	if (!nets) {
		api_close(api);
		return r == -EINVAL ? EXIT_USAGE : EXIT_HOST_ERROR;
	}

	/* --serial: where the console goes; made before the terminal, closed after it. */
	r = console_backend_open(&cfg, actx.socket_path, &cons);
	if (r) {
		net_backends_destroy(nets);
		api_close(api);
		return r;
	}
	actx.console = &cons;
	if (cfg.exec_cmd || cfg.rootfs) {
		r = exec_prepare(&cfg, &cons, &initramfs);
		if (r) {
			cpio_free(&initramfs);
			console_backend_close(&cons);
			net_backends_destroy(nets);
			api_close(api);
			return cfg.exec_cmd ? EXIT_EXEC_FAILED : r;
		}
	}
	ops.flags = cons.term_flags;
	term = term_open(cons.in_fd, cons.out_fd, &ops, &link);
	if (!term) {
		log_error("cannot set up the console: %s", strerror(errno));
		cpio_free(&initramfs);
		console_backend_close(&cons);
		net_backends_destroy(nets);
		api_close(api);
		return EXIT_HOST_ERROR;
	}

	/* vmm's messages and the guest's output share the terminal: in order. */
	if (cons.kind == VM_SERIAL_STDIO)
		log_set_flush_hook((void (*)(void *))term_flush, term);
	for (;;) {
		/* Building a VM: a stop signal ends vmm at once (run/signals.h). */
		stop_signals_defer(false);
		if (cfg.timeout_sec && !clock_ms_until(&deadline)) {
			r = VM_STOP_TIMEOUT;	/* no point building one more */
			break;
		}
		actx.boots++;
		r = vm_boot_once(&vm, &cfg, term, &link, cfg.timeout_sec ? &deadline : NULL, nets,
				 api ? &hook : NULL);
		/* A signal that came while the VM stopped for another reason. */
		if (r == VM_STOP_RESET && stop_signals_pending()) {
			vm.stop_signal = stop_signals_pending();
			r = VM_STOP_SIGNAL;
		}
		if (r == VM_STOP_RESET && !cfg.no_reboot) {
			log_info("guest rebooted: restarting it");
			continue;
		}
		break;
	}
	log_set_flush_hook(NULL, NULL);
	/* Only the terminal is left: a signal now just ends vmm. */
	stop_signals_defer(false);
	term_close(term);
	console_backend_close(&cons);
	net_backends_destroy(nets);
	/* Last: a client waiting on `vmm stop` learns here that the VM is gone. */
	api_close(api);
	cpio_free(&initramfs);

	if (r < 0)
		return cfg.exec_cmd ? EXIT_EXEC_FAILED : -r;	/* said already */
	if (r == VM_STOP_TIMEOUT)
		log_error("timeout: the guest was still running after %u s",
			  cfg.timeout_sec);
	else if (!cfg.exec_cmd && stop_message(r) && (r != VM_STOP_RESET || cfg.debug))
		log_info("%s", stop_message(r));
	status = exit_status(&vm, r);
	if (cfg.exec_cmd)
		status = exec_exit_status(r, vm.exec_status, status);
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
	clock_mark_start();
	std_fds_ensure();
	/* From the first moment: a stop signal acts, a crash restores the tty. */
	if (stop_signals_init() < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return EXIT_HOST_ERROR;
	}
	fatal_signals_setup();
	/*
	 * vmm never executes anything: no set-uid program or file capability
	 * could ever raise what it (or a guest that took it over) may do.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("cannot set no_new_privs: %s", strerror(errno));
		return EXIT_HOST_ERROR;
	}
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
	if (ctl_command(argv[1]))
		return ctl_main(argc - 1, argv + 1);
	log_error("unknown command '%s' (see vmm --help)", argv[1]);
	return EXIT_USAGE;
}
