/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FIRMWARE_AML_H
#define VMM_FIRMWARE_AML_H

/*
 * A small ACPI Machine Language encoder (ACPI 6.x chapter 20), internal to
 * firmware/. It appends byte code to a caller-supplied buffer. Errors are
 * sticky: after the first one (-ENOSPC, -EINVAL) every call does nothing and
 * aml_finish() reports it, so callers emit a whole block and check once.
 *
 * Objects with a PkgLength (Scope, Device, Package, Buffer) are written as
 * aml_*_begin() ... aml_end(); the length is encoded when the end is known.
 * Names are ASL-style paths: "\\_SB", "COM1", "\\_SB.PCI0", "^FOO".
 */
#include "util/types.h"

#define AML_MAX_DEPTH	8

struct aml {
	u8 *buf;
	size_t size;
	size_t len;
	int err;
	int depth;
	size_t open[AML_MAX_DEPTH];	/* where each open object's body starts */
	bool open_is_buffer[AML_MAX_DEPTH];
};

void aml_init(struct aml *a, void *buf, size_t size);
/* Bytes written, or the first error (also if an object is still open). */
int aml_finish(struct aml *a);

void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_namestring(struct aml *a, const char *path);
/* Integer constant in the shortest encoding (Zero, One, Byte .. QWord). */
void aml_integer(struct aml *a, u64 v);
void aml_string(struct aml *a, const char *s);
/* "PNP0501" compressed to the 32-bit EISA id integer (ASL EisaId()). */
void aml_eisaid(struct aml *a, const char *id);

/* Name(path, <object>): the caller emits the object right after. */
void aml_name(struct aml *a, const char *path);
void aml_name_integer(struct aml *a, const char *path, u64 v);
void aml_name_string(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
/* The caller emits exactly nr_elements data objects, then aml_end(). */
void aml_package_begin(struct aml *a, u8 nr_elements);
void aml_buffer_begin(struct aml *a);
void aml_end(struct aml *a);

/*
 * Resource descriptors (ACPI 6.x 6.4), for the body of a Buffer that is a
 * _CRS ResourceTemplate; aml_res_end() closes the template.
 */
void aml_res_io(struct aml *a, u16 base, u16 len);	/* IO(Decode16) */
void aml_res_irq_noflags(struct aml *a, u8 irq);	/* IRQNoFlags, 0..15 */
void aml_res_mem32_fixed(struct aml *a, bool writable, u32 base, u32 len);
/* Interrupt(ResourceConsumer, level or edge, active high, exclusive) */
void aml_res_interrupt(struct aml *a, bool level, u32 gsi);
/*
 * Address space descriptors a bridge produces for its children (a PCI root's
 * windows): fixed [min, max], positive decode, no translation.
 * WordBusNumber, WordIO (ISA and non-ISA ranges), DWordMemory (read-write).
 */
void aml_res_word_bus(struct aml *a, u16 min, u16 max);
void aml_res_word_io(struct aml *a, u16 min, u16 max);
void aml_res_dword_mem(struct aml *a, bool cacheable, u32 min, u32 max);
void aml_res_end(struct aml *a);

#endif
