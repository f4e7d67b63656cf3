// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/term.h"
#include "test.h"

/* What the guest side would be: records input, counts quits. */
struct sink {
	pthread_mutex_t lock;
	u8 buf[64 * 1024];
	size_t len;
	int quits;
	int refuse;		/* refuse this many input() calls first */
	size_t space;		/* if limited: bytes it can take now */
	bool limited;
};

static size_t sink_input(void *opaque, const u8 *buf, size_t len)
{
	struct sink *s = opaque;
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (s->refuse) {
		s->refuse--;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	n = MIN(len, sizeof(s->buf) - s->len);
	if (s->limited) {
		n = MIN(n, s->space);
		s->space -= n;
	}
	memcpy(s->buf + s->len, buf, n);
	s->len += n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void sink_quit(void *opaque)
{
	struct sink *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->quits++;
	pthread_mutex_unlock(&s->lock);
}

static const struct term_ops sink_ops = {
	.input = sink_input,
	.quit = sink_quit,
};

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
}

static size_t sink_len(struct sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int sink_quits(struct sink *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->quits;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Waits up to 5 s for the sink to hold @n bytes. */
static bool sink_wait(struct sink *s, size_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (sink_len(s) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

static bool quits_wait(struct sink *s, int n)
{
	for (int i = 0; i < 5000; i++) {
		if (sink_quits(s) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

static void put(int fd, const char *s)
{
	size_t len = strlen(s);

	if (write(fd, s, len) != (ssize_t)len)
		abort();
}

/* Reads exactly @len bytes within 5 s; returns how many arrived. */
static size_t get(int fd, u8 *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TEST(term_input_reaches_ops)
{
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open: %s", strerror(errno));
	put(in[1], "hello");
	TEST_ASSERT(sink_wait(&s, 5), "got %zu bytes", sink_len(&s));
	term_close(t);
	TEST_ASSERT(!memcmp(s.buf, "hello", 5), "'%.5s'", s.buf);
	TEST_ASSERT_EQ(s.quits, 0);
	close(in[0]);
	close(in[1]);
}

TEST(term_ctrl_a_x_calls_quit)
{
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	put(in[1], "ab\x01xcd");
	TEST_ASSERT(quits_wait(&s, 1), "no quit");
	TEST_ASSERT(sink_wait(&s, 4), "got %zu bytes", sink_len(&s));
	/* escape split across reads */
	put(in[1], "\x01");
	usleep(20000);
	TEST_ASSERT_EQ(sink_quits(&s), 1);
	put(in[1], "x");
	TEST_ASSERT(quits_wait(&s, 2), "no second quit");
	term_close(t);
	TEST_ASSERT_EQ(s.len, 4);
	TEST_ASSERT(!memcmp(s.buf, "abcd", 4), "'%.4s'", s.buf);
	close(in[0]);
	close(in[1]);
}

TEST(term_ctrl_a_ctrl_a_sends_one_ctrl_a)
{
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	/* C-a C-a -> one C-a; C-a z is not a command -> both bytes */
	put(in[1], "1\x01\x01" "2\x01z3");
	TEST_ASSERT(sink_wait(&s, 6), "got %zu bytes", sink_len(&s));
	term_close(t);
	TEST_ASSERT_EQ(s.len, 6);
	TEST_ASSERT(!memcmp(s.buf, "1\x01" "2\x01z3", 6), "bytes differ");
	TEST_ASSERT_EQ(s.quits, 0);
	close(in[0]);
	close(in[1]);
}

TEST(term_ctrl_a_h_prints_help)
{
	struct sink s;
	struct term *t;
	int in[2], out[2];
	u8 buf[256] = { 0 };
	ssize_t n;

	sink_init(&s);
	TEST_ASSERT(!pipe(in) && !pipe(out), "pipe");
	t = term_open(in[0], out[1], &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	put(in[1], "\x01h");
	get(out[0], buf, 1);
	term_close(t);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	n = read(out[0], buf + 1, sizeof(buf) - 2);
	TEST_ASSERT(n > 0, "no help");
	TEST_ASSERT(strstr((char *)buf, "C-a x"), "help '%s'", buf);
	TEST_ASSERT_EQ(s.len, 0);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

TEST(term_eof_ends_input_but_does_not_quit)
{
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	put(in[1], "xyz");
	close(in[1]);
	TEST_ASSERT(sink_wait(&s, 3), "got %zu bytes", sink_len(&s));
	usleep(50000);
	TEST_ASSERT_EQ(sink_quits(&s), 0);
	term_close(t);
	close(in[0]);

	/* and /dev/null as stdin, as in CI */
	in[0] = open("/dev/null", O_RDONLY);
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open /dev/null");
	usleep(20000);
	term_close(t);
	TEST_ASSERT_EQ(s.quits, 0);
	close(in[0]);
}

TEST(term_refused_input_is_retried_not_lost)
{
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	s.refuse = 3;		/* the guest is full; nobody says when it's not */
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	put(in[1], "0123456789");
	TEST_ASSERT(sink_wait(&s, 10), "got %zu bytes", sink_len(&s));
	term_close(t);
	TEST_ASSERT(!memcmp(s.buf, "0123456789", 10), "'%.10s'", s.buf);
	close(in[0]);
	close(in[1]);
}

#define BP_BYTES 20000

struct drainer {
	struct sink *s;
	struct term *t;
	atomic_bool stop;
};

/* A guest that takes 64 bytes at a time, and says when it has room. */
static void *drainer_thread(void *arg)
{
	struct drainer *d = arg;

	while (!atomic_load(&d->stop)) {
		pthread_mutex_lock(&d->s->lock);
		d->s->space = 64;
		pthread_mutex_unlock(&d->s->lock);
		term_input_ready(d->t);
		usleep(200);
	}
	return NULL;
}

TEST(term_backpressure_loses_no_input)
{
	static u8 data[BP_BYTES];
	struct drainer d = { 0 };
	struct sink s;
	pthread_t th;
	int in[2];

	for (int i = 0; i < BP_BYTES; i++)
		data[i] = 'a' + i % 26;	/* no C-a in there */
	sink_init(&s);
	s.limited = true;
	TEST_ASSERT(!pipe(in), "pipe");
	d.s = &s;
	d.t = term_open(in[0], -1, &sink_ops, &s);
	TEST_ASSERT(d.t, "term_open");
	TEST_ASSERT_EQ(write(in[1], data, BP_BYTES), BP_BYTES);
	pthread_create(&th, NULL, drainer_thread, &d);
	TEST_ASSERT(sink_wait(&s, BP_BYTES), "got %zu bytes", sink_len(&s));
	atomic_store(&d.stop, true);
	pthread_join(th, NULL);
	term_close(d.t);
	TEST_ASSERT_EQ(s.len, BP_BYTES);
	TEST_ASSERT(!memcmp(s.buf, data, BP_BYTES), "input reordered");
	close(in[0]);
	close(in[1]);
}

TEST(term_output_is_batched)
{
	struct term_stats st;
	struct sink s;
	struct term *t;
	u8 buf[1000];
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(out), "pipe");
	t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	for (int i = 0; i < 1000; i++) {
		u8 c = '0' + i % 10;

		term_write(t, &c, 1);	/* one byte per guest exit */
	}
	TEST_ASSERT_EQ(get(out[0], buf, sizeof(buf)), sizeof(buf));
	/* the counters are updated just after write(2) returns */
	for (int i = 0; i < 5000; i++) {
		term_get_stats(t, &st);
		if (st.out_bytes == sizeof(buf))
			break;
		usleep(1000);
	}
	term_close(t);
	for (int i = 0; i < 1000; i++)
		TEST_ASSERT_EQ(buf[i], '0' + i % 10);
	TEST_ASSERT(st.out_writes <= 10, "%llu writes for 1000 bytes",
		    (unsigned long long)st.out_writes);
	TEST_ASSERT_EQ(st.out_bytes, 1000);
	close(out[0]);
	close(out[1]);
}

TEST(term_close_flushes_pending_output)
{
	struct sink s;
	struct term *t;
	u8 buf[16] = { 0 };
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(out), "pipe");
	t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	term_write(t, (const u8 *)"bye", 3);
	term_close(t);
	TEST_ASSERT_EQ(get(out[0], buf, 3), 3);
	TEST_ASSERT(!memcmp(buf, "bye", 3), "'%s'", buf);
	close(out[0]);
	close(out[1]);
}

#define SLOW_BYTES (1024 * 1024)

struct slow_writer {
	struct term *t;
	atomic_bool done;
};

static void *slow_writer_thread(void *arg)
{
	struct slow_writer *w = arg;
	u8 chunk[100];

	for (size_t off = 0; off < SLOW_BYTES; off += sizeof(chunk)) {
		size_t n = MIN(sizeof(chunk), SLOW_BYTES - off);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (off + i) % 251;
		term_write(w->t, chunk, n);
	}
	atomic_store(&w->done, true);
	return NULL;
}

/* A stalled reader blocks the writer; nothing is dropped. */
TEST(term_slow_reader_blocks_writer_loses_nothing)
{
	static u8 buf[SLOW_BYTES];
	struct slow_writer w = { 0 };
	struct term_stats st;
	struct sink s;
	pthread_t th;
	size_t got;
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, out), "socketpair");
	w.t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(w.t, "term_open");
	pthread_create(&th, NULL, slow_writer_thread, &w);
	usleep(100000);
	TEST_ASSERT(!atomic_load(&w.done), "1 MiB fit without a reader?");
	got = get(out[0], buf, SLOW_BYTES);
	pthread_join(th, NULL);
	term_get_stats(w.t, &st);
	term_close(w.t);
	TEST_ASSERT_EQ(got, SLOW_BYTES);
	for (size_t i = 0; i < SLOW_BYTES; i++)
		TEST_ASSERT_EQ(buf[i], i % 251);
	TEST_ASSERT_EQ(st.out_dropped, 0);
	close(out[0]);
	close(out[1]);
}

/* C-a x must work while the guest floods a terminal that stopped reading. */
TEST(term_quit_works_while_output_is_stuck)
{
	static u8 buf[SLOW_BYTES];
	struct slow_writer w = { 0 };
	struct sink s;
	pthread_t th;
	int in[2], out[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	TEST_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, out), "socketpair");
	w.t = term_open(in[0], out[1], &sink_ops, &s);
	TEST_ASSERT(w.t, "term_open");
	pthread_create(&th, NULL, slow_writer_thread, &w);
	usleep(50000);
	put(in[1], "\x01h\x01x");
	TEST_ASSERT(quits_wait(&s, 1), "no quit while output blocked");
	TEST_ASSERT(!atomic_load(&w.done), "writer finished?");
	/* unblock, so that term_close() can flush */
	TEST_ASSERT_EQ(get(out[0], buf, SLOW_BYTES), SLOW_BYTES);
	pthread_join(th, NULL);
	term_close(w.t);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

TEST(term_broken_output_does_not_block_writers)
{
	static u8 chunk[4096];
	struct term_stats st;
	struct sink s;
	struct term *t;
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(out), "pipe");
	close(out[0]);		/* EPIPE, and no SIGPIPE kills us */
	t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	for (int i = 0; i < 100; i++)
		term_write(t, chunk, sizeof(chunk));
	usleep(20000);
	term_get_stats(t, &st);
	term_close(t);
	TEST_ASSERT_EQ(st.out_bytes, 0);
	TEST_ASSERT(st.out_dropped > 0, "dropped %llu",
		    (unsigned long long)st.out_dropped);
	close(out[1]);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * A stop must not wait for a reader that never comes: once the VM is
 * stopping, a writer blocked on a full buffer returns (the rest is dropped
 * and counted), and term_close() gives up on the stuck fd.
 */
TEST(term_stop_unblocks_writers_and_close_of_a_stuck_fd)
{
	struct slow_writer w = { 0 };
	struct term_stats st;
	struct sink s;
	pthread_t th;
	long long t0, unblock_ms, close_ms;
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, out), "socketpair");
	w.t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(w.t, "term_open");
	pthread_create(&th, NULL, slow_writer_thread, &w);
	usleep(100000);
	TEST_ASSERT(!atomic_load(&w.done), "1 MiB fit without a reader?");
	t0 = mono_ms();
	term_output_block(w.t, false);
	pthread_join(th, NULL);
	unblock_ms = mono_ms() - t0;
	term_get_stats(w.t, &st);
	t0 = mono_ms();
	term_close(w.t);	/* nobody reads out[0]: it must still return */
	close_ms = mono_ms() - t0;
	close(out[0]);
	close(out[1]);
	TEST_ASSERT(unblock_ms < 100, "writer still blocked %lld ms after the stop", unblock_ms);
	TEST_ASSERT(st.out_dropped > 0, "nothing dropped: the writer cannot have finished");
	TEST_ASSERT(close_ms < 2000, "term_close took %lld ms on a stuck fd", close_ms);
}

/* A log line must not hang on a stuck terminal: one bounded wait, then none. */
TEST(term_flush_gives_up_on_a_stuck_fd)
{
	static u8 chunk[64 * 1024];
	struct sink s;
	struct term *t;
	long long t0, first_ms, second_ms;
	int out[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(out), "pipe");	/* 64 KiB, never read */
	t = term_open(-1, out[1], &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	term_output_block(t, false);
	/* one 64 KiB fills the pipe, one blocks the output thread, one waits */
	for (int i = 0; i < 3; i++) {
		term_write(t, chunk, sizeof(chunk));
		usleep(20000);
	}
	t0 = mono_ms();
	term_flush(t);
	first_ms = mono_ms() - t0;
	t0 = mono_ms();
	term_flush(t);
	second_ms = mono_ms() - t0;
	term_close(t);
	close(out[0]);
	close(out[1]);
	TEST_ASSERT(first_ms >= 400 && first_ms < 2000, "first flush %lld ms", first_ms);
	TEST_ASSERT(second_ms < 50, "second flush waited again: %lld ms", second_ms);
}

static int open_pty(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : 0;
}

static bool termios_equal(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

TEST(term_tty_is_raw_then_restored)
{
	struct termios orig, raw, after;
	struct sink s;
	struct term *t;
	int master, slave;
	u8 buf[8];

	sink_init(&s);
	TEST_ASSERT(!open_pty(&master, &slave), "pty: %s", strerror(errno));
	tcgetattr(slave, &orig);
	TEST_ASSERT(orig.c_lflag & ICANON, "pty starts cooked");

	t = term_open(slave, slave, &sink_ops, &s);
	TEST_ASSERT(t, "term_open");
	tcgetattr(slave, &raw);
	TEST_ASSERT(!(raw.c_lflag & (ICANON | ECHO | ISIG | IEXTEN)),
		    "lflag %#x", raw.c_lflag);
	TEST_ASSERT(!(raw.c_iflag & (ICRNL | IXON | ISTRIP)),
		    "iflag %#x", raw.c_iflag);
	TEST_ASSERT_EQ(raw.c_cflag & CSIZE, CS8);
	TEST_ASSERT_EQ(raw.c_oflag, orig.c_oflag);

	/* raw: no line buffering, CR stays CR, ^C is a byte, no echo */
	put(master, "a\r\x03");
	TEST_ASSERT(sink_wait(&s, 3), "got %zu bytes", sink_len(&s));
	TEST_ASSERT(!memcmp(s.buf, "a\r\x03", 3), "bytes differ");
	term_write(t, (const u8 *)"ok", 2);
	TEST_ASSERT_EQ(get(master, buf, 2), 2);
	TEST_ASSERT(!memcmp(buf, "ok", 2), "echoed input?");

	/* what the main program's signal handler does */
	term_restore();
	tcgetattr(slave, &after);
	TEST_ASSERT(termios_equal(&after, &orig), "term_restore");

	term_close(t);
	tcgetattr(slave, &after);
	TEST_ASSERT(termios_equal(&after, &orig), "term_close");
	close(slave);
	close(master);
}

TEST(term_close_leaks_no_threads_or_fds)
{
	int fds, threads, in[2], out[2];
	struct sink s;

	sink_init(&s);
	TEST_ASSERT(!pipe(in) && !pipe(out), "pipe");
	fds = count_dir("/proc/self/fd");
	threads = count_dir("/proc/self/task");
	for (int i = 0; i < 20; i++) {
		struct term *t = term_open(in[0], out[1], &sink_ops, &s);

		TEST_ASSERT(t, "term_open");
		term_write(t, (const u8 *)"x", 1);
		term_close(t);
	}
	TEST_ASSERT_EQ(count_dir("/proc/self/fd"), fds);
	TEST_ASSERT_EQ(count_dir("/proc/self/task"), threads);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

/*
 * 1 MiB written while the VM runs to a socket nobody reads: how long the
 * writer took, and what the terminal counted.
 */
static long long write_mib_to_nobody(const struct term_ops *ops, struct term_stats *st)
{
	struct slow_writer w = { 0 };
	struct sink s;
	pthread_t th;
	long long t0, ms;
	int out[2];

	sink_init(&s);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, out))
		return -1;
	w.t = term_open(-1, out[1], ops, &s);
	if (!w.t)
		return -1;
	term_output_block(w.t, true);	/* what vm_run() does */
	t0 = mono_ms();
	pthread_create(&th, NULL, slow_writer_thread, &w);
	pthread_join(th, NULL);
	ms = mono_ms() - t0;
	term_get_stats(w.t, st);
	term_output_block(w.t, false);
	term_close(w.t);
	close(out[0]);
	close(out[1]);
	return ms;
}

/* TERM_LOSSY (a pty or socket console): nobody reading never holds a writer. */
TEST(term_lossy_never_blocks_a_writer)
{
	static const struct term_ops lossy_ops = { .input = sink_input, .quit = sink_quit,
						   .flags = TERM_LOSSY };
	struct term_stats st;
	long long ms = write_mib_to_nobody(&lossy_ops, &st);

	TEST_ASSERT(ms >= 0, "set-up");
	TEST_ASSERT(ms < 1000, "1 MiB to nobody took %lld ms", ms);
	TEST_ASSERT(st.out_dropped > 0, "nothing dropped, yet nobody read");
}

/* TERM_NO_ESCAPE: C-a x is two bytes for the guest, not a quit. */
TEST(term_no_escape_passes_ctrl_a_through)
{
	static const struct term_ops raw_ops = { .input = sink_input, .quit = sink_quit,
						 .flags = TERM_NO_ESCAPE };
	struct sink s;
	struct term *t;
	int in[2];

	sink_init(&s);
	TEST_ASSERT(!pipe(in), "pipe");
	t = term_open(in[0], -1, &raw_ops, &s);
	TEST_ASSERT(t, "term_open");
	put(in[1], "a\x01xb");
	TEST_ASSERT(sink_wait(&s, 4), "got %zu bytes", sink_len(&s));
	term_close(t);
	TEST_ASSERT_EQ(s.quits, 0);
	TEST_ASSERT(!memcmp(s.buf, "a\x01xb", 4), "'%.4s'", s.buf);
	close(in[0]);
	close(in[1]);
}

/*
 * A reader that takes nothing at all (a pipe nobody reads) holds a writer
 * only TERM_STALL_MS, then costs output instead of the guest's progress.
 */
TEST(term_stuck_reader_costs_output_not_progress)
{
	struct term_stats st;
	long long ms = write_mib_to_nobody(&sink_ops, &st);

	TEST_ASSERT(ms >= TERM_STALL_MS - 50, "the writer gave up after %lld ms", ms);
	TEST_ASSERT(ms < 4 * TERM_STALL_MS, "1 MiB to a stuck reader took %lld ms", ms);
	TEST_ASSERT(st.out_dropped > 0, "nothing dropped, yet nobody read");
}
