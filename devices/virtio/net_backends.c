// SPDX-License-Identifier: GPL-2.0
/* The process's network backends, kept across guest reboots (net_backends.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/net.h"
#include "devices/virtio/net_backend.h"
#include "devices/virtio/net_backends.h"
#include "cli/config.h"
#include "util/log.h"

struct net_backends {
	unsigned int nr;
	struct {
		struct net_backend *be;
		u8 mac[6];
	} net[VM_MAX_NETS];
};

struct net_backends *net_backends_create(const struct vm_config *cfg, int *err)
{
	struct net_backends *nb = calloc(1, sizeof(*nb));

	if (!nb) {
		*err = -ENOMEM;
		log_error("out of memory");
		return NULL;
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		const struct virtio_net_opts *o = &cfg->net_opts[i];
		const char *why = "";
		int r = 0;

		if (o->mode == VIRTIO_NET_USER)
			nb->net[i].be = net_slirp_create(o, &r, &why);
		else
			nb->net[i].be = net_tap_create(o, &r, &why);
		if (!nb->net[i].be) {
			log_error("--net '%s': %s", cfg->nets[i], why);
			/* The option was valid: whatever the host refused is a host error. */
			*err = r && r != -EINVAL ? r : -EIO;
			goto fail;
		}
		nb->nr = i + 1;
		if (o->has_mac)
			memcpy(nb->net[i].mac, o->mac, 6);
		else
			virtio_net_random_mac(nb->net[i].mac);
	}
	return nb;
fail:
	net_backends_destroy(nb);
	return NULL;
}

struct net_backend *net_backends_borrow(struct net_backends *nb, unsigned int i,
					u8 mac[6])
{
	if (!nb || i >= nb->nr)
		return NULL;
	memcpy(mac, nb->net[i].mac, 6);
	return nb->net[i].be;
}

void net_backends_destroy(struct net_backends *nb)
{
	if (!nb)
		return;
	for (unsigned int i = 0; i < nb->nr; i++)
		if (nb->net[i].be)
			nb->net[i].be->ops->destroy(nb->net[i].be);
	free(nb);
}
