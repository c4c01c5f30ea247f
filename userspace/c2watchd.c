// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchd: the c2watch logger daemon.
 *
 * Loads the rules into the module, restores the seen set from its state
 * file, reads alerts from /dev/c2watch and writes one Elastic Common Schema
 * JSON document per line (NDJSON) for Filebeat. Keeps the seen set on disk
 * (atomically, periodically and at exit) so that a reboot does not make
 * every known executable "new" again.
 *
 * Signals only set flags; the loop acts on them: SIGHUP reopens the output
 * file (logrotate), SIGTERM/SIGINT drain, save state and exit 0. When the
 * module asks the reader to let go (c2watchctl unload) or disappears, the
 * daemon saves state, waits for the device with backoff, then reloads rules
 * and state and reports the gap as a document of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <linux/c2watch.h>

#include "device.h"
#include "ecs.h"
#include "hostcheck.h"
#include "rulefile.h"
#include "rules.h"
#include "seenfile.h"
#include "seed_rules.h"

#define DEFAULT_OUTPUT	"/var/log/c2watch/alerts.ndjson"
#define DEFAULT_STATE	"/var/lib/c2watch/seen.ndjson"
#define READ_BUF	(1 << 20)
#define BACKOFF_MAX_MS	5000
#define DETACH_GRACE_MS	2000	/* after a detach request, before reopening */

static volatile sig_atomic_t got_term, got_hup;

struct c2watchd {
	const char *rules;
	const char *output;
	const char *state;
	const char *device;
	bool foreground;
	bool use_syslog;
	bool pretty;
	bool events;		/* --events: every match, for fleet new terms */
	uint32_t events_interval;
	unsigned int flush_interval;

	int out_fd;
	int dev_fd;
	void *blob;
	uint32_t blob_size;
	struct c2w_ruleset *rs;
	json_object *rule_meta;	/* rule_id -> rule, from the files */
	struct ecs_ctx ecs;
	time_t detached_at;
	time_t next_flush;
	time_t last_save;
	bool state_ok;		/* the state file may be overwritten */
	void *checked;		/* the ruleset last checked against the host */
	uint32_t checked_size;
	uint64_t written, write_errors;
};

static void msg(struct c2watchd *d, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg(struct c2watchd *d, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (d->use_syslog) {
		va_list ap2;

		va_copy(ap2, ap);
		vsyslog(prio, fmt, ap2);
		va_end(ap2);
	}
	fprintf(stderr, "c2watchd: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static int open_output(struct c2watchd *d)
{
	int fd;

	if (!strcmp(d->output, "-")) {
		d->out_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(d->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		msg(d, LOG_ERR, "cannot open %s: %s", d->output,
		    strerror(errno));
		return -1;
	}
	if (d->out_fd > STDERR_FILENO)
		close(d->out_fd);
	d->out_fd = fd;
	return 0;
}

/* One document, one line, one write(): appends never interleave. */
static void emit(struct c2watchd *d, json_object *doc)
{
	const char *s = d->pretty ?
		json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE) :
		ecs_to_string(doc);
	size_t len = strlen(s);
	char *line = malloc(len + 1);
	size_t off = 0;

	if (!line) {
		d->write_errors++;
		return;
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	while (off < len) {
		ssize_t n = write(d->out_fd, line + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (d->write_errors++ % 1000 == 0)
				msg(d, LOG_ERR, "writing %s: %s", d->output,
				    strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (off == len)
		d->written++;
	free(line);
}

static void emit_event(struct c2watchd *d, json_object *doc)
{
	emit(d, doc);
	json_object_put(doc);
}

static void set_rules(struct c2watchd *d, void *blob, uint32_t size)
{
	struct c2w_ruleset *rs;
	struct c2w_rs_error err;

	if (c2w_rs_compile(blob, size, &rs, &err))
		return;
	c2w_rs_free(d->rs);
	d->rs = rs;
	d->ecs.rules = rs;
}

/* Rule names for documents: what the kernel has loaded right now. */
static void refresh_rules(struct c2watchd *d)
{
	uint32_t size;
	void *buf;

	if (!c2w_dev_get_rules(d->dev_fd, &buf, &size) && buf)
		set_rules(d, buf, size);
	free(buf);
}

static void warn_doc(const char *rule_id, const char *rule_name,
		     const char *text, void *arg)
{
	struct c2watchd *d = arg;
	json_object *doc = ecs_event("rule_cannot_match", &d->ecs);
	json_object *cat = json_object_new_array();

	json_object_array_add(cat, json_object_new_string("configuration"));
	ecs_set(doc, "event.category", cat);
	ecs_set(doc, "log.level", json_object_new_string("warning"));
	ecs_set(doc, "rule.id", json_object_new_string(rule_id));
	ecs_set(doc, "rule.name", json_object_new_string(rule_name));
	ecs_set(doc, "message", json_object_new_string(text));
	emit_event(d, doc);
	msg(d, LOG_WARNING, "%s", text);
}

/*
 * Whenever the module's rules change: a rule whose source.ip clauses rule
 * out every address this host has would stay silent, say so.
 */
static void check_host_rules(struct c2watchd *d)
{
	const void *blob;
	uint32_t size;
	int ret;

	/* The addresses may have changed too: host.ip from now on. */
	ecs_ctx_host_ips(&d->ecs);
	if (!d->rs)
		return;
	blob = c2w_rs_blob(d->rs, &size);
	/* Once per ruleset: attaching loads it twice (quiet, then live). */
	if (d->checked && d->checked_size == size &&
	    !memcmp(d->checked, blob, size))
		return;
	free(d->checked);
	d->checked = malloc(size);
	d->checked_size = d->checked ? size : 0;
	if (d->checked)
		memcpy(d->checked, blob, size);
	ret = host_check_here(blob, size, warn_doc, d);
	if (ret < 0)
		msg(d, LOG_WARNING, "cannot read this host's addresses (%s): rules not checked against them",
		    strerror(-ret));
}

static int load_rule_files(struct c2watchd *d)
{
	json_object *meta = json_object_new_object();
	char *paths[] = { (char *)d->rules };
	char err[1024];
	struct stat st;
	int ret;

	if (stat(d->rules, &st) && errno == ENOENT) {
		msg(d, LOG_NOTICE, "%s does not exist: using the built-in seed rule",
		    d->rules);
		ret = rules_load_text_meta("built-in seed rule", c2w_seed_rules,
					   strlen(c2w_seed_rules), &d->blob,
					   &d->blob_size, meta, err,
					   sizeof(err));
	} else {
		ret = rules_load_meta(paths, 1, &d->blob, &d->blob_size, meta,
				      err, sizeof(err));
	}
	if (ret) {
		json_object_put(meta);
		msg(d, LOG_ERR, "%s", err);
		return -1;
	}
	/* Version, description, authors, every threat entry: for alerts. */
	json_object_put(d->rule_meta);
	d->rule_meta = meta;
	d->ecs.rule_meta = meta;
	set_rules(d, d->blob, d->blob_size);
	return 0;
}

/*
 * Restore the seen set. A corrupt file is set aside, never overwritten,
 * and never fatal: the daemon starts with what the kernel has.
 */
static void import_state(struct c2watchd *d)
{
	uint32_t len, count, imported = 0;
	char err[1024], aside[4096];
	void *buf;
	int ret;

	ret = seen_read_ndjson(d->state, &buf, &len, &count, err, sizeof(err));
	if (ret == -ENOENT) {
		d->state_ok = true;
		return;
	}
	if (ret) {
		snprintf(aside, sizeof(aside), "%s.corrupt-%ld", d->state,
			 (long)time(NULL));
		if (ret == -EINVAL && !rename(d->state, aside)) {
			msg(d, LOG_WARNING, "state file is corrupt (%s); moved to %s, starting fresh",
			    err, aside);
			d->state_ok = true;
		} else {
			msg(d, LOG_ERR, "cannot read state (%s); it will not be overwritten",
			    err);
		}
		return;
	}
	d->state_ok = true;
	if (len) {
		ret = c2w_dev_seen_import(d->dev_fd, buf, len, &imported);
		if (ret)
			msg(d, LOG_WARNING, "importing %u seen entries: %s (%u imported)",
			    count, strerror(-ret), imported);
	}
	free(buf);
	msg(d, LOG_INFO, "restored %u seen entries from %s", imported, d->state);
}

static void save_state(struct c2watchd *d)
{
	uint32_t len, count;
	char err[1024];
	void *buf;
	int ret;

	if (d->dev_fd < 0 || !d->state_ok)
		return;
	ret = c2w_dev_seen_export(d->dev_fd, &buf, &len, &count);
	if (ret) {
		msg(d, LOG_WARNING, "exporting the seen set: %s", strerror(-ret));
		return;
	}
	if (seen_save_atomic(d->state, buf, len, err, sizeof(err)))
		msg(d, LOG_ERR, "saving state: %s", err);
	else
		d->last_save = time(NULL);
	free(buf);
}

static void log_alert_syslog(json_object *doc)
{
	json_object *p, *v;
	const char *exe = "?", *dst = "?", *rule = "?";
	int port = 0;

	if (json_object_object_get_ex(doc, "process", &p) &&
	    json_object_object_get_ex(p, "executable", &v))
		exe = json_object_get_string(v);
	if (json_object_object_get_ex(doc, "destination", &p)) {
		if (json_object_object_get_ex(p, "ip", &v))
			dst = json_object_get_string(v);
		if (json_object_object_get_ex(p, "port", &v))
			port = json_object_get_int(v);
	}
	if (json_object_object_get_ex(doc, "rule", &p) &&
	    json_object_object_get_ex(p, "id", &v))
		rule = json_object_get_string(v);
	syslog(LOG_WARNING, "alert: %s connected to %s port %d (rule %s)",
	       exe, dst, port, rule);
}

static void handle_records(struct c2watchd *d, const unsigned char *buf,
			   size_t len)
{
	for (size_t off = 0; off + sizeof(struct c2w_record_hdr) <= len;) {
		const struct c2w_record_hdr *h = (const void *)(buf + off);
		json_object *doc;
		bool alert;

		if (h->size < sizeof(*h) || h->size > len - off) {
			msg(d, LOG_ERR, "malformed record at offset %zu", off);
			return;
		}
		if (h->type == C2W_REC_CONFIG &&
		    ((const struct c2w_config_rec *)h)->what ==
		    C2W_CFG_RULES_LOADED)
			refresh_rules(d);
		alert = h->type == C2W_REC_ALERT &&
			h->size >= C2W_ALERT_SIZE_VER0 &&
			!(((const struct c2w_alert *)h)->flags & C2W_AF_EVENT);
		doc = ecs_record(h, &d->ecs);
		if (doc) {
			emit(d, doc);
			if (d->use_syslog && alert)
				log_alert_syslog(doc);
			json_object_put(doc);
		}
		/*
		 * With --events every match is an event too, the first one
		 * (the alert) included: the module reports the later ones.
		 */
		if (alert && d->events) {
			doc = ecs_match_event((const void *)h, &d->ecs);
			emit(d, doc);
			json_object_put(doc);
		}
		/*
		 * An alert is a new key: on disk within a second, so that a
		 * crash cannot make it new again (at most one save a second).
		 */
		if (alert && d->next_flush > d->last_save + 1)
			d->next_flush = d->last_save + 1;
		if (h->type == C2W_REC_CONFIG &&
		    ((const struct c2w_config_rec *)h)->what ==
		    C2W_CFG_RULES_LOADED)
			check_host_rules(d);
		off += h->size;
	}
}

/*
 * --events or not, the module is told: it reports known keys' matches only
 * when asked. A locked module keeps its setting, which is said.
 */
static void set_events(struct c2watchd *d)
{
	struct c2w_config c = {
		.mask = C2W_CONFIG_EVENTS_INTERVAL,
		.events_interval = d->events ? d->events_interval : 0,
	};

	if (!ioctl(d->dev_fd, C2W_IOC_SET_CONFIG, &c))
		return;
	if (errno == EPERM && !ioctl(d->dev_fd, C2W_IOC_GET_CONFIG, &c)) {
		if (c.events_interval != (d->events ? d->events_interval : 0))
			msg(d, LOG_WARNING, "configuration locked: the module reports known executables' matches every %us, not as --events asks",
			    c.events_interval);
		return;
	}
	msg(d, d->events ? LOG_ERR : LOG_WARNING,
	    "setting the events interval: %s%s", strerror(errno),
	    errno == EINVAL ? " (a module older than --events)" : "");
}

static int attach(struct c2watchd *d)
{
	struct c2w_rs_view v;
	json_object *doc;
	void *quiet;
	int ret;

	d->dev_fd = open(d->device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (d->dev_fd < 0)
		return -errno;
	/*
	 * The rules go in quiet first (every rule disabled), then the saved
	 * seen set (each entry reaped after its own rule's window), then the
	 * rules live: an executable known before the restart cannot alert
	 * again in between.
	 */
	quiet = malloc(d->blob_size);
	if (quiet) {
		memcpy(quiet, d->blob, d->blob_size);
		c2w_rs_view(quiet, &v);
		for (uint32_t i = 0; i < v.h->n_rules; i++)
			((struct c2w_rs_rule *)v.rules)[i].flags |=
				C2W_RULE_DISABLED;
	}
	ret = c2w_dev_set_rules(d->dev_fd, quiet ? quiet : d->blob,
				d->blob_size);
	if (ret) {
		msg(d, LOG_WARNING, "loading rules into the module: %s%s",
		    strerror(-ret), ret == -EPERM ?
		    " (configuration locked: keeping the module's rules)" : "");
		import_state(d);
		refresh_rules(d);
		check_host_rules(d);
	} else {
		import_state(d);
		ret = quiet ? c2w_dev_set_rules(d->dev_fd, d->blob,
						d->blob_size) : 0;
		if (ret)
			msg(d, LOG_ERR, "loading rules into the module: %s",
			    strerror(-ret));
	}
	free(quiet);
	set_events(d);
	/* Loaded: the module's "rules loaded" record leads to the check. */
	if (d->detached_at) {
		time_t now = time(NULL);
		char t[32];

		doc = ecs_event("monitoring_gap", &d->ecs);
		c2w_time_format(d->detached_at, t, sizeof(t));
		ecs_set(doc, "c2watch.gap.start", json_object_new_string(t));
		c2w_time_format(now, t, sizeof(t));
		ecs_set(doc, "c2watch.gap.end", json_object_new_string(t));
		ecs_set(doc, "c2watch.gap.seconds",
		     json_object_new_int64((int64_t)(now - d->detached_at)));
		ecs_set(doc, "message", json_object_new_string(
			"c2watch was not watching during this interval"));
		emit_event(d, doc);
		msg(d, LOG_NOTICE, "reattached to %s after %lds", d->device,
		    (long)(now - d->detached_at));
		d->detached_at = 0;
	} else {
		doc = ecs_event("daemon_started", &d->ecs);
		ecs_set(doc, "c2watch.rules",
		     json_object_new_int((int)c2w_rs_count(d->rs)));
		emit_event(d, doc);
		msg(d, LOG_INFO, "watching %s, writing %s", d->device, d->output);
	}
	return 0;
}

static void detach(struct c2watchd *d, const char *why)
{
	msg(d, LOG_NOTICE, "letting go of %s: %s", d->device, why);
	save_state(d);
	close(d->dev_fd);
	d->dev_fd = -1;
	d->detached_at = time(NULL);
}

/* Read until the queue is empty. Returns false when the device is gone. */
static bool drain(struct c2watchd *d, unsigned char *buf)
{
	for (;;) {
		ssize_t n = read(d->dev_fd, buf, READ_BUF);

		if (n > 0) {
			handle_records(d, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			detach(d, "the module asked its reader to detach");
			return false;
		}
		if (errno == EAGAIN || errno == EINTR)
			return true;
		detach(d, strerror(errno));
		return false;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int run(struct c2watchd *d)
{
	unsigned char *buf = malloc(READ_BUF);
	int backoff = 100;
	bool waiting_said = false;

	if (!buf)
		return 1;
	while (!got_term) {
		struct pollfd p;
		time_t now;
		int ret;

		if (got_hup) {
			got_hup = 0;
			if (!open_output(d))
				msg(d, LOG_INFO, "reopened %s", d->output);
		}
		if (d->dev_fd < 0) {
			ret = attach(d);
			if (ret) {
				if (!waiting_said)
					msg(d, LOG_NOTICE, "waiting for %s: %s",
					    d->device, strerror(-ret));
				if (!d->detached_at)
					d->detached_at = time(NULL);
				waiting_said = true;
				sleep_ms(backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS ?
					  BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			waiting_said = false;
			backoff = 100;
			d->next_flush = time(NULL) + d->flush_interval;
		}
		now = time(NULL);
		p.fd = d->dev_fd;
		p.events = POLLIN;
		p.revents = 0;
		ret = poll(&p, 1, d->next_flush > now ?
			   (int)(d->next_flush - now) * 1000 : 0);
		if (ret > 0 && !drain(d, buf)) {
			/* Give the unload its moment before reopening. */
			for (int i = 0; i < DETACH_GRACE_MS / 100 && !got_term; i++)
				sleep_ms(100);
			continue;
		}
		if (time(NULL) >= d->next_flush) {
			save_state(d);
			d->next_flush = time(NULL) + d->flush_interval;
		}
	}
	if (d->dev_fd >= 0) {
		drain(d, buf);
		save_state(d);
	}
	free(buf);
	msg(d, LOG_INFO, "exiting: %llu documents written, %llu write errors",
	    (unsigned long long)d->written,
	    (unsigned long long)d->write_errors);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: c2watchd [options]\n"
"Read alerts from the c2watch kernel module and write them as Elastic\n"
"Common Schema NDJSON, one document per line.\n"
"\n"
"  -r, --rules DIR|FILE    Elastic rules to load (default %s;\n"
"                          the built-in seed rule if it does not exist)\n"
"  -o, --output PATH|-     NDJSON output, appended (default %s)\n"
"  -s, --state PATH        seen-set state file (default %s)\n"
"  -d, --device PATH       the c2watch device (default /dev/%s)\n"
"  -f, --foreground        do not detach from the terminal (for systemd)\n"
"  -l, --syslog            also log a one-line summary per alert to syslog\n"
"  -i, --flush-interval S  seconds between periodic state saves (default\n"
"                          60); a new key is saved within a second anyway\n"
"  -e, --events            also write every rule match as an event\n"
"                          (event.kind \"event\"), not only new ones: at most\n"
"                          one per new-terms key per --events-interval, the\n"
"                          data a fleet-wide new-terms rule in Kibana reads\n"
"  -E, --events-interval D at most one event per key per D (1h, 30m, 86400s;\n"
"                          default 1h); implies --events\n"
"  -n, --no-enrich         do not read /proc for args, parent, hash\n"
"  -p, --pretty            indented JSON for reading (not NDJSON)\n"
"  -V, --version           print the version and exit\n"
"  -h, --help              this text\n"
"\n"
"Signals: SIGHUP reopens the output file; SIGTERM and SIGINT save state and\n"
"exit. Exit status: 0 clean exit, 1 runtime failure, 2 usage or rule error.\n",
		RULES_DEFAULT_DIR, DEFAULT_OUTPUT, DEFAULT_STATE,
		C2W_DEVICE_NAME);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 'l' },
		{ "flush-interval", required_argument, NULL, 'i' },
		{ "events", no_argument, NULL, 'e' },
		{ "events-interval", required_argument, NULL, 'E' },
		{ "no-enrich", no_argument, NULL, 'n' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct c2watchd d = {
		.rules = RULES_DEFAULT_DIR, .output = DEFAULT_OUTPUT,
		.state = DEFAULT_STATE, .device = "/dev/" C2W_DEVICE_NAME,
		.flush_interval = 60, .out_fd = -1, .dev_fd = -1,
		.events_interval = 3600,
	};
	struct sigaction sa;
	bool enrich = true;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "r:o:s:d:fli:eE:npVh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'r': d.rules = optarg; break;
		case 'o': d.output = optarg; break;
		case 's': d.state = optarg; break;
		case 'd': d.device = optarg; break;
		case 'f': d.foreground = true; break;
		case 'l': d.use_syslog = true; break;
		case 'n': enrich = false; break;
		case 'e': d.events = true; break;
		case 'E':
			if (rules_parse_window(optarg, &d.events_interval)) {
				fprintf(stderr, "c2watchd: --events-interval: not a duration: %s\n",
					optarg);
				return 2;
			}
			d.events = true;
			break;
		case 'p': d.pretty = true; break;
		case 'i': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 86400) {
				fprintf(stderr, "c2watchd: --flush-interval must be 1-86400 seconds\n");
				return 2;
			}
			d.flush_interval = (unsigned int)v;
			break;
		}
		case 'V':
			printf("c2watchd %s uapi %d\n", C2W_VERSION,
			       C2W_UAPI_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	umask(077);
	if (d.use_syslog)
		openlog("c2watchd", LOG_PID, LOG_DAEMON);
	ecs_ctx_init(&d.ecs);
	d.ecs.enrich = enrich;
	if (load_rule_files(&d))
		return 2;
	if (open_output(&d))
		return 1;
	if (!d.foreground && daemon(0, 1)) {
		msg(&d, LOG_ERR, "daemon(): %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() wakes up */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = run(&d);
	free(d.checked);
	c2w_rs_free(d.rs);
	json_object_put(d.rule_meta);
	ecs_ctx_free(&d.ecs);
	free(d.blob);
	return ret;
}
