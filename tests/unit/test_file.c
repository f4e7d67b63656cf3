// SPDX-License-Identifier: GPL-2.0
/* Opening the files named on the command line (-k, -i, -d): type checks first. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "test.h"
#include "util/file.h"

static char dir[32];

static const char *make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vmm-file-XXXXXX");
	return mkdtemp(dir);
}

/* A FIFO as kernel or initrd used to block vmm in open() until a writer came. */
TEST(file_fifo_kernel_or_initrd_is_refused_without_blocking)
{
	char fifo[64];
	size_t len;
	u64 size;
	u8 *buf;

	TEST_ASSERT(make_dir(), "mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	TEST_ASSERT(!mkfifo(fifo, 0600), "mkfifo: %s", strerror(errno));
	alarm(10);	/* fail (SIGALRM) rather than hang */
	TEST_ASSERT_EQ(file_open_sized("initrd", fifo, &size), -EINVAL);
	TEST_ASSERT_EQ(file_read_all("kernel", fifo, 1 << 20, &buf, &len), -EINVAL);
	alarm(0);
	unlink(fifo);
	rmdir(dir);
}

TEST(file_only_regular_files_and_maybe_block_devices_pass)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reg[64], sock[64];
	struct stat st;
	int fd, s;

	TEST_ASSERT(make_dir(), "mkdtemp: %s", strerror(errno));
	snprintf(reg, sizeof(reg), "%s/reg", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	fd = open(reg, O_CREAT | O_WRONLY, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, "abc", 3) == 3, "%s", strerror(errno));
	close(fd);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	TEST_ASSERT(s >= 0 && !bind(s, (struct sockaddr *)&sa, sizeof(sa)), "bind");

	/* Read-write opens of a directory (EISDIR) and a socket (ENXIO) too. */
	TEST_ASSERT_EQ(file_open_checked(dir, O_RDWR, true, &st), -EINVAL);
	TEST_ASSERT(S_ISDIR(st.st_mode), "mode %o", st.st_mode);
	TEST_ASSERT_EQ(file_open_checked(dir, O_RDONLY, true, &st), -EINVAL);
	TEST_ASSERT_EQ(file_open_checked(sock, O_RDWR, true, &st), -EINVAL);
	TEST_ASSERT(!strcmp(file_type_name(st.st_mode), "a socket"), "%s",
		    file_type_name(st.st_mode));
	TEST_ASSERT_EQ(file_open_checked("/dev/null", O_RDWR, true, &st), -EINVAL);
	TEST_ASSERT(!strcmp(file_type_name(st.st_mode), "a character device"), "%s",
		    file_type_name(st.st_mode));
	TEST_ASSERT_EQ(file_open_checked("/nonexistent/x", O_RDONLY, true, &st), -ENOENT);

	/* A regular file comes back blocking (O_NONBLOCK was only for the open). */
	fd = file_open_checked(reg, O_RDWR, false, &st);
	TEST_ASSERT(fd >= 0, "%d", fd);
	TEST_ASSERT_EQ(st.st_size, 3);
	TEST_ASSERT_EQ(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_RDWR);
	TEST_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC, "no FD_CLOEXEC");
	s = file_reopen(fd, O_RDONLY);
	TEST_ASSERT(s >= 0, "reopen: %d", s);
	close(fd);
	unlink(reg);	/* the reopened fd still reads the same file */
	char buf[4] = "";
	TEST_ASSERT_EQ(read(s, buf, 3), 3);
	TEST_ASSERT(!strcmp(buf, "abc"), "%s", buf);
	close(s);
	unlink(sock);
	rmdir(dir);
}
