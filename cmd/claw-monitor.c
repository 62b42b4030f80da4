/* claw-monitor: status, live metrics, profiles of recorded events, doctor, the
 * Prometheus export and retention.  The work is in lib/monitor/; this is the verbs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/clock.h"
#include "base/err.h"
#include "monitor/doctor.h"
#include "monitor/export.h"
#include "monitor/profile.h"
#include "monitor/prune.h"
#include "monitor/sample.h"
#include "monitor/status.h"
#include "store/config.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw-monitor status [--json]\n"
    "       claw-monitor [monitor] [--metrics=LIST] [--interval S] [--count N] [--json]\n"
    "       claw-monitor profile [--duration=S] [--since AGE] [--json] [--svg FILE]\n"
    "       claw-monitor doctor [--fix] [--json]\n"
    "       claw-monitor export --prometheus\n"
    "       claw-monitor prune [--days N] [--dry-run]\n"
    "       claw-monitor help | --help | --version\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = 1; }

/* Ctrl-C, SIGTERM and a closed pipe end a loop cleanly; sleeps are cut short. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* argv[*i] is --name=V or --name V: 1 with *v set, 0 when it is not --name, -1
 * when the value is missing. */
static int
opt_value(int argc, char **argv, int *i, const char *name, const char **v)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*v = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*v = argv[++*i];
	return 1;
}

static int
bad_usage(const char *fmt, const char *what)
{
	diag(fmt, what);
	return cli_usage_error(usage);
}

static int
write_out(struct buf *b)
{
	if (b->oom)
		return err_set(EX_SOFTWARE, "out of memory"), diag_err();
	if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len && errno != EPIPE)
		return diag("stdout:"), EX_IOERR;
	buf_reset(b);
	return out_finish();
}

static int
open_store(sqlite3 **db)
{
	return store_open(db) ? diag_err() : 0;
}

/* --- status --- */

static int cmd_status(int argc, char **argv) { return status_main(argc, argv, usage); }

/* --- monitor --- */

/* The terminal's height less the header, for how often the header repeats. */
static int
page_rows(void)
{
	struct winsize ws;

	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 ? ws.ws_row - 2 : 20;
}

static void
nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
cmd_monitor(int argc, char **argv)
{
	static struct sample a, b;
	struct sample *prev = NULL, *cur = &a;
	struct buf out = BUF_INIT;
	const char *v;
	char *end;
	double interval = 1;
	long count = 0, n;
	int i, r, json = !isatty(STDOUT_FILENO), rows = 0, page, metrics = METRIC_DEFAULT, rc = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--metrics", &v)) > 0) {
			if ((metrics = sample_metrics(v)) < 0)
				return diag_err(), cli_usage_error(usage);
		} else if (!r && (r = opt_value(argc, argv, &i, "--interval", &v)) > 0) {
			interval = strtod(v, &end);
			if (*end || end == v || !(interval >= 0.01 && interval <= 86400))
				return bad_usage("--interval: want seconds from 0.01 to 86400, "
				    "not '%s'", v);
		} else if (!r && (r = opt_value(argc, argv, &i, "--count", &v)) > 0) {
			count = strtol(v, &end, 10);
			if (*end || end == v || count < 1)
				return bad_usage("--count: want a number of samples, 1 or more, "
				    "not '%s'", v);
		}
		if (r < 0)
			return bad_usage("%s: wants a value", argv[i]);
		if (!r)
			return bad_usage("monitor: unknown argument '%s'", argv[i]);
	}
	catch_signals();
	page = page_rows();
	/* The first line is the average since boot, as vmstat's; then each interval. */
	for (n = 0; !stop && (!count || n < count); n++) {
		if (n)
			nap(interval);
		if (stop)
			break;
		if (sample_take(cur, (unsigned)metrics)) {
			rc = diag_err();
			break;
		}
		if (json)
			sample_json(prev, cur, (unsigned)metrics, &out);
		else {
			if (rows++ % page == 0)
				sample_header((unsigned)metrics, cur->incg, &out);
			sample_row(prev, cur, (unsigned)metrics, &out);
		}
		if (write_out(&out) || ferror(stdout))
			break;                  /* a closed pipe ends it quietly */
		prev = cur;
		cur = cur == &a ? &b : &a;
	}
	buf_free(&out);
	return rc ? rc : out_finish();
}

/* --- profile --- */

static int
cmd_profile(int argc, char **argv)
{
	struct profile_opts o = { 0 };
	struct profile_sys sys;
	struct buf out = BUF_INIT;
	long long since = -1, duration = -1, now;
	sqlite3 *db = NULL;
	const char *v;
	int i, r, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o.json = 1;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--duration", &v)) > 0) {
			if (profile_age(v, &duration) || duration <= 0)
				return bad_usage("--duration: want a time such as 60 or 5m, "
				    "not '%s'", v);
		} else if (!r && (r = opt_value(argc, argv, &i, "--since", &v)) > 0) {
			if (profile_age(v, &since))
				return bad_usage("--since: want an age such as 90s, 1h or 7d, "
				    "not '%s'", v);
		} else if (!r && (r = opt_value(argc, argv, &i, "--svg", &v)) > 0)
			o.svg = v;
		if (r < 0)
			return bad_usage("%s: wants a value", argv[i]);
		if (!r)
			return bad_usage("profile: unknown argument '%s'", argv[i]);
	}
	if (since < 0 && duration < 0)
		since = 3600000;
	now = clock_wall_ms();
	o.from = now - (since > 0 ? since : 0);
	o.to = now + (duration > 0 ? duration : 0);
	if (duration > 0) {
		catch_signals();
		if (profile_watch(o.to, &stop, &sys))
			return diag_err();
		o.sys = &sys;
		o.to = clock_wall_ms();            /* Ctrl-C ends the window early */
	}
	if ((rc = open_store(&db)))
		return rc;
	rc = profile_report(db, &o, &out);
	store_close(db);
	if (rc && rc != EX_NORESULT) {
		buf_free(&out);
		return diag_err();
	}
	if (rc == EX_NORESULT)
		diag("no events between the window's start and end");
	r = write_out(&out);
	buf_free(&out);
	return r ? r : rc;
}

/* --- doctor --- */

struct doctor_out {
	int json;
	struct buf b;
};

static void
print_finding(const struct finding *f, void *ctx)
{
	struct doctor_out *d = ctx;
	struct buf *b = &d->b;

	if (d->json) {
		buf_adds(b, "{\"type\":\"finding\",\"check\":");
		buf_add_json_str(b, f->check, strlen(f->check));
		buf_printf(b, ",\"severity\":\"%s\",\"ok\":%s,\"message\":", f->severity,
		    f->ok ? "true" : "false");
		buf_add_json_str(b, f->message, strlen(f->message));
		buf_adds(b, ",\"fix\":");
		if (*f->fix)
			buf_add_json_str(b, f->fix, strlen(f->fix));
		else
			buf_adds(b, "null");
		if (*f->fixed) {
			buf_adds(b, ",\"fixed\":");
			buf_add_json_str(b, f->fixed, strlen(f->fixed));
		}
		buf_adds(b, "}\n");
	} else {
		buf_printf(b, "%-5s %-20s %s\n", f->ok ? "ok" : !strcmp(f->severity, "error") ?
		    "ERROR" : !strcmp(f->severity, "warning") ? "warn" : "info", f->check,
		    f->message);
		if (*f->fixed)
			buf_printf(b, "%-5s %-20s fixed: %s\n", "", "", f->fixed);
		else if (!f->ok && *f->fix)
			buf_printf(b, "%-5s %-20s fix: %s\n", "", "", f->fix);
	}
	write_out(b);
}

static int
cmd_doctor(int argc, char **argv)
{
	struct doctor_out d = { 0, BUF_INIT };
	int i, fix = 0, errors = 0, rc;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			d.json = 1;
		else if (!strcmp(argv[i], "--fix"))
			fix = 1;
		else
			return bad_usage("doctor: unknown argument '%s'", argv[i]);
	rc = doctor_run(fix, print_finding, &d, &errors);
	buf_free(&d.b);
	if (rc)
		return diag_err();
	rc = out_finish();
	return rc ? rc : errors ? EX_NORESULT : 0;
}

/* --- export, prune --- */

static int
cmd_export(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	sqlite3 *db = NULL;
	int rc;

	if (argc != 2 || strcmp(argv[1], "--prometheus"))
		return bad_usage("export: %s", "want --prometheus");
	if ((rc = open_store(&db)))
		return rc;
	rc = export_prometheus(db, &out) ? diag_err() : write_out(&out);
	store_close(db);
	buf_free(&out);
	return rc;
}

static int
cmd_prune(int argc, char **argv)
{
	sqlite3 *db = NULL;
	const char *v;
	char *val = NULL, *end;
	long long days = -1, n = 0;
	int i, r, dry = 0, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run")) {
			dry = 1;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--days", &v)) > 0) {
			days = strtoll(v, &end, 10);
			if (*end || end == v || days < 0 || days > 100000)
				return bad_usage("--days: want a number of days, not '%s'", v);
		} else if (r < 0)
			return bad_usage("%s: wants a value", argv[i]);
		else
			return bad_usage("prune: unknown argument '%s'", argv[i]);
	}
	if ((rc = open_store(&db)))
		return rc;
	if (days < 0) {
		if ((rc = config_get(db, "monitor.retention_days", &val, NULL)))
			goto out;
		days = strtoll(val, NULL, 10);
	}
	if (days == 0) {
		printf("kept: monitor.retention_days is 0\n");
		goto out;
	}
	if (!(rc = prune_events(db, clock_wall_ms() - days * 86400000LL, PRUNE_BATCH, dry, &n)))
		printf("%s %lld events older than %lld days\n", dry ? "would prune" : "pruned", n,
		    days);
out:
	free(val);
	store_close(db);
	if (rc)
		return diag_err();
	return out_finish();
}

static const struct cli_verb verbs[] = {
	{ "status", cmd_status },
	{ "monitor", cmd_monitor },
	{ "profile", cmd_profile },
	{ "doctor", cmd_doctor },
	{ "export", cmd_export },
	{ "prune", cmd_prune },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	int rc;

	diag_init(argv[0]);
	/* `claw monitor --metrics=cpu` arrives as claw-monitor --metrics=cpu: options
	 * alone (or nothing) are the monitor verb. */
	if ((rc = cli_front(argc, argv, usage)) >= 0)
		return rc;
	/* claw help VERB runs claw-monitor VERB --help. */
	if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
		return fputs(usage, stdout), out_finish();
	if (argc < 2 || argv[1][0] == '-') {
		argv[0] = "monitor";
		return cmd_monitor(argc, argv);
	}
	return cli_dispatch(argc, argv, usage, verbs);
}
