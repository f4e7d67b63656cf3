// SPDX-License-Identifier: GPL-2.0
/*
 * Host terminal: raw mode, escape key, batched output (see term.h).
 *
 * Two threads, so that neither direction can stall the other: the input
 * thread must still see C-a x while out_fd is blocked, and the output
 * thread must keep draining while ops->input waits for a device lock held
 * by a vcpu that is itself blocked in term_write().
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/term.h"
#include "util/clock.h"
#include "util/kick.h"
#include "util/log.h"
#include "util/thread.h"

#define TERM_IN_BUF		4096
#define TERM_OUT_BUF		(64 * 1024)
#define TERM_OUT_HIWAT		4096	/* flush now, don't wait the delay */
#define TERM_OUT_DELAY_NS	1000000	/* let one-byte writes gather */

static const char term_help[] =
	"\r\nC-a x  exit    C-a h  help    C-a C-a  send C-a\r\n";

struct term {
	int in_fd;
	int out_fd;
	struct term_ops ops;
	void *opaque;
	int tty_slot;			/* -1: in_fd is not a tty we changed */

	int evfd;			/* wakes the input thread */
	atomic_bool stop;
	atomic_bool want_space;		/* input held back, waiting for room */
	pthread_t in_thread;
	pthread_t out_thread;

	/* input thread only */
	bool in_eof;
	bool got_escape;
	size_t pend_len;
	u8 pend[TERM_IN_BUF];

	/* output: all under out_lock */
	pthread_mutex_t out_lock;
	pthread_cond_t out_ready;	/* to the output thread */
	pthread_cond_t out_space;	/* to blocked writers */
	u8 *out_buf;			/* writers fill this one */
	u8 *out_spare;			/* the output thread writes this one */
	size_t out_len;
	bool closing;
	bool out_done;			/* the output thread has finished */
	bool out_block;			/* writers wait for room (else drop) */
	bool out_stalled;		/* a flush gave up; cleared by progress */
	int flushers;			/* term_flush() callers waiting */
	bool out_broken;
	bool lossy_warned;		/* the first drop while the VM runs was logged */
	struct term_stats stats;
	/* the output thread's write(2) progress, read without out_lock */
	atomic_ullong out_progress;
	atomic_bool out_abandon;	/* give up writing: vmm is exiting */
};

/*
 * Saved tty state, read by term_restore() from signal handlers: a slot is
 * filled before it is marked active, so a handler never sees half of one.
 */
#define TERM_MAX_TTYS 4

static struct {
	atomic_int active;
	int fd;
	struct termios saved;
} term_ttys[TERM_MAX_TTYS];

static pthread_mutex_t term_ttys_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t term_atexit_once = PTHREAD_ONCE_INIT;

void term_restore(void)
{
	int saved_errno = errno;

	for (int i = 0; i < TERM_MAX_TTYS; i++) {
		if (atomic_load(&term_ttys[i].active))
			tcsetattr(term_ttys[i].fd, TCSANOW, &term_ttys[i].saved);
	}
	errno = saved_errno;
}

static void term_atexit_register(void)
{
	atexit(term_restore);
}

/*
 * Raw input like cfmakeraw(): no echo, no line editing, no signals from
 * ^C/^Z (they belong to the guest), no CR/NL mapping, no XON/XOFF, 8 bits.
 * Output processing is left as it was (OPOST on, normally), as QEMU,
 * kvmtool and Firecracker do: a guest that sends \r\n gets an invisible
 * extra \r, one that sends a bare \n does not staircase.
 */
static int term_raw_enter(int fd)
{
	struct termios saved, raw;
	int slot = -1, err;

	if (tcgetattr(fd, &saved) < 0)
		return -errno;

	pthread_mutex_lock(&term_ttys_lock);
	for (int i = 0; i < TERM_MAX_TTYS; i++) {
		if (!atomic_load(&term_ttys[i].active)) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		pthread_mutex_unlock(&term_ttys_lock);
		return -ENOSPC;
	}
	term_ttys[slot].fd = fd;
	term_ttys[slot].saved = saved;
	atomic_store(&term_ttys[slot].active, 1);
	pthread_mutex_unlock(&term_ttys_lock);
	pthread_once(&term_atexit_once, term_atexit_register);

	raw = saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		err = -errno;
		atomic_store(&term_ttys[slot].active, 0);
		return err;
	}
	return slot;
}

static void term_raw_leave(int slot)
{
	if (slot < 0)
		return;
	tcsetattr(term_ttys[slot].fd, TCSANOW, &term_ttys[slot].saved);
	atomic_store(&term_ttys[slot].active, 0);
}

/* --- output --- */

/* Blocks while out_fd does; term_close() kicks it out (out_abandon). */
static int term_write_all(struct term *t, const u8 *buf, size_t len, u64 *nr_writes)
{
	while (len) {
		ssize_t n;

		if (atomic_load(&t->out_abandon))
			return -ECANCELED;
		n = write(t->out_fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* someone made the fd non-blocking: wait */
				struct pollfd pfd = { .fd = t->out_fd, .events = POLLOUT };

				poll(&pfd, 1, 100);
				continue;
			}
			return -errno;
		}
		(*nr_writes)++;
		atomic_fetch_add(&t->out_progress, n);
		buf += n;
		len -= n;
	}
	return 0;
}


static void *term_output_thread(void *arg)
{
	struct term *t = arg;
	struct timespec deadline;
	bool broken;
	size_t len;
	u8 *buf;
	u64 nr_writes;
	int err;

	pthread_mutex_lock(&t->out_lock);
	for (;;) {
		while (!t->out_len && !t->closing)
			pthread_cond_wait(&t->out_ready, &t->out_lock);
		if (!t->out_len)
			break;		/* closing, and all written */

		deadline = clock_timespec(clock_now_ns() + TERM_OUT_DELAY_NS);
		while (!t->closing && !t->flushers && t->out_len < TERM_OUT_HIWAT &&
		       pthread_cond_timedwait(&t->out_ready, &t->out_lock,
					      &deadline) != ETIMEDOUT)
			;

		/* swap buffers: writers go on filling the other one */
		buf = t->out_buf;
		len = t->out_len;
		t->out_buf = t->out_spare;
		t->out_spare = NULL;
		t->out_len = 0;
		broken = t->out_broken;
		pthread_cond_broadcast(&t->out_space);
		pthread_mutex_unlock(&t->out_lock);

		nr_writes = 0;
		err = broken ? -EPIPE : term_write_all(t, buf, len, &nr_writes);

		pthread_mutex_lock(&t->out_lock);
		t->out_spare = buf;
		if (t->flushers)
			pthread_cond_broadcast(&t->out_space);
		t->stats.out_writes += nr_writes;
		if (err == -ECANCELED) {
			t->stats.out_dropped += len + t->out_len;
			t->out_len = 0;
			break;
		} else if (err) {
			if (!t->out_broken)
				log_warn("console output: %s; discarding it",
					 strerror(-err));
			t->out_broken = true;
			t->stats.out_dropped += len;
		} else {
			t->stats.out_bytes += len;
			t->out_stalled = false;
		}
	}
	t->out_done = true;
	pthread_cond_broadcast(&t->out_space);
	pthread_mutex_unlock(&t->out_lock);
	return NULL;
}

static bool term_wait_progress(struct term *t, bool (*done)(struct term *t));

/* A blocked writer may go on: there is room, or it must not wait any more. */
static bool term_has_room(struct term *t)
{
	return t->out_len < TERM_OUT_BUF || t->out_done || !t->out_block;
}

/*
 * @wait false: give up rather than block (output stuck, buffer full).
 * Blocking waits only while out_fd moves: a reader that takes nothing for
 * TERM_STALL_MS costs output (until it moves again), not the guest's
 * progress.
 */
static void term_append(struct term *t, const u8 *buf, size_t len, bool wait)
{
	size_t room, n, was;
	bool warn = false, stalled = false;

	if (t->out_fd < 0)
		return;

	pthread_mutex_lock(&t->out_lock);
	while (len) {
		room = TERM_OUT_BUF - t->out_len;
		if (!room) {
			if (!wait || !t->out_block || t->out_done || t->out_stalled) {
				/*
				 * Said once (after the unlock): a lossy console, or a
				 * reader stuck while the VM runs.
				 */
				stalled = t->out_stalled && t->out_block;
				warn = ((t->ops.flags & TERM_LOSSY) || stalled) && !t->lossy_warned;
				t->lossy_warned |= warn;
				t->stats.out_dropped += len;
				break;
			}
			/* backpressure while the reader moves; see above */
			if (!term_wait_progress(t, term_has_room))
				t->out_stalled = true;
			continue;
		}
		n = MIN(room, len);
		was = t->out_len;
		memcpy(t->out_buf + was, buf, n);
		t->out_len += n;
		if (!was || (was < TERM_OUT_HIWAT && t->out_len >= TERM_OUT_HIWAT))
			pthread_cond_signal(&t->out_ready);
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&t->out_lock);
	if (warn && stalled)
		log_warn("console output: nothing read for %d ms; dropping output while its"
			 " reader is stuck (the guest runs on)", TERM_STALL_MS);
	else if (warn)
		log_warn("console output: its reader is too slow or absent; dropping what"
			 " does not fit (%u KiB kept)", TERM_OUT_BUF / 1024);
}

void term_write(struct term *t, const u8 *buf, size_t len)
{
	term_append(t, buf, len, true);
}

void term_output_block(struct term *t, bool on)
{
	pthread_mutex_lock(&t->out_lock);
	t->out_block = on && !(t->ops.flags & TERM_LOSSY);
	if (!on)
		pthread_cond_broadcast(&t->out_space);	/* waiting writers give up */
	pthread_mutex_unlock(&t->out_lock);
}

/*
 * Wait under out_lock until @done(t) or until out_fd has moved no byte for
 * TERM_STALL_MS. Returns false on a stall.
 */
static bool term_wait_progress(struct term *t, bool (*done)(struct term *t))
{
	unsigned long long seen = atomic_load(&t->out_progress);
	s64 last = clock_now_ms(), now;
	struct timespec until;

	while (!done(t)) {
		until = clock_timespec(clock_now_ns() + 10 * 1000000ULL);
		pthread_cond_timedwait(&t->out_space, &t->out_lock, &until);
		now = clock_now_ms();
		if (atomic_load(&t->out_progress) != seen) {
			seen = atomic_load(&t->out_progress);
			last = now;
		} else if (now - last >= TERM_STALL_MS) {
			return false;
		}
	}
	return true;
}

static bool term_flushed(struct term *t)
{
	/* out_spare is NULL while the output thread is writing it */
	return (!t->out_len && t->out_spare) || t->out_broken || t->out_done;
}

void term_flush(struct term *t)
{
	/* The output thread logs its own errors: it must not wait for itself. */
	if (t->out_fd < 0 || pthread_equal(pthread_self(), t->out_thread))
		return;
	pthread_mutex_lock(&t->out_lock);
	/* A stuck out_fd is waited for once, not again by every log line. */
	if (!t->out_stalled) {
		t->flushers++;
		pthread_cond_signal(&t->out_ready);
		if (!term_wait_progress(t, term_flushed))
			t->out_stalled = true;
		t->flushers--;
	}
	pthread_mutex_unlock(&t->out_lock);
}

void term_get_stats(struct term *t, struct term_stats *st)
{
	pthread_mutex_lock(&t->out_lock);
	*st = t->stats;
	pthread_mutex_unlock(&t->out_lock);
}

/* --- input --- */

static void term_pend(struct term *t, u8 c)
{
	t->pend[t->pend_len++] = c;
}

/* Escape handling; the caller leaves room for len + 1 bytes in pend. */
static void term_filter(struct term *t, const u8 *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		u8 c = buf[i];

		if (!t->got_escape) {
			if (c == TERM_ESCAPE && !(t->ops.flags & TERM_NO_ESCAPE))
				t->got_escape = true;
			else
				term_pend(t, c);
			continue;
		}
		t->got_escape = false;
		switch (c) {
		case 'x':
			if (t->ops.quit)
				t->ops.quit(t->opaque);
			break;
		case 'h':
		case '?':
			/* never block here: C-a x must still get through */
			term_append(t, (const u8 *)term_help,
				    sizeof(term_help) - 1, false);
			break;
		case TERM_ESCAPE:
			term_pend(t, c);
			break;
		default:
			/* not a command: pass both through */
			term_pend(t, TERM_ESCAPE);
			term_pend(t, c);
			break;
		}
	}
}

static void term_read_input(struct term *t)
{
	u8 buf[TERM_IN_BUF];
	ssize_t n;

	/* -1: a C-a held from the last read may come out with the next byte */
	n = read(t->in_fd, buf, TERM_IN_BUF - t->pend_len - 1);
	if (n > 0) {
		term_filter(t, buf, n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0)
		log_debug("console input: %s", strerror(errno));
	/* EOF ends input, it does not quit: stdin may be /dev/null in CI */
	t->in_eof = true;
	if (t->got_escape) {
		t->got_escape = false;
		term_pend(t, TERM_ESCAPE);
	}
}

static void term_deliver(struct term *t)
{
	size_t done = 0, n;

	while (done < t->pend_len) {
		n = t->ops.input ? t->ops.input(t->opaque, t->pend + done,
						t->pend_len - done)
				 : t->pend_len - done;
		if (!n)
			break;
		done += MIN(n, t->pend_len - done);
	}
	memmove(t->pend, t->pend + done, t->pend_len - done);
	t->pend_len -= done;
}

static void *term_input_thread(void *arg)
{
	struct term *t = arg;
	struct pollfd pfd[2];
	int nfds, timeout;
	u64 val;

	for (;;) {
		if (t->pend_len) {
			/* before trying, so a term_input_ready() is not missed */
			atomic_store(&t->want_space, true);
			term_deliver(t);
			if (!t->pend_len)
				atomic_store(&t->want_space, false);
		}

		pfd[0] = (struct pollfd){ .fd = t->evfd, .events = POLLIN };
		nfds = 1;
		/* stop reading while held-back input fills the buffer */
		if (!t->in_eof && t->pend_len + 2 <= TERM_IN_BUF) {
			pfd[1] = (struct pollfd){ .fd = t->in_fd, .events = POLLIN };
			nfds = 2;
		}
		/* the guest may free room without telling us: retry, slowly */
		timeout = t->pend_len ? TERM_INPUT_RETRY_MS : -1;

		if (poll(pfd, nfds, timeout) < 0) {
			if (errno != EINTR) {
				log_debug("console poll: %s", strerror(errno));
				t->in_eof = true;
			}
			continue;
		}
		if (atomic_load(&t->stop))
			break;
		if (pfd[0].revents & POLLIN) {
			if (read(t->evfd, &val, sizeof(val)) < 0 && errno != EAGAIN)
				log_debug("console eventfd: %s", strerror(errno));
		}
		if (nfds == 2 && pfd[1].revents)
			term_read_input(t);
	}
	return NULL;
}

void term_input_ready(struct term *t)
{
	u64 one = 1;

	if (atomic_exchange(&t->want_space, false)) {
		if (write(t->evfd, &one, sizeof(one)) < 0)
			log_debug("console eventfd: %s", strerror(errno));
	}
}

/* --- open / close --- */

static void term_free(struct term *t)
{
	if (t->evfd >= 0)
		close(t->evfd);
	pthread_cond_destroy(&t->out_space);
	pthread_cond_destroy(&t->out_ready);
	pthread_mutex_destroy(&t->out_lock);
	free(t->out_buf);
	free(t->out_spare);
	free(t);
}

static bool term_output_done(struct term *t)
{
	return t->out_done;
}

/*
 * Stop the output thread once everything pending is written, or once
 * out_fd has been stuck for TERM_STALL_MS (a pipe nobody reads, a tty held
 * by XOFF): then what is left is dropped, and the thread is kicked out of
 * its write(2) until it answers (a kick may land just before the call).
 */
static void term_stop_output(struct term *t)
{
	pthread_mutex_lock(&t->out_lock);
	t->closing = true;
	pthread_cond_signal(&t->out_ready);
	/* A flush already found it stuck (and nothing moved since): no second wait. */
	if (t->out_stalled || !term_wait_progress(t, term_output_done)) {
		atomic_store(&t->out_abandon, true);
		while (!t->out_done) {
			struct timespec until;

			kick_thread(t->out_thread);
			until = clock_timespec(clock_now_ns() + 10 * 1000000ULL);
			pthread_cond_timedwait(&t->out_space, &t->out_lock, &until);
		}
	}
	pthread_mutex_unlock(&t->out_lock);
	pthread_join(t->out_thread, NULL);
	if (t->stats.out_dropped && !t->out_broken)
		log_warn("console output stalled: %llu bytes not written",
			 (unsigned long long)t->stats.out_dropped);
}

struct term *term_open(int in_fd, int out_fd, const struct term_ops *ops,
		       void *opaque)
{
	pthread_condattr_t cattr;
	struct term *t;
	int err, slot;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->in_fd = in_fd;
	t->out_fd = out_fd;
	t->ops = *ops;
	t->opaque = opaque;
	t->tty_slot = -1;
	t->in_eof = in_fd < 0;
	t->out_block = !(ops->flags & TERM_LOSSY);
	pthread_mutex_init(&t->out_lock, NULL);
	/* the batching delay must not jump with the wall clock */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->out_ready, &cattr);
	pthread_cond_init(&t->out_space, &cattr);
	pthread_condattr_destroy(&cattr);

	t->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->out_buf = malloc(TERM_OUT_BUF);
	t->out_spare = malloc(TERM_OUT_BUF);
	if (t->evfd < 0 || !t->out_buf || !t->out_spare) {
		err = t->evfd < 0 ? errno : ENOMEM;
		goto fail;
	}

	if (in_fd >= 0 && isatty(in_fd)) {
		slot = term_raw_enter(in_fd);
		if (slot < 0) {
			err = -slot;
			goto fail;
		}
		t->tty_slot = slot;
	}

	/*
	 * Our threads take no stop signals (main does), and a write to a
	 * closed pipe fails with EPIPE instead of SIGPIPE. The output thread
	 * can be kicked out of a stuck write(2) (term_stop_output).
	 */
	err = thread_spawn(&t->out_thread, NULL, "term-out", true, term_output_thread, t);
	if (!err) {
		err = thread_spawn(&t->in_thread, NULL, "term-in", false, term_input_thread, t);
		if (err)
			term_stop_output(t);
	}
	if (err)
		goto fail_tty;
	return t;

fail_tty:
	term_raw_leave(t->tty_slot);
fail:
	term_free(t);
	errno = err;
	return NULL;
}

void term_close(struct term *t)
{
	u64 one = 1;

	if (!t)
		return;
	atomic_store(&t->stop, true);
	if (write(t->evfd, &one, sizeof(one)) < 0)
		log_debug("console eventfd: %s", strerror(errno));
	pthread_join(t->in_thread, NULL);
	term_stop_output(t);
	term_raw_leave(t->tty_slot);
	term_free(t);
}
