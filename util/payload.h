/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_PAYLOAD_H
#define VMM_UTIL_PAYLOAD_H

/*
 * Host-side decompression of a compressed ELF: a bzImage payload (the
 * vmlinux, so the guest does not spend its slow ring-0 time inflating
 * itself) or a kernel module (.ko.gz, .ko.xz, .ko.zst for --exec).
 */
#include "util/types.h"

/* No real kernel comes close; anything larger is corrupt or hostile. */
#define PAYLOAD_MAX_SIZE	(512 * MiB)

/*
 * "gzip", "xz", "lz4", "zstd", "bzip2", "lzma", "lzo", "none" (a plain ELF)
 * or "unknown", from the magic at the start of @in.
 */
const char *payload_format_name(const u8 *in, size_t len);

/*
 * Decompress @in (a payload as the kernel build writes it: the compressed
 * stream followed by the 32-bit little-endian uncompressed size) into a new
 * malloc'ed buffer *@out of *@out_len bytes, which the caller frees. The
 * output is checked to be an ELF image. Returns 0 or a negative errno with
 * *@why set: -ENOTSUP for formats only the guest can decompress, -ENOEXEC
 * for an unknown format or a non-ELF result, -EINVAL for corrupt or truncated
 * input, -EFBIG beyond PAYLOAD_MAX_SIZE, -ENOMEM.
 */
int payload_decompress(const u8 *in, size_t len, u8 **out, size_t *out_len,
		       const char **why);
/* The same with the output bounded by @max bytes (>= 64 KiB) instead. */
int payload_decompress_max(const u8 *in, size_t len, size_t max, u8 **out, size_t *out_len,
			   const char **why);

#endif
