// SPDX-License-Identifier: GPL-2.0
/*
 * The record stream. Every record (alerts, configuration changes, lost
 * notices) goes to two consumers: the queue behind read() on /dev/c2watch,
 * owned by one reader, and the watcher, the generic netlink multicast
 * (genl.c registers it; nothing else calls across).
 *
 * Producers are the probes (atomic context, any CPU) and configuration
 * ioctls; they serialise on a spinlock and never wait: a record that does not
 * fit is dropped and counted. The single consumer is the reader that owns the
 * device; it copies whole records out without holding the spinlock.
 *
 * Every record, queued or dropped, takes a sequence number, so the stream
 * shows a gap exactly where records were lost, and a C2W_REC_LOST record
 * saying how many is queued at that point as soon as there is room for it
 * (or handed to the reader directly once the queue has drained).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kfifo.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/cred.h>
#include <linux/nsproxy.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "c2watch.h"

struct c2w_queue {
	spinlock_t lock;		/* producers; lost-record state */
	struct mutex read_lock;		/* the consumer side */
	struct kfifo fifo;
	wait_queue_head_t wait;
	u64 next_seq;
	u64 lost_pending;		/* dropped since the last lost record */
	u64 lost_total;
	bool detach;			/* the reader is asked to go */
};

static struct c2w_queue q;

/* The second consumer; set while the netlink family is registered. */
static const struct c2w_watcher __rcu *watcher;

/**
 * c2w_stream_set_watcher() - give every record to @w too, or stop
 * @w: its record() is called for each record, queued or dropped, in any
 *	context (under rcu_read_lock(): it must not sleep); NULL to stop
 *
 * Context: process context; when stopping, returns once no call of the
 * previous watcher is running.
 */
void c2w_stream_set_watcher(const struct c2w_watcher *w)
{
	rcu_assign_pointer(watcher, w);
	if (!w)
		synchronize_rcu();
}

static void to_watcher(const struct c2w_record_hdr *rec)
{
	const struct c2w_watcher *w;

	rcu_read_lock();
	w = rcu_dereference(watcher);
	if (w)
		w->record(rec);
	rcu_read_unlock();
}

static void fill_lost(struct c2w_lost *l)
{
	memset(l, 0, sizeof(*l));
	l->hdr.size = sizeof(*l);
	l->hdr.type = C2W_REC_LOST;
	l->hdr.version = C2W_REC_VERSION;
	l->hdr.seq = q.next_seq++;
	l->hdr.time_ns = ktime_get_real_ns();
	l->lost = q.lost_pending;
	l->total = q.lost_total;
}

/*
 * Queue the pending lost record; the caller checked there is room. Copied
 * to @out so that it can go to netlink once the lock is dropped.
 */
static bool flush_lost(struct c2w_lost *out)
{
	if (!q.lost_pending)
		return false;
	fill_lost(out);
	kfifo_in(&q.fifo, (u8 *)out, sizeof(*out));
	q.lost_pending = 0;
	c2w_count(C2W_ST_RECORDS_QUEUED, 1);
	return true;
}

/**
 * c2w_stream_put() - queue a record for the reader
 * @rec: record with @rec->size and @rec->type set; seq, version and (when
 *	zero) time_ns are filled in here
 *
 * An alert counts against its uid's share of the queue (uidshare.c): past
 * it, it is not queued, nor numbered, but summarised with the uid's other
 * excess.
 *
 * Context: any; never sleeps.
 * Return: 0, -ENOSPC when the record was dropped (and counted), -EDQUOT
 * when its uid's share of the queue is full (counted there).
 */
int c2w_stream_put(struct c2w_record_hdr *rec)
{
	const struct c2w_alert *a = (const void *)rec;
	bool alert = rec->type == C2W_REC_ALERT;
	struct c2w_lost lost;
	bool have_lost = false;
	unsigned long flags;
	int ret = 0;

	if (alert && !c2w_uid_queue_take(a->uid, rec->size)) {
		c2w_uid_over(a->uid, true, c2w_alert_exe_at(a), a->exe_len);
		return -EDQUOT;
	}
	rec->version = C2W_REC_VERSION;
	if (!rec->time_ns)
		rec->time_ns = ktime_get_real_ns();
	spin_lock_irqsave(&q.lock, flags);
	/* A pending lost record goes in only together with this one. */
	if (kfifo_avail(&q.fifo) < rec->size +
	    (q.lost_pending ? sizeof(struct c2w_lost) : 0)) {
		rec->seq = q.next_seq++;
		q.lost_pending++;
		q.lost_total++;
		c2w_count(C2W_ST_RECORDS_DROPPED, 1);
		ret = -ENOSPC;
		if (alert)
			c2w_uid_queue_put(a->uid, rec->size);
	} else {
		have_lost = flush_lost(&lost);
		rec->seq = q.next_seq++;
		kfifo_in(&q.fifo, (u8 *)rec, rec->size);
		c2w_count(C2W_ST_RECORDS_QUEUED, 1);
	}
	spin_unlock_irqrestore(&q.lock, flags);
	if (!ret)
		wake_up_interruptible(&q.wait);
	/*
	 * Watchers get every record, even those the reader's queue had to
	 * drop, and the lost notices too, so their sequence has no gaps
	 * but their own.
	 */
	if (have_lost)
		to_watcher(&lost.hdr);
	to_watcher(rec);
	return ret;
}

static bool readable(void)
{
	return !kfifo_is_empty(&q.fifo) || READ_ONCE(q.lost_pending) ||
	       READ_ONCE(q.detach);
}

/**
 * c2w_stream_detach() - ask the reader to let go, or clear the request
 * @on: true to ask (C2W_IOC_DETACH_READER), false when the reader closed
 */
void c2w_stream_detach(bool on)
{
	WRITE_ONCE(q.detach, on);
	if (on)
		wake_up_interruptible(&q.wait);
}

/* Drop the rest of a record whose copy to userspace faulted. */
static void discard(unsigned int n)
{
	u8 tmp[64];

	while (n) {
		unsigned int k = min_t(unsigned int, n, sizeof(tmp));

		if (kfifo_out(&q.fifo, tmp, k) != k)
			break;
		n -= k;
	}
}

/*
 * Copy out whole records. The lost record of a drained queue is made here:
 * no producer came along to queue it, and the reader must still learn of
 * the loss before anything else.
 */
static ssize_t copy_records(char __user *buf, size_t count)
{
	/* The head of an alert, up to its uid. */
	struct {
		struct c2w_record_hdr h;
		u32 pid, tgid, ppid, uid;
	} ah;
	struct c2w_record_hdr h;
	u32 uid;
	unsigned long flags;
	unsigned int copied;
	size_t done = 0;
	struct c2w_lost l;

	BUILD_BUG_ON(offsetof(typeof(ah), uid) !=
		     offsetof(struct c2w_alert, uid));

	for (;;) {
		if (kfifo_is_empty(&q.fifo)) {
			bool have = false;

			spin_lock_irqsave(&q.lock, flags);
			if (kfifo_is_empty(&q.fifo) && q.lost_pending &&
			    count - done >= sizeof(l)) {
				fill_lost(&l);
				q.lost_pending = 0;
				have = true;
			}
			spin_unlock_irqrestore(&q.lock, flags);
			if (!have)
				break;
			to_watcher(&l.hdr);
			if (copy_to_user(buf + done, &l, sizeof(l))) {
				spin_lock_irqsave(&q.lock, flags);
				q.lost_pending += l.lost;
				spin_unlock_irqrestore(&q.lock, flags);
				return done ? done : -EFAULT;
			}
			/* Queued and read at once, as far as counters go. */
			c2w_count(C2W_ST_RECORDS_QUEUED, 1);
			c2w_count(C2W_ST_RECORDS_READ, 1);
			done += sizeof(l);
			continue;
		}
		if (kfifo_out_peek(&q.fifo, (u8 *)&h, sizeof(h)) != sizeof(h))
			break;
		if (h.size > count - done)
			break;
		/* An alert leaves its uid's share of the queue. */
		uid = C2W_UID_NONE;
		if (h.type == C2W_REC_ALERT &&
		    kfifo_out_peek(&q.fifo, (u8 *)&ah, sizeof(ah)) == sizeof(ah))
			uid = ah.uid;
		if (uid != C2W_UID_NONE)
			c2w_uid_queue_put(uid, h.size);
		if (kfifo_to_user(&q.fifo, buf + done, h.size, &copied) ||
		    copied != h.size) {
			/* Faulted part-way: the record is gone, say so. */
			discard(h.size - copied);
			spin_lock_irqsave(&q.lock, flags);
			q.lost_pending++;
			q.lost_total++;
			spin_unlock_irqrestore(&q.lock, flags);
			return done ? done : -EFAULT;
		}
		c2w_count(C2W_ST_RECORDS_READ, 1);
		done += h.size;
	}
	return done;
}

/**
 * c2w_stream_read() - read() on the reader's fd
 * @buf: user buffer
 * @count: its size
 * @nonblock: O_NONBLOCK
 *
 * Return: bytes of whole records copied; 0 when drained after a detach
 * request; -EINVAL when @count is smaller than the next record; -EAGAIN
 * when empty and @nonblock; -ERESTARTSYS.
 */
ssize_t c2w_stream_read(char __user *buf, size_t count, bool nonblock)
{
	ssize_t ret;

	if (mutex_lock_interruptible(&q.read_lock))
		return -ERESTARTSYS;
	for (;;) {
		if (readable()) {
			ret = copy_records(buf, count);
			if (ret)
				break;
			/* Drained and asked to go: end of file. */
			if (READ_ONCE(q.detach) && kfifo_is_empty(&q.fifo) &&
			    !READ_ONCE(q.lost_pending))
				break;
			/* Something is there but does not fit. */
			ret = -EINVAL;
			break;
		}
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&q.read_lock);
		if (wait_event_interruptible(q.wait, readable()))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&q.read_lock))
			return -ERESTARTSYS;
	}
	mutex_unlock(&q.read_lock);
	return ret;
}

/**
 * c2w_stream_poll() - poll() on the reader's fd
 * @file: the file
 * @wait: poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM when a record (or lost notice) is waiting,
 * EPOLLHUP when the reader is asked to detach.
 */
__poll_t c2w_stream_poll(struct file *file, poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &q.wait, wait);
	if (readable())
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(q.detach))
		mask |= EPOLLHUP;
	return mask;
}

static void config_rec_init(struct c2w_config_rec *r, u32 what, u64 value)
{
	char comm[TASK_COMM_LEN];

	memset(r, 0, sizeof(*r));
	r->hdr.size = sizeof(*r);
	r->hdr.type = C2W_REC_CONFIG;
	r->what = what;
	r->pid = task_tgid_nr(current);
	r->uid = from_kuid(&init_user_ns, current_uid());
	r->value = value;
	get_task_comm(comm, current);
	memcpy(r->comm, comm, sizeof(r->comm));
}

/**
 * c2w_config_record_make() - a configuration record naming the current
 *	process: pid, uid, comm and executable
 * @what: &enum c2w_config_what
 * @value: its value
 *
 * For a caller that queues it later, or more than once (the reader's attach
 * and, with the identity taken at open, its detach).
 *
 * Context: process context.
 * Return: a kmalloc'd record to queue with c2w_stream_put(), or NULL when
 * there was no memory.
 */
struct c2w_config_rec *c2w_config_record_make(u32 what, u64 value)
{
	struct c2w_config_rec *r;
	struct c2w_exe_buf *b;
	struct c2w_exe exe;
	u32 len, size;

	b = kvmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	c2w_exe_resolve(&exe, b, c2w_init_mntns(current->nsproxy));
	len = min_t(u32, exe.len, C2W_PATH_MAX - 1);
	size = sizeof(*r) + ALIGN(len + 1, C2W_REC_ALIGN);
	r = kzalloc(size, GFP_KERNEL);
	if (r) {
		config_rec_init(r, what, value);
		memcpy(r + 1, exe.path, len);
		r->exe_off = sizeof(*r);
		r->exe_len = len;
		r->flags = exe.flags;
		r->hdr.size = size;
	}
	kvfree(b);
	return r;
}

/**
 * c2w_config_record() - report a configuration change in the stream
 * @what: &enum c2w_config_what
 * @value: its value
 *
 * The record names the process making the change: pid, uid, comm and
 * executable (without the path if there is no memory for it: the change
 * is still recorded).
 *
 * Context: process context (the task making the change is recorded).
 */
void c2w_config_record(u32 what, u64 value)
{
	struct c2w_config_rec *r = c2w_config_record_make(what, value);
	struct c2w_config_rec fallback;

	if (!r) {
		config_rec_init(&fallback, what, value);
		c2w_stream_put(&fallback.hdr);
		return;
	}
	c2w_stream_put(&r->hdr);
	kfree(r);
}

/**
 * c2w_stream_size() - bytes of the queue
 *
 * Return: the kfifo size.
 */
u32 c2w_stream_size(void)
{
	return kfifo_size(&q.fifo);
}

/**
 * c2w_stream_init() - allocate the queue
 * @size: bytes, rounded up to a power of two, at least 64 KiB
 *
 * Return: 0 or -ENOMEM.
 */
int c2w_stream_init(u32 size)
{
	spin_lock_init(&q.lock);
	mutex_init(&q.read_lock);
	init_waitqueue_head(&q.wait);
	q.next_seq = 1;
	return kfifo_alloc(&q.fifo, max_t(u32, size, 64 * 1024), GFP_KERNEL);
}

/**
 * c2w_stream_exit() - free the queue; no producer or reader may remain
 */
void c2w_stream_exit(void)
{
	kfifo_free(&q.fifo);
}
