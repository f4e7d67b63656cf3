/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_NET_BACKENDS_H
#define VMM_DEVICES_VIRTIO_NET_BACKENDS_H

/*
 * The network backends of one vmm process, which outlive guest reboots.
 *
 * A reboot rebuilds the VM and its devices; a tap vmm created would go with
 * its fd (and with it the addresses, bridge port and rules the host put on
 * it), and slirp's host forwards would be closed and bound again. So main.c
 * opens every --net backend once, before the first boot, and keeps them;
 * each boot's virtio-net device borrows its backend and, when destroyed,
 * gives it back detached (net_backend_ops.detach). The MAC too stays the
 * same from boot to boot (a random one is drawn once), so the host's
 * neighbour tables and slirp's DHCP lease stay right.
 *
 * Threads: create, borrow and destroy on main's thread, with no device of
 * this registry alive at destroy.
 */
#include "util/types.h"

struct net_backend;
struct net_backends;
struct vm_config;

/*
 * Open the backend of each of @cfg's --net options (taps created or
 * attached, slirp's host ports bound). NULL with *err = -errno on failure,
 * after one line naming the option: -EINVAL for bad options, any other for
 * what the host refused. With no --net, an empty registry.
 */
struct net_backends *net_backends_create(const struct vm_config *cfg, int *err);
/* The backend and MAC of @cfg->nets[@i], for this boot's device; NULL if none. */
struct net_backend *net_backends_borrow(struct net_backends *nb, unsigned int i,
					u8 mac[6]);
/* At exit: closes the taps (one vmm created goes away) and slirp. NULL: nothing. */
void net_backends_destroy(struct net_backends *nb);

#endif
