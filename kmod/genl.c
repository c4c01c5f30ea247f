// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink: a status command anyone may call, and a multicast group
 * that carries every record to CAP_SYS_ADMIN listeners, built only while
 * someone listens. See the attribute tree in include/uapi/linux/c2watch.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "c2watch.h"
#include "compat.h"

enum { C2W_MCGRP_ALERTS_IDX };

/* Every attribute is output only: requests carrying any are refused. */
static const struct nla_policy c2w_genl_policy[C2W_A_MAX + 1] = {
	[C2W_A_PAD]		= { .type = NLA_REJECT },
	[C2W_A_VERSION]		= { .type = NLA_REJECT },
	[C2W_A_MODULE_VERSION]	= { .type = NLA_REJECT },
	[C2W_A_STATS]		= { .type = NLA_REJECT },
	[C2W_A_CONFIG]		= { .type = NLA_REJECT },
	[C2W_A_RECORD]		= { .type = NLA_REJECT },
};

static int get_status_doit(struct sk_buff *skb, struct genl_info *info);

static const struct genl_small_ops c2w_genl_ops[] = {
	{
		.cmd	= C2W_CMD_GET_STATUS,
		.doit	= get_status_doit,
	},
};

#ifndef C2W_GENL_NO_ALERTS_GROUP
static const struct genl_multicast_group c2w_genl_mcgrps[] = {
	[C2W_MCGRP_ALERTS_IDX] = {
		.name	= C2W_GENL_MCGRP_ALERTS,
		C2W_GENL_MCGRP_ADMIN_ONLY
	},
};
#endif

static struct genl_family c2w_genl_family __ro_after_init = {
	.name		= C2W_GENL_NAME,
	.version	= C2W_GENL_VERSION,
	.maxattr	= C2W_A_MAX,
	.policy		= c2w_genl_policy,
	.module		= THIS_MODULE,
	.small_ops	= c2w_genl_ops,
	.n_small_ops	= ARRAY_SIZE(c2w_genl_ops),
	C2W_GENL_RESV_START_OP(C2W_CMD_GET_STATUS)
#ifndef C2W_GENL_NO_ALERTS_GROUP
	.mcgrps		= c2w_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(c2w_genl_mcgrps),
#endif
};

static int get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct c2w_config cfg;
	struct c2w_stats st;
	struct sk_buff *msg;
	void *hdr;

	c2w_status_stats(&st);
	c2w_status_config(&cfg);
	msg = genlmsg_new(nla_total_size(sizeof(u32)) +
			  nla_total_size(sizeof(C2W_MODULE_VERSION)) +
			  nla_total_size_64bit(sizeof(st)) +
			  nla_total_size_64bit(sizeof(cfg)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &c2w_genl_family, 0,
				C2W_CMD_GET_STATUS);
	if (!hdr ||
	    nla_put_u32(msg, C2W_A_VERSION, C2W_UAPI_VERSION) ||
	    nla_put_string(msg, C2W_A_MODULE_VERSION, C2W_MODULE_VERSION) ||
	    nla_put_64bit(msg, C2W_A_STATS, sizeof(st), &st, C2W_A_PAD) ||
	    nla_put_64bit(msg, C2W_A_CONFIG, sizeof(cfg), &cfg, C2W_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

#ifndef C2W_GENL_NO_ALERTS_GROUP
/*
 * The stream's watcher: multicast a record (its sequence number assigned)
 * to the "alerts" group. Costs one listener check when nobody listens.
 * Failures are counted. Any context; never sleeps.
 */
static void watch_record(const struct c2w_record_hdr *rec)
{
	struct sk_buff *skb;
	void *hdr;
	int ret;

	if (!genl_has_listeners(&c2w_genl_family, &init_net,
				C2W_MCGRP_ALERTS_IDX))
		return;
	skb = genlmsg_new(nla_total_size_64bit(rec->size), GFP_ATOMIC);
	if (!skb)
		goto fail;
	hdr = genlmsg_put(skb, 0, 0, &c2w_genl_family, 0, C2W_CMD_RECORD);
	if (!hdr ||
	    nla_put_64bit(skb, C2W_A_RECORD, rec->size, rec, C2W_A_PAD)) {
		nlmsg_free(skb);
		goto fail;
	}
	genlmsg_end(skb, hdr);
	ret = genlmsg_multicast(&c2w_genl_family, skb, 0,
				C2W_MCGRP_ALERTS_IDX, GFP_ATOMIC);
	/* -ESRCH: the last listener just left; nobody missed anything. */
	if (ret && ret != -ESRCH)
		goto fail;
	c2w_count(C2W_ST_NETLINK_SENT, 1);
	return;
fail:
	c2w_count(C2W_ST_NETLINK_FAILED, 1);
}

static const struct c2w_watcher nl_watcher = {
	.record = watch_record,
};
#endif

/**
 * c2w_genl_init() - register the family
 *
 * Return: 0 or the error of genl_register_family().
 */
int c2w_genl_init(void)
{
	int ret;

#ifdef C2W_GENL_NO_ALERTS_GROUP
	pr_notice("this kernel cannot restrict a multicast group to CAP_SYS_ADMIN: the netlink \"alerts\" group is not offered\n");
#endif
	ret = genl_register_family(&c2w_genl_family);
#ifndef C2W_GENL_NO_ALERTS_GROUP
	if (!ret)
		c2w_stream_set_watcher(&nl_watcher);
#endif
	return ret;
}

/**
 * c2w_genl_exit() - unregister the family; no record may be sent any more
 */
void c2w_genl_exit(void)
{
	c2w_stream_set_watcher(NULL);
	genl_unregister_family(&c2w_genl_family);
}
