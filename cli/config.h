/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_CLI_CONFIG_H
#define VMM_CLI_CONFIG_H

#include <sched.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/net.h"
#include "util/types.h"

#define VM_MAX_DISKS 8
#define VM_MAX_NETS 4
#define VM_MAX_FS 4
#define VM_DEFAULT_SHUTDOWN_TIMEOUT 30

/* Which device is the guest console on the terminal; the UART is always there. */
enum vm_console {
	VM_CONSOLE_SERIAL,		/* ttyS0 (the default) */
	VM_CONSOLE_VIRTIO,		/* hvc0: a virtio-console device */
};

/* --serial: where the guest console (ttyS0, or hvc0 with --console virtio) goes. */
enum vm_serial {
	VM_SERIAL_STDIO,		/* this terminal (the default) */
	VM_SERIAL_PTY,			/* a new pseudo-terminal, its path printed */
	VM_SERIAL_FILE,			/* output to a file, no input */
	VM_SERIAL_SOCKET,		/* a Unix socket, one client at a time (vmm console) */
	VM_SERIAL_NONE,			/* nowhere */
};

/* Where virtio devices sit; the default is the architecture's choice. */
enum vm_virtio_transport {
	VM_VIRTIO_DEFAULT,
	VM_VIRTIO_MMIO,
	VM_VIRTIO_PCI,
};

/*
 * What counts as a guest panic (exit status 3). The pvpanic device always
 * does, except with off; Linux's panic line on the console is only a
 * fallback for kernels without a pvpanic driver, since any guest program
 * can print it.
 */
enum vm_panic_watch {
	VM_PANIC_WATCH_AUTO,		/* the console line until the guest's pvpanic driver probed */
	VM_PANIC_WATCH_PVPANIC,		/* the device only */
	VM_PANIC_WATCH_CONSOLE,		/* the console line always, and the device */
	VM_PANIC_WATCH_OFF,		/* neither: the guest's own panic action stands */
};

/* --irqchip: the interrupt controller asked for; the architecture decides what it has. */
enum vm_irqchip {
	VM_IRQCHIP_DEFAULT,
	VM_IRQCHIP_GICV2,		/* arm64 */
	VM_IRQCHIP_GICV3,		/* arm64, without an ITS */
	VM_IRQCHIP_GICV3_ITS,		/* arm64, with an ITS */
};

/* Everything the command line says; main.c fills it, vm_create() reads it. */
struct vm_config {
	const char *kernel_path;	/* NULL: the embedded test guest */
	const char *initrd_path;
	const char *cmdline;		/* user's part, appended to the defaults */
	bool exact_cmdline;		/* --exact-cmdline: cmdline alone, no vmm words */
	unsigned int nr_cpus;
	u64 ram_size;			/* bytes */
	unsigned int timeout_sec;	/* 0: none */
	unsigned int shutdown_timeout_sec;	/* --shutdown-timeout: power button to stop */
	bool sigterm_shutdown;		/* --on-sigterm shutdown: SIGTERM presses the button */
	bool no_reboot;
	bool debug;
	bool guest_decompress;		/* boot the bzImage as is */
	const char *disks[VM_MAX_DISKS];	/* -d PATH[,ro][,serial=ID][,direct], as given */
	struct virtio_blk_opts disk_opts[VM_MAX_DISKS];	/* ...and parsed */
	unsigned int nr_disks;
	bool rng;			/* a virtio-rng device */
	const char *fs[VM_MAX_FS];	/* --fs DIR[,tag=NAME][,ro], as given */
	struct virtio_fs_opts fs_opts[VM_MAX_FS];	/* ...and parsed */
	unsigned int nr_fs;
	const char *nets[VM_MAX_NETS];	/* -n tap[,ifname=NAME][,mac=MAC] (none: skipped) */
	struct virtio_net_opts net_opts[VM_MAX_NETS];	/* ...and parsed */
	unsigned int nr_nets;
	enum vm_console console;	/* --console serial|virtio */
	enum vm_serial serial;		/* --serial */
	const char *serial_path;	/* file:PATH, socket:PATH (NULL: next to the API's) */
	enum vm_virtio_transport transport;	/* --virtio-transport mmio|pci */
	enum vm_panic_watch panic_watch;	/* --panic-watch */
	bool vcpu_affinity_set;		/* --vcpu-affinity: vcpu i on its i-th CPU */
	cpu_set_t vcpu_affinity;
	bool io_affinity_set;		/* --io-affinity: device I/O threads */
	cpu_set_t io_affinity;
	enum vm_irqchip irqchip;	/* --irqchip */
	bool pmu;			/* --pmu: a PMU for the guest (arm64) */
	/*
	 * --exec CMD, --rootfs DIR[,rw], --modules DIR (run/exec.h): the root
	 * is shared as fs_opts[nr_fs - 1] (tag vmm-root) and vmm builds the
	 * initramfs, held in initrd_data for every boot of this run.
	 */
	const char *exec_cmd;
	const char *rootfs;		/* NULL with --exec: the host's / */
	bool rootfs_rw;
	const char *modules_dir;
	const u8 *initrd_data;		/* instead of initrd_path; owned by cmd_run() */
	size_t initrd_len;
	/* The control API (run/api_socket.h): NULL name: vmm-PID; "none": no socket. */
	const char *name;		/* --name */
	const char *api_socket;		/* --api-socket PATH|none */
};

void config_defaults(struct vm_config *cfg);
/* 0 ok, 1 help requested, -EINVAL with a one-line reason in @err. */
int config_parse(int argc, char **argv, struct vm_config *cfg, char *err,
		 size_t errlen);
/* The --irqchip word for @irqchip ("default" for the default). */
const char *config_irqchip_name(enum vm_irqchip irqchip);
/* "256" (MiB), "512M", "2G", "64K", "1GiB" -> bytes. */
int config_parse_size(const char *s, u64 *out);

#endif
