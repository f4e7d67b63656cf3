// SPDX-License-Identifier: GPL-2.0
/* -n/--net option strings: tap[,ifname=][,mac=], user[,hostfwd=][,mac=], none. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/net.h"
#include "util/why.h"

#define NET_USAGE "expected tap[,ifname=NAME][,mac=MAC], user[,hostfwd=...][,restrict=on]" \
		  "[,host-loopback=off][,mac=MAC] or none"
#define HOSTFWD_USAGE "expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"

/* The user-mode network (net_slirp.c): 10.0.2.0/24, host .2, DNS .3. */
#define USER_NET	0x0a000200u
#define USER_MASK	0xffffff00u

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	if (mac[0] & 1)		/* multicast: no NIC has such an address */
		return -EINVAL;
	return 0;
}

/* 1..65535, all digits. */
static int parse_port(const char *s, u16 *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

/* "" (keep *a) or a dotted quad. */
static int parse_addr(const char *s, struct in_addr *a)
{
	if (!*s)
		return 0;
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

/* "on" or "off" after @key=, which only the user-mode network has. */
static int parse_user_switch(const char *opt, const char *key, const struct virtio_net_opts *o,
			     bool *on, const char **why)
{
	const char *v = opt + strlen(key) + 1;

	if (o->mode != VIRTIO_NET_USER)
		return why_fail(why, -EINVAL, "%s: only with user", key);
	if (strcmp(v, "on") && strcmp(v, "off"))
		return why_fail(why, -EINVAL, "%s '%s': expected on or off", key, v);
	*on = !strcmp(v, "on");
	return 0;
}

/* @s: what follows "hostfwd=" (a copy we may cut up). */
static int parse_hostfwd(char *s, struct virtio_net_hostfwd *f, const char **why)
{
	char *proto = s, *haddr, *hport, *gaddr, *gport;
	u32 g;

	memset(f, 0, sizeof(*f));
	haddr = strchr(proto, ':');
	hport = haddr ? strchr(haddr + 1, ':') : NULL;
	gaddr = hport ? strchr(hport + 1, '-') : NULL;
	gport = gaddr ? strchr(gaddr + 1, ':') : NULL;
	if (!gport || strchr(gport + 1, ':'))
		return why_fail(why, -EINVAL, "hostfwd '%s': " HOSTFWD_USAGE, s);
	*haddr++ = *hport++ = *gaddr++ = *gport++ = 0;
	if (!strcmp(proto, "udp"))
		f->udp = true;
	else if (*proto && strcmp(proto, "tcp"))
		return why_fail(why, -EINVAL, "hostfwd: protocol '%s': expected tcp or udp",
				proto);
	if (parse_addr(haddr, &f->host_addr) < 0)
		return why_fail(why, -EINVAL, "hostfwd: host address '%s': not an IPv4 address",
				haddr);
	if (parse_port(hport, &f->host_port) < 0)
		return why_fail(why, -EINVAL, "hostfwd: host port '%s': expected 1 to 65535",
				hport);
	if (parse_addr(gaddr, &f->guest_addr) < 0)
		return why_fail(why, -EINVAL, "hostfwd: guest address '%s': not an IPv4 address",
				gaddr);
	g = ntohl(f->guest_addr.s_addr);
	if (*gaddr && ((g & USER_MASK) != USER_NET || (g & 0xff) < 4 || (g & 0xff) == 0xff))
		return why_fail(why, -EINVAL,
				"hostfwd: guest address '%s': expected one in 10.0.2.4-10.0.2.254",
				gaddr);
	if (parse_port(gport, &f->guest_port) < 0)
		return why_fail(why, -EINVAL, "hostfwd: guest port '%s': expected 1 to 65535",
				gport);
	return 0;
}

int virtio_net_parse_opts(const char *arg, struct virtio_net_opts *o, const char **why)
{
	const char *p = arg, *comma;
	size_t len;

	memset(o, 0, sizeof(*o));
	if (!strcmp(arg, "none")) {
		o->mode = VIRTIO_NET_NONE;
		return 0;
	}
	comma = strchr(p, ',');
	len = comma ? (size_t)(comma - p) : strlen(p);
	if (len == 3 && !strncmp(p, "tap", 3)) {
		o->mode = VIRTIO_NET_TAP;
	} else if (len == 4 && !strncmp(p, "user", 4)) {
#ifndef VMM_HAVE_SLIRP
		*why = "user: this vmm is built without libslirp (no user-mode networking)";
		return -EINVAL;
#endif
		o->mode = VIRTIO_NET_USER;
	} else {
		*why = NET_USAGE;
		return -EINVAL;
	}
	while (comma) {
		char opt[64];

		p = comma + 1;
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(opt)) {
			*why = "option too long";
			return -EINVAL;
		}
		memcpy(opt, p, len);
		opt[len] = 0;
		if (!strncmp(opt, "ifname=", 7)) {
			const char *name = opt + 7;

			if (o->mode != VIRTIO_NET_TAP) {
				*why = "ifname: only with tap";
				return -EINVAL;
			}
			if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
			    strpbrk(name, " \t\n:") || !strcmp(name, ".") || !strcmp(name, "..")) {
				*why = "ifname: expected an interface name of 1 to 15 characters";
				return -EINVAL;
			}
			strcpy(o->ifname, name);
		} else if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, o->mac) < 0) {
				*why = "mac: expected a unicast address like 52:54:00:12:34:56";
				return -EINVAL;
			}
			o->has_mac = true;
		} else if (!strncmp(opt, "hostfwd=", 8)) {
			struct virtio_net_hostfwd *f = &o->hostfwd[o->nr_hostfwd];

			if (o->mode != VIRTIO_NET_USER) {
				*why = "hostfwd: only with user";
				return -EINVAL;
			}
			if (o->nr_hostfwd == VIRTIO_NET_MAX_HOSTFWD)
				return why_fail(why, -EINVAL, "hostfwd: at most %d",
						VIRTIO_NET_MAX_HOSTFWD);
			if (parse_hostfwd(opt + 8, f, why) < 0)
				return -EINVAL;
			for (unsigned int i = 0; i < o->nr_hostfwd; i++)
				if (o->hostfwd[i].udp == f->udp &&
				    o->hostfwd[i].host_port == f->host_port &&
				    o->hostfwd[i].host_addr.s_addr == f->host_addr.s_addr)
					return why_fail(why, -EINVAL,
							"hostfwd: host port %s:%u forwarded twice",
							f->udp ? "udp" : "tcp", f->host_port);
			o->nr_hostfwd++;
		} else if (!strncmp(opt, "restrict=", 9)) {
			if (parse_user_switch(opt, "restrict", o, &o->restrict_guest, why) < 0)
				return -EINVAL;
		} else if (!strncmp(opt, "host-loopback=", 14)) {
			bool on;

			if (parse_user_switch(opt, "host-loopback", o, &on, why) < 0)
				return -EINVAL;
			o->no_host_loopback = !on;
		} else if (o->mode == VIRTIO_NET_TAP) {
			*why = "unknown net option (expected ifname=NAME or mac=MAC)";
			return -EINVAL;
		} else {
			*why = "unknown net option (expected hostfwd=..., restrict=on,"
			       " host-loopback=off or mac=MAC)";
			return -EINVAL;
		}
	}
	return 0;
}
