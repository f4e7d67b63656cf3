// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue, device side (virtio 1.x, 2.7). The guest writes the
 * rings concurrently with us: every shared field is loaded once (atomic,
 * relaxed) into a local before it is checked, and barriers order the
 * ring index against the entries it publishes (2.7.13 / 2.7.8).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#define VIRTIO_RING_NO_LEGACY
#include <linux/virtio_ring.h>

#include "devices/virtio/virtqueue.h"
#include "kvm/kvm.h"

static inline u16 load16(const void *p)
{
	return le16toh(__atomic_load_n((const u16 *)p, __ATOMIC_RELAXED));
}

static inline void store16(void *p, u16 v)
{
	__atomic_store_n((u16 *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void store32(void *p, u32 v)
{
	__atomic_store_n((u32 *)p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * One descriptor, copied once: memcpy because an indirect table need not
 * be aligned, then a compiler barrier so the checks below see this copy,
 * never a second read of guest memory.
 */
static void desc_read(const struct vring_desc *p, struct vring_desc *d)
{
	memcpy(d, p, sizeof(*d));
	__asm__ __volatile__("" ::: "memory");
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static int virtq_fail(struct virtq *vq, int err, const char *why)
{
	vq->broken = true;
	vq->why = why;
	return err;
}

void virtq_set_broken(struct virtq *vq, const char *why)
{
	virtq_fail(vq, -EINVAL, why);
}

void virtq_init(struct virtq *vq, const struct vm *vm, u16 index, u16 max_size)
{
	void *priv = vq->priv;

	memset(vq, 0, sizeof(*vq));
	vq->vm = vm;
	vq->index = index;
	vq->max_size = max_size;
	vq->size = max_size;
	vq->priv = priv;
}

void virtq_reset(struct virtq *vq)
{
	bool paused = vq->paused;	/* the transport's, not the driver's to reset */

	virtq_init(vq, vq->vm, vq->index, vq->max_size);
	vq->paused = paused;
}

void virtq_set_features(struct virtq *vq, bool indirect, bool event_idx)
{
	vq->indirect = indirect;
	vq->event_idx = event_idx;
}

int virtq_enable(struct virtq *vq)
{
	u64 n = vq->size;

	if (!n || n > vq->max_size || (n & (n - 1)))
		return virtq_fail(vq, -EINVAL, "queue size not a power of 2 <= max");
	/* 2.7: alignment 16 (descriptors), 2 (avail), 4 (used). */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return virtq_fail(vq, -EINVAL, "misaligned ring address");
	/* The sizes include used_event / avail_event, which we may touch. */
	vq->desc = gpa_to_hva(vq->vm, vq->desc_gpa, 16 * n);
	vq->avail = gpa_to_hva(vq->vm, vq->avail_gpa, 6 + 2 * n);
	vq->used = gpa_to_hva(vq->vm, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return virtq_fail(vq, -EFAULT, "ring outside guest RAM");
	}
	vq->last_avail = 0;
	vq->avail_seen = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->why = NULL;
	vq->ready = true;
	return 0;
}

void virtq_disable(struct virtq *vq)
{
	vq->ready = false;
}

static int virtq_add_seg(struct virtq *vq, struct virtq_chain *c,
			 const struct vring_desc *d, bool *seen_write)
{
	bool write = d->flags & VRING_DESC_F_WRITE;
	void *p;

	/* 2.7.4.2: all device-writable descriptors after the readable ones. */
	if (!write && *seen_write)
		return virtq_fail(vq, -EINVAL, "readable descriptor after a writable one");
	*seen_write |= write;
	if (!d->len)
		return 0;
	p = gpa_to_hva(vq->vm, d->addr, d->len);
	if (!p)
		return virtq_fail(vq, -EFAULT, "descriptor buffer outside guest RAM");
	if (c->nr == c->cap)
		return virtq_fail(vq, -E2BIG, "chain has more segments than the device takes");
	c->iov[c->nr].iov_base = p;
	c->iov[c->nr].iov_len = d->len;
	c->nr++;
	if (write) {
		c->in_len += d->len;
	} else {
		c->out_len += d->len;
		c->nr_out++;
	}
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	const struct vring_desc *table;
	struct vring_desc d;
	u32 mask = vq->size - 1, table_n, budget, i;
	bool in_indirect = false, seen_write = false;
	u16 avail_idx, pending;
	int r;

	if (!vq->ready || vq->paused)
		return 0;
	if (vq->broken)
		return -EIO;

	/* 2.7.13.3: acquire: ring entries are read after the idx that covers them. */
	avail_idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	vq->avail_seen = avail_idx;
	pending = avail_idx - vq->last_avail;
	if (!pending)
		return 0;
	if (pending > vq->size)
		return virtq_fail(vq, -EINVAL, "avail idx moved by more than the queue size");
	i = load16(&vq->avail->ring[vq->last_avail & mask]);
	vq->last_avail++;

	c->head = i;
	c->nr = c->nr_out = 0;
	c->out_len = c->in_len = 0;
	if (i >= vq->size)
		return virtq_fail(vq, -EINVAL, "head index out of range");

	table = vq->desc;
	table_n = vq->size;
	/* A chain without a loop visits each descriptor at most once. */
	budget = table_n;
	for (;;) {
		if (!budget--)
			return virtq_fail(vq, -ELOOP, "descriptor chain loops or is too long");
		desc_read(&table[i], &d);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1 */
			if (!vq->indirect)
				return virtq_fail(vq, -EINVAL, "indirect descriptor not negotiated");
			if (in_indirect)
				return virtq_fail(vq, -EINVAL, "indirect table inside an indirect table");
			if (d.flags & VRING_DESC_F_NEXT)
				return virtq_fail(vq, -EINVAL, "indirect descriptor with NEXT");
			if (!d.len || d.len % sizeof(d) ||
			    d.len / sizeof(d) > VIRTQ_INDIRECT_MAX)
				return virtq_fail(vq, -EINVAL, "bad indirect table length");
			table = gpa_to_hva(vq->vm, d.addr, d.len);
			if (!table)
				return virtq_fail(vq, -EFAULT, "indirect table outside guest RAM");
			table_n = d.len / sizeof(d);
			budget = table_n;
			in_indirect = true;
			i = 0;
			continue;
		}

		r = virtq_add_seg(vq, c, &d, &seen_write);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
		if (i >= table_n)
			return virtq_fail(vq, -EINVAL, "next index out of range");
	}
}

void virtq_push(struct virtq *vq, u16 head, u32 len)
{
	struct vring_used_elem *e;

	if (!vq->ready)
		return;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	store32(&e->id, head);
	store32(&e->len, len);
	vq->used_idx++;
	/* 2.7.8.2: release: the element (and the buffer) before the idx. */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtq *vq)
{
	u16 old, new, event;
	bool valid;

	if (!vq->ready)
		return false;
	/* Our used->idx store must be visible before we read the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);

	/* 2.7.10: used_event lives after the avail ring. */
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(&vq->avail->ring[vq->size]);
	return vring_need_event(event, new, old);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->ready || vq->paused)
		return;		/* paused: no bus mastering, no writes to guest memory */
	/* With EVENT_IDX a stale avail_event already suppresses most kicks. */
	if (!vq->event_idx)
		store16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

void virtq_suppress_notify(struct virtq *vq)
{
	if (!vq->ready || vq->paused)
		return;
	/*
	 * With EVENT_IDX, an avail_event the driver has passed asks for no
	 * kick until the index wraps: one just behind what we have taken.
	 */
	if (vq->event_idx)
		store16(&vq->used->ring[vq->size], vq->last_avail - 1);
	else
		store16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

bool virtq_enable_notify(struct virtq *vq)
{
	u16 seen;

	if (!vq->ready || vq->broken || vq->paused)
		return false;
	if (!vq->event_idx) {
		store16(&vq->used->flags, 0);
		/* Publish the wish before looking again, or a kick can be lost. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return load16(&vq->avail->idx) != vq->last_avail;
	}
	/*
	 * avail_event is the avail idx as it is now, not last_avail: a device
	 * that leaves buffers it saw (net rx: too few for the frame it holds)
	 * needs a kick for the next one, and a driver kicks only when its idx
	 * passes avail_event from at or before it (with last_avail there, no
	 * refill after those buffers would ever kick). A buffer published
	 * while we wrote may have been judged by the old value: write again
	 * until the idx holds still across the write.
	 */
	for (unsigned int i = 0; i < 8; i++) {
		seen = load16(&vq->avail->idx);
		store16(&vq->used->ring[vq->size], seen);	/* avail_event */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (load16(&vq->avail->idx) == seen)
			return seen != vq->last_avail;
	}
	return true;	/* a busy driver: pop again, then come back */
}

bool virtq_avail_moved(const struct virtq *vq)
{
	return vq->ready && !vq->broken && !vq->paused &&
	       load16(&vq->avail->idx) != vq->avail_seen;
}

bool virtq_has_avail(const struct virtq *vq)
{
	return vq->ready && !vq->broken && !vq->paused &&
	       load16(&vq->avail->idx) != vq->last_avail;
}

void virtq_dump(const struct virtq *vq, FILE *f)
{
	u16 avail, used, aflags, uflags, aev, uev;
	bool kick, irq;

	fprintf(f, "q%u:", vq->index);
	if (!vq->ready || !vq->avail) {
		fprintf(f, " not ready");
		return;
	}
	avail = load16(&vq->avail->idx);
	used = load16(&vq->used->idx);
	aflags = load16(&vq->avail->flags);
	uflags = load16(&vq->used->flags);
	aev = load16(&vq->used->ring[vq->size]);
	uev = load16(&vq->avail->ring[vq->size]);
	/* What the driver and we decide next (vring_need_event() for one step). */
	kick = vq->event_idx ? aev == avail : !(uflags & VRING_USED_F_NO_NOTIFY);
	irq = vq->event_idx ? uev == vq->used_idx : !(aflags & VRING_AVAIL_F_NO_INTERRUPT);
	fprintf(f, " size=%u avail_idx=%u avail_seen=%u last_avail=%u waiting=%u used_idx=%u"
		" ring_used_idx=%u event_idx=%d", vq->size, avail, vq->avail_seen, vq->last_avail,
		(u16)(avail - vq->last_avail), vq->used_idx, used, vq->event_idx);
	if (vq->event_idx)
		fprintf(f, " avail_event=%u used_event=%u", aev, uev);
	fprintf(f, " avail_flags=0x%x used_flags=0x%x next_kick=%s next_irq=%s", aflags, uflags,
		kick ? "yes" : "no", irq ? "yes" : "no");
	if (vq->paused)
		fprintf(f, " paused");
	if (vq->broken)
		fprintf(f, " broken=\"%s\"", vq->why ? vq->why : "?");
}

/* The one walk both copies share: @to_iov picks the direction. */
static size_t iov_copy(const struct iovec *iov, unsigned int nr, size_t off, u8 *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < nr && done < len; i++) {
		u8 *seg;
		size_t n;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		seg = (u8 *)iov[i].iov_base + off;
		n = MIN(iov[i].iov_len - off, len - done);
		if (to_iov)
			memcpy(seg, buf + done, n);
		else
			memcpy(buf + done, seg, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int nr, size_t off,
		  void *buf, size_t len)
{
	return iov_copy(iov, nr, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int nr, size_t off,
		    const void *buf, size_t len)
{
	return iov_copy(iov, nr, off, (u8 *)buf, len, true);
}

void virtq_unpop(struct virtq *vq, u16 n)
{
	vq->last_avail -= n;
}
