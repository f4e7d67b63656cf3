/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_FS_H
#define VMM_DEVICES_VIRTIO_FS_H

#include "devices/virtio/virtio.h"

/*
 * virtio-fs (virtio 1.2, 5.11): a host directory the guest mounts by its
 * tag (mount -t virtiofs TAG /mnt). Queue 0 is hiprio (FORGETs), queue 1
 * the one request queue; each request is served by the FUSE server
 * (fs_server.h) on the device's I/O thread.
 */
#define VIRTIO_FS_TAG_MAX	36

struct virtio_fs_opts {
	char path[4096];		/* the shared directory */
	char tag[VIRTIO_FS_TAG_MAX + 1];
	bool ro;
	bool xattr;			/* "user." extended attributes */
};

/* --fs DIR[,tag=NAME][,ro][,xattr]; the tag defaults to DIR's last component. */
int virtio_fs_parse_opts(const char *arg, struct virtio_fs_opts *o, const char **why);

struct virtio_fs;

/* Opens the directory. NULL: *@err and @why set. */
struct virtio_fs *virtio_fs_create(const struct virtio_fs_opts *o, int *err, const char **why);
/* After the transport is destroyed. */
void virtio_fs_destroy(struct virtio_fs *fs);

extern const struct virtio_dev_ops virtio_fs_ops;

#endif
