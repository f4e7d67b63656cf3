/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_TERM_H
#define VMM_DEVICES_TERM_H

#include "util/types.h"

/*
 * The host terminal behind the guest console.
 *
 * Input: a thread reads in_fd, handles the escape key and hands the rest to
 * ops->input. What the guest side does not accept is kept and offered
 * again (after term_input_ready(), or within TERM_INPUT_RETRY_MS), so no
 * input is lost. EOF on in_fd ends input; it does not quit.
 *
 * Escape key Ctrl-A, whether or not in_fd is a tty:
 *	C-a x	ops->quit()
 *	C-a h	print a help line (also C-a ?)
 *	C-a C-a	send one C-a
 *	C-a <c>	anything else: both bytes are sent, nothing is swallowed
 *
 * Output: term_write() appends to a 64 KiB buffer; an output thread writes
 * it out ~1 ms after the first byte (sooner past 4 KiB), so one byte per
 * guest exit does not mean one write(2) per byte. When the buffer is full
 * term_write() waits for room while out_fd takes bytes (a slow reader
 * loses nothing); once out_fd has taken nothing for TERM_STALL_MS (a pipe
 * nobody reads, a tty stopped by XOFF) writers drop what does not fit,
 * counted and said once, until it moves again: a stuck reader costs
 * output, never the guest's progress. out_fd failing for good (EPIPE,
 * EIO ...) is logged once. Once the VM is stopping
 * (term_output_block(false)) writers never wait at all.
 * term_flush() and term_close() wait for out_fd only while it moves: after
 * TERM_STALL_MS without a byte written they give up.
 *
 * If in_fd is a tty it goes to raw mode until term_close(), exit() or
 * term_restore().
 *
 * TERM_LOSSY: writers never wait, even while the VM runs; what does not
 * fit is dropped and counted, and said once (for a console nobody may be
 * reading: a pty, a socket). TERM_NO_ESCAPE: no escape key.
 */

#define TERM_ESCAPE		0x01	/* Ctrl-A */
#define TERM_INPUT_RETRY_MS	10
#define TERM_STALL_MS		500	/* no byte taken this long: the reader is stuck */

struct term;

/* term_ops.flags */
#define TERM_NO_ESCAPE	(1u << 0)	/* C-a is just a byte (a pty or socket console) */
#define TERM_LOSSY	(1u << 1)	/* writers never wait: a slow reader costs output */

struct term_ops {
	/* Returns how many bytes were accepted; called on the input thread. */
	size_t (*input)(void *opaque, const u8 *buf, size_t len);
	/* C-a x, on the input thread; must not call term_close() itself. */
	void (*quit)(void *opaque);
	unsigned int flags;
};

/*
 * Starts the input and output threads. in_fd < 0: no input; out_fd < 0:
 * output is discarded. The fds stay owned by the caller (term_close() does
 * not close them). Returns NULL with errno set on failure.
 */
struct term *term_open(int in_fd, int out_fd, const struct term_ops *ops,
		       void *opaque);
/* Output from the guest; any thread. May block while the buffer is full. */
void term_write(struct term *t, const u8 *buf, size_t len);
/* true while the VM runs: writers wait for room; false: they drop. */
void term_output_block(struct term *t, bool on);
/* The guest side has room again: retry held-back input now. Any thread. */
void term_input_ready(struct term *t);
/* Wait until everything written so far has reached out_fd (or it stalls). */
void term_flush(struct term *t);
/*
 * Stops input, writes out all pending output (unless out_fd stalls),
 * restores the tty and joins both threads. Writers must have stopped
 * calling term_write().
 */
void term_close(struct term *t);
/* Async-signal-safe: put every tty we changed back as it was. */
void term_restore(void);

struct term_stats {
	u64 out_writes;		/* write(2) calls that moved output */
	u64 out_bytes;
	u64 out_dropped;	/* lost: out_fd failed, or stalled at a stop */
};

void term_get_stats(struct term *t, struct term_stats *st);

#endif
