// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the virtio-fs FUSE server (devices/virtio/fs_server.c)
 * as a guest reaches it, on a fresh small share each input: a file, a
 * directory, a symlink out of the share and a FIFO; a file outside it.
 * The input is a sequence of requests, each a u16 length then that many
 * bytes (a FUSE header and arguments, as the guest wrote them); the first
 * byte of the input chooses read-only or read-write. Files are capped at
 * 1 MiB (RLIMIT_FSIZE) so a WRITE or FALLOCATE cannot fill the disk.
 * Oracles: a reply never claims more than its buffer; the file outside
 * the share is never touched; every descriptor is closed at the end.
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/fs_server.h"
#include "fuzz_vm.h"

static char outside[64];
static struct stat outside_st;
static u8 reply[FS_MAX_IO + 4096], req[FS_MAX_IO + 8192];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rlimit fsize = { 1 << 20, 1 << 20 };
	char p[128];

	fuzz_quiet();
	setrlimit(RLIMIT_FSIZE, &fsize);
	snprintf(outside, sizeof(outside), "/tmp/vmm-fuzz-out-XXXXXX");
	if (!mkdtemp(outside))
		abort();
	snprintf(p, sizeof(p), "%s/secret", outside);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	stat(p, &outside_st);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return remove(path) < 0 ? 0 : 0;
}

static int nr_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	/* data[0]: bit 0 read-only, bit 1 extended attributes. */
	struct fs_server_opts o = { .ro = size && (data[0] & 1), .xattr = size && (data[0] & 2),
				    .max_inodes = 64, .max_handles = 16 };
	struct iovec iov[2] = { { reply, 100 }, { reply + 100, sizeof(reply) - 100 } };
	char dir[64], p[160];
	struct fs_server *s;
	struct stat st;
	size_t pos = size ? 1 : 0;
	int err = 0, fds = nr_fds();

	/* Past 1 MiB a write fails with EFBIG (libFuzzer takes SIGXFSZ after Initialize). */
	signal(SIGXFSZ, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/vmm-fuzz-fs-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/a", dir);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/d", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out", dir);
	if (symlink(outside, p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/fifo", dir);
	mkfifo(p, 0600);
	s = fs_server_create(open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), &o, &err);
	if (!s)
		abort();
	while (pos + 2 <= size) {
		size_t len = data[pos] | data[pos + 1] << 8, n;

		pos += 2;
		len = MIN(len, size - pos);
		memcpy(req, data + pos, len);
		pos += len;
		n = fs_server_handle(s, req, len, iov, 2);
		fuzz_check(n <= sizeof(reply), "reply of %zu bytes", n);
	}
	fs_server_destroy(s);
	fuzz_check(nr_fds() == fds, "%d descriptors before, %d after", fds, nr_fds());
	snprintf(p, sizeof(p), "%s/secret", outside);
	fuzz_check(stat(p, &st) == 0 && st.st_size == 0 && st.st_mtim.tv_sec == outside_st.st_mtim.tv_sec &&
		   st.st_mtim.tv_nsec == outside_st.st_mtim.tv_nsec, "the file outside the share changed");
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
