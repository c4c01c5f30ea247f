// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-genl-3 client of the "c2watch" family, the way iw talks to
 * nl80211: nl_socket_alloc -> genl_connect -> genl_ctrl_resolve, explicit
 * valid/error/finish/ack callbacks, errors returned as -errno.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nlclient.h"

#define WATCH_RCVBUF	(8 << 20)

static int nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INTR:
		return -EINTR;
	default:
		return -EIO;
	}
}

static struct nl_sock *open_family(int *family)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk)
		return NULL;
	if (genl_connect(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	*family = genl_ctrl_resolve(sk, C2W_GENL_NAME);
	return sk;
}

struct status_ctx {
	struct c2w_nl_status *st;
	int err;
	int done;
};

static int status_valid(struct nl_msg *msg, void *arg)
{
	struct status_ctx *c = arg;
	struct nlattr *tb[C2W_A_MAX + 1];
	int ret;

	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, C2W_A_MAX, NULL);
	if (ret < 0) {
		c->err = nl_errno(ret);
		return NL_STOP;
	}
	/* Sized structures: what we know of them, zeros for the rest. */
	if (!tb[C2W_A_STATS] || !tb[C2W_A_CONFIG] || !tb[C2W_A_VERSION] ||
	    nla_len(tb[C2W_A_STATS]) < C2W_STATS_SIZE_VER0 ||
	    nla_len(tb[C2W_A_CONFIG]) < C2W_CONFIG_SIZE_VER0) {
		c->err = -EPROTO;	/* not a c2watch module's answer */
		return NL_STOP;
	}
	c->st->uapi_version = nla_get_u32(tb[C2W_A_VERSION]);
	memset(&c->st->stats, 0, sizeof(c->st->stats));
	memset(&c->st->config, 0, sizeof(c->st->config));
	nla_memcpy(&c->st->stats, tb[C2W_A_STATS], sizeof(c->st->stats));
	nla_memcpy(&c->st->config, tb[C2W_A_CONFIG], sizeof(c->st->config));
	if (tb[C2W_A_MODULE_VERSION])
		nla_strlcpy(c->st->module_version, tb[C2W_A_MODULE_VERSION],
			    sizeof(c->st->module_version));
	return NL_OK;
}

static int status_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct status_ctx *c = arg;

	(void)nla;
	c->err = e->error;
	c->done = 1;
	return NL_STOP;
}

static int status_finish(struct nl_msg *msg, void *arg)
{
	struct status_ctx *c = arg;

	(void)msg;
	c->done = 1;
	return NL_SKIP;
}

static int status_ack(struct nl_msg *msg, void *arg)
{
	struct status_ctx *c = arg;

	(void)msg;
	c->done = 1;
	return NL_STOP;
}

/**
 * c2w_nl_get_status() - C2W_CMD_GET_STATUS
 * @st: out
 *
 * Return: 0, -ENOENT when the family is not registered (module not loaded),
 * other -errno.
 */
int c2w_nl_get_status(struct c2w_nl_status *st)
{
	struct status_ctx c = { .st = st };
	struct nl_msg *msg = NULL;
	struct nl_cb *cb = NULL;
	struct nl_sock *sk;
	int family, ret;

	memset(st, 0, sizeof(*st));
	sk = open_family(&family);
	if (!sk)
		return -ENOMEM;
	if (family < 0) {
		ret = nl_errno(family);
		goto out;
	}
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_ACK, C2W_CMD_GET_STATUS, C2W_GENL_VERSION)) {
		ret = -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, status_valid, &c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, status_finish, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, status_ack, &c);
	nl_cb_err(cb, NL_CB_CUSTOM, status_error, &c);
	ret = nl_send_auto(sk, msg);
	if (ret < 0) {
		ret = nl_errno(ret);
		goto out;
	}
	while (!c.done && !c.err) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0) {
			c.err = nl_errno(ret);
			break;
		}
	}
	ret = c.err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

struct watch_ctx {
	struct c2w_nl_watch *w;
	int family;
	int gone;
	int overflowed;
	unsigned long long last_seq;
};

static int watch_valid(struct nl_msg *msg, void *arg)
{
	struct watch_ctx *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[C2W_A_MAX + 1];
	const struct c2w_record_hdr *rec;

	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		struct nlattr *ctb[CTRL_ATTR_MAX + 1];

		if (gh->cmd == CTRL_CMD_DELFAMILY &&
		    !genlmsg_parse(nlh, 0, ctb, CTRL_ATTR_MAX, NULL) &&
		    ctb[CTRL_ATTR_FAMILY_NAME] &&
		    !strcmp(nla_get_string(ctb[CTRL_ATTR_FAMILY_NAME]),
			    C2W_GENL_NAME)) {
			c->gone = 1;
			return NL_STOP;
		}
		return NL_SKIP;
	}
	if (nlh->nlmsg_type != c->family || gh->cmd != C2W_CMD_RECORD ||
	    genlmsg_parse(nlh, 0, tb, C2W_A_MAX, NULL) || !tb[C2W_A_RECORD])
		return NL_SKIP;
	rec = nla_data(tb[C2W_A_RECORD]);
	if ((size_t)nla_len(tb[C2W_A_RECORD]) < sizeof(*rec) ||
	    rec->size != (uint32_t)nla_len(tb[C2W_A_RECORD]))
		return NL_SKIP;
	if (c->last_seq && rec->seq > c->last_seq + 1 && c->w->missed)
		c->w->missed(rec->seq - c->last_seq - 1, c->w->arg);
	c->last_seq = rec->seq;
	c->w->record(rec, c->w->arg);
	return NL_OK;
}

/**
 * c2w_nl_watch_records() - subscribe to the "alerts" group and hand over
 *	every record until the module goes away or @w->stop is set
 * @w: callbacks
 *
 * Return: 0 when stopped, -ENODEV when the module was unloaded, -ENOENT
 * when it is not loaded, -EOPNOTSUPP when it offers no alerts group (a
 * kernel that cannot restrict one to CAP_SYS_ADMIN), -EPERM without
 * CAP_SYS_ADMIN, other -errno.
 */
int c2w_nl_watch_records(struct c2w_nl_watch *w)
{
	struct watch_ctx c = { .w = w };
	struct nl_sock *sk;
	int grp, ctrl_grp, ret, rcvbuf;

	sk = open_family(&c.family);
	if (!sk)
		return -ENOMEM;
	if (c.family < 0) {
		ret = nl_errno(c.family);
		goto out;
	}
	grp = genl_ctrl_resolve_grp(sk, C2W_GENL_NAME, C2W_GENL_MCGRP_ALERTS);
	ctrl_grp = genl_ctrl_resolve_grp(sk, "nlctrl", "notify");
	if (grp < 0 || ctrl_grp < 0) {
		/* The family is there (resolved above), its group is not. */
		ret = grp < 0 ? -EOPNOTSUPP : -ENOENT;
		goto out;
	}
	ret = nl_socket_add_membership(sk, grp);
	if (ret) {
		ret = nl_errno(ret);
		goto out;
	}
	ret = nl_socket_add_membership(sk, ctrl_grp);
	if (ret) {
		ret = nl_errno(ret);
		goto out;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, watch_valid, &c);
	/*
	 * Bursts of alerts must not overflow a slow terminal at once.
	 * C2W_WATCH_RCVBUF overrides the size (the tests make it tiny).
	 */
	rcvbuf = getenv("C2W_WATCH_RCVBUF") ? atoi(getenv("C2W_WATCH_RCVBUF")) :
					      WATCH_RCVBUF;
	nl_socket_set_buffer_size(sk, rcvbuf > 0 ? rcvbuf : WATCH_RCVBUF, 0);
	/*
	 * libnl retries recvmsg() on EINTR, so a signal alone would not end
	 * the loop: poll with a timeout, read without blocking.
	 */
	nl_socket_set_nonblocking(sk);
	if (w->ready)
		w->ready(w->arg);
	while (!*w->stop && !c.gone) {
		struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };

		if (poll(&p, 1, 250) <= 0)
			continue;
		ret = nl_recvmsgs_default(sk);
		if (ret == -NLE_NOMEM) {
			/* ENOBUFS: the next record's seq tells how many. */
			continue;
		}
		if (ret == -NLE_INTR || ret == -NLE_AGAIN)
			continue;
		if (ret < 0) {
			ret = nl_errno(ret);
			goto out;
		}
	}
	ret = c.gone ? -ENODEV : 0;
out:
	nl_socket_free(sk);
	return ret;
}
