/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_KVM_KVM_H
#define VMM_KVM_KVM_H

#include <stdatomic.h>
#include <time.h>

#include "devices/console.h"
#include "kvm/bus.h"
#include "cli/config.h"
#include "util/types.h"

/* Process exit statuses: the CI contract (README, vmm --help). */
enum vm_exit_status {
	EXIT_POWEROFF = 0,
	EXIT_HOST_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_PANIC = 3,
	EXIT_GUEST_CRASH = 4,	/* triple fault, fatal KVM exit */
	EXIT_SHUTDOWN_TIMEOUT = 5,	/* no power-off within --shutdown-timeout of the button */
	EXIT_TIMEOUT = 124,
	EXIT_EXEC_FAILED = 125,	/* --exec: CMD's status never came back (run/exec.h) */
};

/* Why the VM stopped; the first reason reported wins. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,
	VM_STOP_RESET,
	VM_STOP_PANIC,
	VM_STOP_CRASH,
	VM_STOP_TIMEOUT,
	VM_STOP_QUIT,		/* user pressed the escape key */
	VM_STOP_SIGNAL,		/* SIGTERM/SIGINT to vmm */
	VM_STOP_HOST_ERROR,
	VM_STOP_API,		/* PUT /vm/stop on the control API: exit 0 */
	VM_STOP_SHUTDOWN_TIMEOUT,	/* the power button went unanswered: exit 5 */
	VM_STOP_EXEC_STATUS,	/* --exec: the guest's init reported CMD's status */
};

#define VM_MAX_REGIONS 8
#define VM_MAX_VIRTIO 16

struct virtio_mmio;
struct virtio_pci;
struct pci_bus;
struct irq_routing;
struct net_backends;

/* A virtio device on its transport, and how the guest learns of it. */
struct vm_virtio {
	struct virtio_mmio *mmio;	/* one of these two */
	struct virtio_pci *pci;
	u64 base;			/* mmio: the window, VIRTIO_MMIO_SIZE bytes */
	u32 gsi;			/* mmio: the interrupt, as the machine numbers it */
	void *backend;
	void (*backend_destroy)(void *backend);
};

struct mem_region {
	u64 gpa;
	u64 size;
	u8 *hva;
	u32 slot;
};

struct vcpu;
struct vcpu_ctl;

struct vm {
	int sys_fd;
	int vm_fd;
	int vcpu_mmap_size;
	int max_vcpus;
	int nr_memslots;
	bool cap_check_on_vm;		/* KVM_CAP_CHECK_EXTENSION_VM */
	const struct vm_config *cfg;

	struct mem_region regions[VM_MAX_REGIONS];
	unsigned int nr_regions;
	u64 ram_size;

	struct bus bus[BUS_NR];

	struct vcpu **vcpus;		/* vcpu/vcpu.c and the run loop only */
	unsigned int nr_vcpus;
	struct vcpu_ctl *vcpu_ctl;

	_Atomic int state;		/* enum vm_state, run/lifecycle.c */
	u64 run_start_ns;		/* CLOCK_MONOTONIC when vm_run() released the vcpus */
	_Atomic int stop_reason;	/* enum vm_stop_reason */
	int stop_fd;			/* eventfd: written when a stop is requested */
	int stop_signal;		/* with VM_STOP_SIGNAL: which one */
	_Atomic u32 exec_status;	/* with VM_STOP_EXEC_STATUS: run/exec_proto.h's value */
	/* A graceful shutdown: the button was pressed; stop at the deadline (run loop only). */
	bool shutdown_requested;
	struct timespec shutdown_deadline;

	/* The console: main owns the terminal, the machine the device on it. */
	struct term *term;
	struct panic_watch panic_watch;
	atomic_bool pvpanic_probed;	/* the guest read the pvpanic register */
	size_t (*console_rx)(void *opaque, const u8 *buf, size_t len);
	void *console_opaque;
	_Atomic bool console_output;	/* the guest has used its console (bus.c) */

	struct vm_virtio virtio[VM_MAX_VIRTIO];
	unsigned int nr_virtio;
	/* main's --net backends, which outlive the VM (reboots); NULL: the VM's own. */
	struct net_backends *net_backends;
	struct pci_bus *pci;		/* the machine's PCI bus, or NULL */
	bool msi;			/* MSI routes reach the guest (x86; arm64 with an ITS) */
	bool msi_devid;			/* ...and must name the requester (the ITS) */
	struct irq_routing *irq_routing;	/* kvm/irq.c */

	void *arch;			/* hw/<arch>/ private state */
};

/* Open /dev/kvm, check the API version, create the VM (arch_vm_type()). */
int vm_open(struct vm *vm, const struct vm_config *cfg);
void vm_close(struct vm *vm);
/* KVM_CHECK_EXTENSION on the vm fd where possible; 0 = absent. */
int kvm_cap(const struct vm *vm, long cap);
/* Like kvm_cap(), but a missing capability is an error naming it. */
int kvm_require_cap(const struct vm *vm, long cap, const char *name);

/* Map anonymous RAM at @gpa and register it as a memslot. */
int vm_add_ram(struct vm *vm, u64 gpa, u64 size);
void vm_free_ram(struct vm *vm);
/*
 * The only way to touch guest memory: NULL unless [gpa, gpa+len) lies
 * entirely inside one RAM region (overflow-safe).
 */
void *gpa_to_hva(const struct vm *vm, u64 gpa, u64 len);

int bus_register(struct vm *vm, enum bus_kind kind, u64 base, u64 len,
		 bus_handler_t handler, void *opaque, const char *name);

/* Legacy interrupt line; an edge is 1 then 0. */
int irq_line_set(struct vm *vm, u32 gsi, int level);

/*
 * Ask for the VM to stop; the first reason wins. From any thread, until
 * vm_close(): it records the reason and wakes the run loop, which stops
 * the vcpus.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);
enum vm_stop_reason vm_stop_reason(const struct vm *vm);

#endif
