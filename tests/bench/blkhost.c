// SPDX-License-Identifier: GPL-2.0
/*
 * blkhost FILE [direct]: the host-side baseline for the guest's bench_blk,
 * same patterns by the same mechanism as devices/virtio/blk.c (libaio, on an
 * O_DIRECT fd with `direct`): sequential write then read of 256 MiB in
 * 128 KiB requests with 8 in flight, then 20000 random 4 KiB reads with 32
 * in flight (4 KiB-aligned offsets over the whole file).
 * Prints the guest's BENCH lines with "host" in place of "blk".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* O_DIRECT */
#endif
#include <fcntl.h>
#include <libaio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SEQ_LEN		(128 << 10)
#define SEQ_QD		8
#define SEQ_BYTES	(256ULL << 20)
#define HUGE_PAGE	(2UL << 20)	/* >= SEQ_QD * SEQ_LEN */
#define RAND_N		20000
#define RAND_QD		32

static io_context_t ctx;
static int fd;
static uint8_t *buf;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* @n requests of @len, @qd in flight; returns seconds. */
static double run(int write, size_t len, int qd, uint64_t n, uint64_t nblocks, int random)
{
	struct iocb cbs[64], *p[64];
	struct io_event ev[64];
	uint64_t issued = 0, done = 0;
	int free_slots[64], nfree = qd;
	double t0 = now();

	for (int i = 0; i < qd; i++)
		free_slots[i] = i;
	while (done < n) {
		int k = 0;

		while (issued < n && nfree) {
			int s = free_slots[--nfree];
			long long off = (long long)(random ? xorshift64() % nblocks : issued) * len;

			if (write)
				io_prep_pwrite(&cbs[s], fd, buf + (size_t)s * len, len, off);
			else
				io_prep_pread(&cbs[s], fd, buf + (size_t)s * len, len, off);
			cbs[s].data = (void *)(intptr_t)s;
			p[k++] = &cbs[s];
			issued++;
		}
		if (k && io_submit(ctx, k, p) != k) {
			fprintf(stderr, "blkhost: io_submit failed\n");
			exit(1);
		}
		int r = io_getevents(ctx, 1, 64, ev, NULL);

		if (r < 0) {
			fprintf(stderr, "blkhost: io_getevents: %s\n", strerror(-r));
			exit(1);
		}
		for (int i = 0; i < r; i++) {
			if ((long)ev[i].res != (long)len) {
				fprintf(stderr, "blkhost: request returned %ld\n", (long)ev[i].res);
				exit(1);
			}
			free_slots[nfree++] = (int)(intptr_t)ev[i].data;
			done++;
		}
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	int direct = argc > 2 && !strcmp(argv[2], "direct");
	off_t size;
	uint64_t seq_n;
	double t;

	if (argc < 2) {
		fprintf(stderr, "usage: blkhost FILE [direct]\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | (direct ? O_DIRECT : 0));
	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0) {
		perror(argv[1]);
		return 1;
	}
	/*
	 * A transparent huge page, as vmm gives guest RAM: the same page size
	 * on both sides, so O_DIRECT pins and maps the same number of pages.
	 */
	if (posix_memalign((void **)&buf, HUGE_PAGE, HUGE_PAGE) || io_setup(256, &ctx) < 0) {
		fprintf(stderr, "blkhost: no memory or io_setup failed\n");
		return 1;
	}
	madvise(buf, HUGE_PAGE, MADV_HUGEPAGE);
	for (size_t i = 0; i < SEQ_QD * SEQ_LEN; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	seq_n = SEQ_BYTES / SEQ_LEN;
	if (seq_n > (uint64_t)size / SEQ_LEN)
		seq_n = size / SEQ_LEN;
	t = run(1, SEQ_LEN, SEQ_QD, seq_n, 0, 0);
	printf("BENCH host seq_write MBps=%.0f\n", seq_n * SEQ_LEN / t / 1e6);
	t = run(0, SEQ_LEN, SEQ_QD, seq_n, 0, 0);
	printf("BENCH host seq_read MBps=%.0f\n", seq_n * SEQ_LEN / t / 1e6);
	t = run(0, 4096, RAND_QD, RAND_N, size / 4096, 1);
	printf("BENCH host rand_read_4k iops=%.0f qd=%d\n", RAND_N / t, RAND_QD);
	return 0;
}
