// SPDX-License-Identifier: GPL-2.0
/*
 * c2w_kthread: a test-only module whose kernel thread makes one outbound
 * UDP connect to 1.1.1.1:53 when it loads, the way an in-kernel client (NFS,
 * CIFS, a tunnel) connects. c2watch must count the hook hit as ignored and
 * never alert: a kernel thread has no executable to judge. The load fails
 * with the connect's error, so the test knows the attempt was made.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/sock.h>

static DECLARE_COMPLETION(done);
static int result;

static int connect_once(void *unused)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(53),
		.sin_addr.s_addr = htonl(0x01010101),	/* 1.1.1.1 */
	};
	struct socket *sock;

	result = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
				  &sock);
	if (!result) {
		result = kernel_connect(sock, (struct sockaddr *)&sin,
					sizeof(sin), 0);
		sock_release(sock);
	}
	complete(&done);
	return 0;
}

static int __init c2w_kthread_init(void)
{
	struct task_struct *t = kthread_run(connect_once, NULL, "c2w_kthread");

	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&done);
	pr_info("kernel thread connected to 1.1.1.1:53: %d\n", result);
	return result;
}

static void __exit c2w_kthread_exit(void)
{
}

module_init(c2w_kthread_init);
module_exit(c2w_kthread_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("c2watch test: an outbound connect from a kernel thread");
