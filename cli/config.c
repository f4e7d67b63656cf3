// SPDX-License-Identifier: GPL-2.0
/* The command line of `vmm run`, parsed into struct vm_config. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "run/api_socket.h"
#include "run/exec_proto.h"
#include "util/cpulist.h"

#define CONFIG_DEFAULT_MEM	(512 * MiB)
#define CONFIG_MIN_MEM		(8 * MiB)
#define CONFIG_MAX_MEM		(1ULL << 46)	/* 64 TiB: beyond any x86/arm64 guest */
#define CONFIG_MAX_TIMEOUT	(100U * 365 * 24 * 3600)

static int config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_parse_size(const char *s, u64 *out)
{
	unsigned long long v, mult = MiB;	/* a bare number is MiB */
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = KiB; break;
		case 'M': mult = MiB; break;
		case 'G': mult = GiB; break;
		case 'T': mult = 1024 * GiB; break;
		default: return -EINVAL;
		}
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (v > ULLONG_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

enum {
	OPT_TIMEOUT = 256,
	OPT_NO_REBOOT,
	OPT_DEBUG,
	OPT_GUEST_DECOMPRESS,
	OPT_RNG,
	OPT_CONSOLE,
	OPT_TRANSPORT,
	OPT_VCPU_AFFINITY,
	OPT_IO_AFFINITY,
	OPT_PANIC_WATCH,
	OPT_EXACT_CMDLINE,
	OPT_IRQCHIP,
	OPT_PMU,
	OPT_NAME,
	OPT_API_SOCKET,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_ON_SIGTERM,
	OPT_SERIAL,
	OPT_FS,
	OPT_EXEC,
	OPT_ROOTFS,
	OPT_MODULES,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'p' },
	{ "exact-cmdline", no_argument, NULL, OPT_EXACT_CMDLINE },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "guest-decompress", no_argument, NULL, OPT_GUEST_DECOMPRESS },
	{ "disk", required_argument, NULL, 'd' },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "net", required_argument, NULL, 'n' },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "virtio-transport", required_argument, NULL, OPT_TRANSPORT },
	{ "vcpu-affinity", required_argument, NULL, OPT_VCPU_AFFINITY },
	{ "io-affinity", required_argument, NULL, OPT_IO_AFFINITY },
	{ "panic-watch", required_argument, NULL, OPT_PANIC_WATCH },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "on-sigterm", required_argument, NULL, OPT_ON_SIGTERM },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "fs", required_argument, NULL, OPT_FS },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Every --irqchip word on every architecture: the machine refuses what it lacks. */
static const struct { const char *name; enum vm_irqchip irqchip; } irqchips[] = {
	{ "gicv2", VM_IRQCHIP_GICV2 },
	{ "gicv3", VM_IRQCHIP_GICV3 },
	{ "gicv3-its", VM_IRQCHIP_GICV3_ITS },
};

const char *config_irqchip_name(enum vm_irqchip irqchip)
{
	for (size_t i = 0; i < ARRAY_SIZE(irqchips); i++)
		if (irqchips[i].irqchip == irqchip)
			return irqchips[i].name;
	return "default";
}

static int parse_irqchip(const char *s, enum vm_irqchip *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(irqchips); i++) {
		if (!strcmp(s, irqchips[i].name)) {
			*out = irqchips[i].irqchip;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_serial(const char *s, struct vm_config *cfg)
{
	cfg->serial_path = NULL;
	if (!strcmp(s, "stdio"))
		cfg->serial = VM_SERIAL_STDIO;
	else if (!strcmp(s, "pty"))
		cfg->serial = VM_SERIAL_PTY;
	else if (!strcmp(s, "none"))
		cfg->serial = VM_SERIAL_NONE;
	else if (!strcmp(s, "socket"))
		cfg->serial = VM_SERIAL_SOCKET;
	else if (!strncmp(s, "socket:", 7) && s[7])
		cfg->serial = VM_SERIAL_SOCKET, cfg->serial_path = s + 7;
	else if (!strncmp(s, "file:", 5) && s[5])
		cfg->serial = VM_SERIAL_FILE, cfg->serial_path = s + 5;
	else
		return -EINVAL;
	return 0;
}

/*
 * --exec and --rootfs: the root becomes the last shared directory, tagged
 * EXEC_ROOT_TAG, and vmm's initramfs replaces --initrd.
 */
static int config_root(struct vm_config *cfg, char *err, size_t errlen)
{
	struct virtio_fs_opts *o = &cfg->fs_opts[cfg->nr_fs];
	const char *opt = cfg->exec_cmd ? "--exec" : "--rootfs";
	size_t n;

	if (!cfg->exec_cmd && !cfg->rootfs) {
		if (cfg->modules_dir)
			return config_fail(err, errlen, "--modules: only with --exec or --rootfs");
		return 0;
	}
	if (cfg->exec_cmd && !*cfg->exec_cmd)
		return config_fail(err, errlen, "--exec: expected a command");
	if (!cfg->kernel_path)
		return config_fail(err, errlen, "%s needs --kernel (a Linux kernel)", opt);
	if (cfg->initrd_path)
		return config_fail(err, errlen,
			"%s: vmm builds the initramfs itself; --initrd cannot be given", opt);
	if (cfg->nr_fs == VM_MAX_FS)
		return config_fail(err, errlen,
			"%s: the root is shared as one of the %d --fs; give at most %d others",
			opt, VM_MAX_FS, VM_MAX_FS - 1);
	for (unsigned int i = 0; i < cfg->nr_fs; i++)
		if (!strcmp(cfg->fs_opts[i].tag, EXEC_ROOT_TAG))
			return config_fail(err, errlen, "--fs: tag %s is vmm's for the root",
					   EXEC_ROOT_TAG);
	memset(o, 0, sizeof(*o));
	n = cfg->rootfs ? strlen(cfg->rootfs) - (cfg->rootfs_rw ? 3 : 0) : 1;
	if (!n || n >= sizeof(o->path))
		return config_fail(err, errlen, "--rootfs: expected a directory[,rw]");
	memcpy(o->path, cfg->rootfs ? cfg->rootfs : "/", n);
	snprintf(o->tag, sizeof(o->tag), "%s", EXEC_ROOT_TAG);
	o->ro = !cfg->rootfs_rw;
	cfg->fs[cfg->nr_fs++] = cfg->rootfs ? cfg->rootfs : "/";
	/* A reboot would run CMD again: it ends the run instead (status 125). */
	if (cfg->exec_cmd)
		cfg->no_reboot = true;
	return 0;
}

void config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 1;
	cfg->ram_size = CONFIG_DEFAULT_MEM;
	cfg->shutdown_timeout_sec = VM_DEFAULT_SHUTDOWN_TIMEOUT;
}

/*
 * Parse the options after "run". Returns 0, 1 if help was asked for, or
 * -EINVAL with a one-line reason in @err.
 */
int config_parse(int argc, char **argv, struct vm_config *cfg, char *err,
		 size_t errlen)
{
	unsigned long v;
	int opt, r;

	config_defaults(cfg);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:p:c:m:d:n:h", run_options, NULL)) != -1) {
		switch (opt) {
		case 'k':
			cfg->kernel_path = optarg;
			break;
		case 'i':
			cfg->initrd_path = optarg;
			break;
		case 'p':
			cfg->cmdline = optarg;
			break;
		case 'c':
			r = parse_uint(optarg, 4096, &v);
			if (r < 0 || v == 0)
				return config_fail(err, errlen,
					"--cpus '%s': expected a number from 1 to 4096", optarg);
			cfg->nr_cpus = v;
			break;
		case 'm':
			r = config_parse_size(optarg, &cfg->ram_size);
			if (r < 0)
				return config_fail(err, errlen,
					"--mem '%s': expected a size in MiB or with a K/M/G suffix",
					optarg);
			if (cfg->ram_size < CONFIG_MIN_MEM)
				return config_fail(err, errlen,
					"--mem '%s': at least %llu MiB is needed", optarg,
					CONFIG_MIN_MEM >> 20);
			if (cfg->ram_size > CONFIG_MAX_MEM)
				return config_fail(err, errlen,
					"--mem '%s': more than vmm supports (%llu GiB)", optarg,
					CONFIG_MAX_MEM >> 30);
			/* Not rounded behind the user's back: say what would work. */
			if (cfg->ram_size % (2 * MiB))
				return config_fail(err, errlen,
					"--mem '%s': guest RAM comes in steps of 2 MiB"
					" (%llu MiB or %llu MiB would do)", optarg,
					ALIGN_DOWN(cfg->ram_size, 2 * MiB) >> 20,
					ALIGN_UP(cfg->ram_size, 2 * MiB) >> 20);
			break;
		case OPT_TIMEOUT:
			r = parse_uint(optarg, CONFIG_MAX_TIMEOUT, &v);
			if (r < 0 || v == 0)
				return config_fail(err, errlen,
					"--timeout '%s': expected a whole number of seconds > 0",
					optarg);
			cfg->timeout_sec = v;
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			r = parse_uint(optarg, CONFIG_MAX_TIMEOUT, &v);
			if (r < 0 || v == 0)
				return config_fail(err, errlen,
					"--shutdown-timeout '%s': expected a whole number of seconds > 0",
					optarg);
			cfg->shutdown_timeout_sec = v;
			break;
		case OPT_ON_SIGTERM:
			if (!strcmp(optarg, "shutdown"))
				cfg->sigterm_shutdown = true;
			else if (!strcmp(optarg, "stop"))
				cfg->sigterm_shutdown = false;
			else
				return config_fail(err, errlen,
					"--on-sigterm '%s': expected shutdown or stop", optarg);
			break;
		case OPT_EXACT_CMDLINE:
			cfg->exact_cmdline = true;
			break;
		case OPT_IRQCHIP:
			if (parse_irqchip(optarg, &cfg->irqchip) < 0)
				return config_fail(err, errlen,
					"--irqchip '%s': expected gicv2, gicv3 or gicv3-its", optarg);
			break;
		case OPT_PMU:
			cfg->pmu = true;
			break;
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_GUEST_DECOMPRESS:
			cfg->guest_decompress = true;
			break;
		case 'd': {
			const char *why = "";

			if (cfg->nr_disks == VM_MAX_DISKS)
				return config_fail(err, errlen, "--disk: at most %d disks",
						   VM_MAX_DISKS);
			if (virtio_blk_parse_opts(optarg, &cfg->disk_opts[cfg->nr_disks], &why) < 0)
				return config_fail(err, errlen, "--disk '%s': %s", optarg, why);
			cfg->disks[cfg->nr_disks++] = optarg;
			break;
		}
		case OPT_RNG:
			cfg->rng = true;
			break;
		case OPT_FS: {
			const char *why = "";

			if (cfg->nr_fs == VM_MAX_FS)
				return config_fail(err, errlen, "--fs: at most %d shared directories",
						   VM_MAX_FS);
			if (virtio_fs_parse_opts(optarg, &cfg->fs_opts[cfg->nr_fs], &why) < 0)
				return config_fail(err, errlen, "--fs '%s': %s", optarg, why);
			for (unsigned int i = 0; i < cfg->nr_fs; i++)
				if (!strcmp(cfg->fs_opts[i].tag, cfg->fs_opts[cfg->nr_fs].tag))
					return config_fail(err, errlen,
						"--fs '%s': tag %s is taken (give tag=NAME)",
						optarg, cfg->fs_opts[i].tag);
			cfg->fs[cfg->nr_fs++] = optarg;
			break;
		}
		case OPT_EXEC:
			cfg->exec_cmd = optarg;
			break;
		case OPT_ROOTFS: {
			size_t n = strlen(optarg);

			cfg->rootfs_rw = n > 3 && !strcmp(optarg + n - 3, ",rw");
			cfg->rootfs = optarg;
			break;
		}
		case OPT_MODULES:
			if (!*optarg)
				return config_fail(err, errlen, "--modules: expected a directory");
			cfg->modules_dir = optarg;
			break;
		case 'n': {
			struct virtio_net_opts o;
			const char *why = "";

			if (virtio_net_parse_opts(optarg, &o, &why) < 0)
				return config_fail(err, errlen, "--net '%s': %s", optarg, why);
			if (o.mode == VIRTIO_NET_NONE)
				break;
			if (cfg->nr_nets == VM_MAX_NETS)
				return config_fail(err, errlen, "--net: at most %d network devices",
						   VM_MAX_NETS);
			cfg->net_opts[cfg->nr_nets] = o;
			cfg->nets[cfg->nr_nets++] = optarg;
			break;
		}
		case OPT_CONSOLE:
			if (!strcmp(optarg, "serial"))
				cfg->console = VM_CONSOLE_SERIAL;
			else if (!strcmp(optarg, "virtio"))
				cfg->console = VM_CONSOLE_VIRTIO;
			else
				return config_fail(err, errlen,
					"--console '%s': expected serial or virtio", optarg);
			break;
		case OPT_SERIAL:
			if (parse_serial(optarg, cfg) < 0)
				return config_fail(err, errlen,
					"--serial '%s': expected stdio, pty, file:PATH, socket[:PATH]"
					" or none", optarg);
			break;
		case OPT_PANIC_WATCH: {
			static const char *const names[] = {
				[VM_PANIC_WATCH_AUTO] = "auto", [VM_PANIC_WATCH_PVPANIC] = "pvpanic",
				[VM_PANIC_WATCH_CONSOLE] = "console", [VM_PANIC_WATCH_OFF] = "off",
			};
			unsigned int i;

			for (i = 0; i < ARRAY_SIZE(names) && strcmp(optarg, names[i]); i++)
				;
			if (i == ARRAY_SIZE(names))
				return config_fail(err, errlen,
					"--panic-watch '%s': expected auto, pvpanic, console or off",
					optarg);
			cfg->panic_watch = i;
			break;
		}
		case OPT_TRANSPORT:
			if (!strcmp(optarg, "mmio"))
				cfg->transport = VM_VIRTIO_MMIO;
			else if (!strcmp(optarg, "pci"))
				cfg->transport = VM_VIRTIO_PCI;
			else
				return config_fail(err, errlen,
					"--virtio-transport '%s': expected mmio or pci", optarg);
			break;
		case OPT_VCPU_AFFINITY:
		case OPT_IO_AFFINITY: {
			bool vcpu = opt == OPT_VCPU_AFFINITY;
			const char *why;

			if (cpulist_parse(optarg, vcpu ? &cfg->vcpu_affinity : &cfg->io_affinity,
					  &why) < 0)
				return config_fail(err, errlen, "--%s-affinity %s",
						   vcpu ? "vcpu" : "io", why);
			*(vcpu ? &cfg->vcpu_affinity_set : &cfg->io_affinity_set) = true;
			break;
		}
		case OPT_NAME:
			if (!api_name_valid(optarg))
				return config_fail(err, errlen,
					"--name '%s': 1 to %d letters, digits, '.', '_' or '-',"
					" not starting with '.'", optarg, API_NAME_MAX);
			cfg->name = optarg;
			break;
		case OPT_API_SOCKET:
			if (!*optarg)
				return config_fail(err, errlen, "--api-socket: expected a path or none");
			cfg->api_socket = optarg;
			break;
		case 'h':
			return 1;
		case ':':
			return config_fail(err, errlen, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return config_fail(err, errlen, "unknown option '%s' (see vmm --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return config_fail(err, errlen, "unexpected argument '%s' (see vmm --help)",
				   argv[optind]);
	return config_root(cfg, err, errlen);
}
