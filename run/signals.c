// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/term.h"
#include "run/api_socket.h"
#include "run/signals.h"
#include "util/types.h"

static const int stop_sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
static int stop_fd = -1;
static atomic_int pending;
static atomic_bool deferring;

/* Async-signal-safe: no stdio, no locks. */
static void stop_signals_exit(int sig)
{
	char msg[] = "vmm: stopped by signal NN\n";
	size_t len = sizeof(msg) - 1;

	term_restore();
	api_socket_cleanup();
	msg[len - 3] = '0' + sig / 10 % 10;
	msg[len - 2] = '0' + sig % 10;
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing left to tell it to */
	}
	_exit(128 + sig);
}

static void stop_signal_handler(int sig)
{
	int none = 0, saved = errno;
	u64 one = 1;

	if (!atomic_load(&deferring) || !atomic_compare_exchange_strong(&pending, &none, sig))
		stop_signals_exit(sig);
	if (write(stop_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already readable */
	}
	errno = saved;
}

int stop_signals_init(void)
{
	struct sigaction sa = { .sa_handler = stop_signal_handler }, old;
	sigset_t set;

	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stop_fd < 0)
		return -errno;
	/* Any thread may take them; the handler neither blocks nor longjmps. */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(stop_sigs); i++) {
		if (sigaction(stop_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;	/* nohup: the parent's choice stands */
		sigaction(stop_sigs[i], &sa, NULL);
		sigaddset(&set, stop_sigs[i]);
	}
	/* An earlier program may have left them blocked. */
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

int stop_signals_fd(void)
{
	return stop_fd;
}

int stop_signals_pending(void)
{
	return atomic_load(&pending);
}

void stop_signals_defer(bool defer)
{
	atomic_store(&deferring, defer);
}
