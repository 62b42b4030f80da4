/* claw-channel: the messaging channels (Telegram, WhatsApp, Discord, Signal) behind
 * `claw channel`:
 * add and remove them, poll and answer, the webhook ingest the gateway runs. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/err.h"
#include "base/file.h"
#include "base/line.h"
#include "base/path.h"
#include "channel/admin.h"
#include "channel/chan.h"
#include "channel/queue.h"
#include "channel/work.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

#define BODY_MAX (4u << 20)          /* a webhook body on standard input */
#define ONCE_WAIT_MS 30000           /* poll --once: retries due within this are waited for */

static const char usage[] =
    "usage: claw-channel add telegram|whatsapp|discord|signal [--token=TOKEN|-]\n"
    "                    [--phone-number-id=ID] [--base-url=URL] [--no-check]\n"
    "       claw-channel list [--json]\n"
    "       claw-channel remove NAME\n"
    "       claw-channel status [--json] [NAME]\n"
    "       claw-channel queue [--dead] [--retry=ID|all] [--json] [NAME]\n"
    "       claw-channel pair list [--json] [NAME] | approve NAME CODE | deny NAME CODE\n"
    "       claw-channel poll [--once] NAME\n"
    "       claw-channel work NAME\n"
    "       claw-channel ingest NAME\n"
    "       claw-channel webhook NAME URL | --delete NAME\n"
    "       claw-channel -h | --help | --version\n";

/* The options of one verb: --name or --name=VALUE, anything else positional. */
struct opts {
	const char *token, *phone, *base, *retry;
	int json, dead, once, nocheck, del;
	char *pos[4];
	int npos;
};

static int
parse(int argc, char **argv, const char *allowed, struct opts *o, int minpos, int maxpos)
{
	static const struct { const char *name; int value; } known[] = {
		{ "--token", 1 }, { "--phone-number-id", 1 }, { "--base-url", 1 }, { "--retry", 1 },
		{ "--json", 0 }, { "--dead", 0 }, { "--once", 0 }, { "--no-check", 0 },
		{ "--delete", 0 },
	};
	int i;
	size_t k;

	memset(o, 0, sizeof *o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
			if (o->npos == maxpos || o->npos == 4)
				return cli_usage_error(usage);
			o->pos[o->npos++] = argv[i];
			continue;
		}
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strlen(known[k].name) == nl && strncmp(a, known[k].name, nl) == 0)
				break;
		if (k == sizeof known / sizeof known[0] || !strstr(allowed, known[k].name)
		    || (known[k].value != !!eq))
			return cli_usage_error(usage);
		switch (k) {
		case 0: o->token = eq + 1; break;
		case 1: o->phone = eq + 1; break;
		case 2: o->base = eq + 1; break;
		case 3: o->retry = eq + 1; break;
		case 4: o->json = 1; break;
		case 5: o->dead = 1; break;
		case 6: o->once = 1; break;
		case 7: o->nocheck = 1; break;
		case 8: o->del = 1; break;
		}
	}
	return o->npos < minpos ? cli_usage_error(usage) : 0;
}

static int
open_store(sqlite3 **db)
{
	int rc = store_open(db);

	return rc ? diag_err() : 0;
}

/* One line from standard input: the token, never on the command line. */
static int
read_token(char **tok)
{
	size_t len = 0, cap = 0;
	int toolong = 0, r;

	*tok = NULL;
	setvbuf(stdin, NULL, _IONBF, 0);
	r = line_read(stdin, 4096, tok, &len, &cap, &toolong);
	if (r <= 0 || toolong || !len) {
		free(*tok);
		*tok = NULL;
		return err_set(EX_DATAERR, "want the token as one line on standard input");
	}
	return 0;
}

static int
v_add(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	char *tok = NULL;
	int rc;

	if ((rc = parse(argc, argv, "--token --phone-number-id --base-url --no-check", &o, 1, 1)))
		return rc;
	if (!chan_conn(o.pos[0])) {
		diag("%s: unknown channel kind (want %s)", o.pos[0], chan_kinds());
		return EX_USAGE;
	}
	if (o.token && strcmp(o.token, "-") == 0 && (rc = read_token(&tok)))
		return diag_err();
	if (o.token && strcmp(o.token, "-"))
		diag("warning: --token: a value on the command line can be read by other users"
		    " (ps); --token=- reads it from standard input");
	if ((rc = open_store(&db)))
		return rc;
	rc = chan_add(db, o.pos[0], tok ? tok : o.token, o.phone, o.base, !o.nocheck);
	if (tok)
		secret_free(tok);
	store_close(db);
	return rc ? diag_err() : out_finish();
}

static int
v_list(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	int rc;

	if ((rc = parse(argc, argv, "--json", &o, 0, 0)) || (rc = open_store(&db)))
		return rc;
	rc = chan_list(db, o.json, stdout);
	store_close(db);
	return rc ? diag_err() : out_finish();
}

static int
v_remove(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	int rc;

	if ((rc = parse(argc, argv, "", &o, 1, 1)) || (rc = open_store(&db)))
		return rc;
	rc = chan_remove(db, o.pos[0]);
	store_close(db);
	return rc ? diag_err() : out_finish();
}

static int
v_status(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	int rc;

	if ((rc = parse(argc, argv, "--json", &o, 0, 1)) || (rc = open_store(&db)))
		return rc;
	rc = chan_status(db, o.pos[0], o.json, stdout);
	store_close(db);
	return rc ? diag_err() : out_finish();
}

static int
v_queue(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	long long id = 0;
	long n = 0;
	char *end;
	int rc;

	if ((rc = parse(argc, argv, "--dead --retry --json", &o, 0, 1)))
		return rc;
	if (o.retry && strcmp(o.retry, "all") && ((id = strtoll(o.retry, &end, 10)) <= 0 || *end)) {
		diag("--retry: want a part's ID or all");
		return EX_USAGE;
	}
	if ((rc = open_store(&db)))
		return rc;
	if (o.retry) {
		if ((rc = chan_requeue(db, o.pos[0], id, &n)) == 0)
			printf("requeued %ld\n", n);
		if (!rc && n == 0)
			rc = err_set(EX_NORESULT, "no dead letter %s", o.retry);
	} else
		rc = chan_queue(db, o.pos[0], o.dead, o.json, stdout);
	store_close(db);
	return rc ? (rc == EX_NORESULT ? (out_finish(), EX_NORESULT) : diag_err()) : out_finish();
}

static void spawn_work(const char *name);

static int
v_pair(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	int rc, list;

	if ((rc = parse(argc, argv, "--json", &o, 1, 3)))
		return rc;
	list = strcmp(o.pos[0], "list") == 0;
	if (list ? o.npos > 2 : (strcmp(o.pos[0], "approve") && strcmp(o.pos[0], "deny"))
	    || o.npos != 3 || o.json)
		return cli_usage_error(usage);
	if ((rc = open_store(&db)))
		return rc;
	rc = list ? chan_pair_list(db, o.pos[1], o.json, stdout)
	    : chan_pair_decide(db, o.pos[1], o.pos[2], strcmp(o.pos[0], "approve") == 0, stdout);
	store_close(db);
	if (rc)
		return diag_err();
	if ((rc = out_finish()))
		return rc;
	/* A channel with no poller of its own sends "you are in" now. */
	if (!list && strcmp(o.pos[0], "approve") == 0 && chan_conn(o.pos[1])
	    && !chan_conn(o.pos[1])->poll)
		spawn_work(o.pos[1]);
	return 0;
}

/* $CLAW_HOME/run/channel-NAME.lock, held while this process polls or works. */
static int
lock(const char *name, int wait)
{
	char path[4096], rel[96];
	int fd;

	snprintf(rel, sizeof rel, "run/channel-%s.lock", name);
	if (path_mkhome("run") || path_in_home(path, sizeof path, rel))
		return -err_set(EX_CANTCREAT, "%s: cannot create it", rel);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -err_set(EX_CANTCREAT, "%s:", path);
	if (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -err_set(EX_TEMPFAIL, "%s: another poller runs", name);
	}
	return fd;
}

/* Answer what waits and send what is due; wait_ms as work_send. */
static int
drain(struct chan *c, long long wait_ms)
{
	int n;

	while ((n = work_turns(c)) > 0)
		if ((n = work_send(c, 0)) < 0)
			return -n;
	if (n < 0 || (n = work_send(c, wait_ms)) < 0)
		return -n;
	return telemetry_flush(&c->tel, c->db), 0;
}

static int
serve(const char *name, int poll, int once)
{
	struct chan c;
	sqlite3 *db;
	int rc, fd, stored;
	long long due;

	if ((fd = lock(name, !poll)) < 0)
		return diag_err();
	if ((rc = open_store(&db))) {
		close(fd);
		return rc;
	}
	if ((rc = chan_open(&c, db, name, 1)) == 0 && (rc = q_recover(&c)) == 0)
		for (;;) {
			if (poll) {
				due = work_next_due(&c);
				rc = work_poll(&c, once ? 0 : due < 0 || due / 1000 > c.poll_timeout
				    ? (int)c.poll_timeout : (int)(due / 1000), &stored);
				if (rc == EX_TEMPFAIL && !once) {
					diag("%s", err_msg());
					sleep(5);      /* the service is away: try again soon */
					rc = 0;
				}
				if (rc)
					break;
			}
			if ((rc = drain(&c, once || !poll ? ONCE_WAIT_MS : 0)) || once || !poll)
				break;
		}
	if (rc)
		diag_err();
	chan_close(&c);
	store_close(db);
	close(fd);
	return rc;
}

static int
v_poll(int argc, char **argv)
{
	struct opts o;
	int rc;

	if ((rc = parse(argc, argv, "--once", &o, 1, 1)))
		return rc;
	return serve(o.pos[0], 1, o.once);
}

static int
v_work(int argc, char **argv)
{
	struct opts o;
	int rc;

	if ((rc = parse(argc, argv, "", &o, 1, 1)))
		return rc;
	return serve(o.pos[0], 0, 1);
}

/* `claw-channel work NAME` detached (its own session, stdio away from the gateway),
 * so that the webhook is answered now and the turn runs after. */
static void
spawn_work(const char *name)
{
	char prog[4096], log[4096];
	pid_t pid;
	int fd;

	if (getenv("CLAW_CHANNEL_NO_WORK") || path_find_prog("claw-channel", prog, sizeof prog))
		return;
	if ((pid = fork()) == 0) {
		setsid();
		if (fork() == 0) {
			char *av[] = { prog, "work", (char *)name, NULL };
			if ((fd = open("/dev/null", O_RDWR)) >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
			}
			if (path_in_home(log, sizeof log, "channel.log") == 0
			    && (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600)) >= 0)
				dup2(fd, 2);
			execv(prog, av);
			_exit(127);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int
v_ingest(int argc, char **argv)
{
	struct buf body = BUF_INIT;
	struct opts o;
	struct chan c;
	sqlite3 *db;
	int rc, stored = 0, dups = 0;

	if ((rc = parse(argc, argv, "", &o, 1, 1)))
		return rc;
	if ((rc = file_read_fd(0, "standard input", BODY_MAX, &body)))
		return diag_err();
	if ((rc = open_store(&db))) {
		buf_free(&body);
		return rc;
	}
	if ((rc = chan_open(&c, db, o.pos[0], 0)) == 0)
		rc = work_ingest(&c, body.p ? body.p : "", body.len, &stored, &dups);
	chan_close(&c);
	store_close(db);
	buf_free(&body);
	if (rc)
		return diag_err();
	printf("{\"type\":\"stored\",\"stored\":%d,\"duplicates\":%d}\n", stored, dups);
	if ((rc = out_finish()))
		return rc;
	if (stored)
		spawn_work(o.pos[0]);
	return 0;
}

static int
v_webhook(int argc, char **argv)
{
	struct opts o;
	sqlite3 *db;
	int rc;

	if ((rc = parse(argc, argv, "--delete", &o, 1, 2)) || (o.del ? o.npos != 1 : o.npos != 2))
		return rc ? rc : cli_usage_error(usage);
	if ((rc = open_store(&db)))
		return rc;
	rc = chan_webhook(db, o.pos[0], o.del ? NULL : o.pos[1], stdout);
	store_close(db);
	return rc ? diag_err() : out_finish();
}

static const struct cli_verb verbs[] = {
	{ "add", v_add }, { "list", v_list }, { "remove", v_remove }, { "status", v_status },
	{ "queue", v_queue }, { "pair", v_pair }, { "poll", v_poll }, { "work", v_work },
	{ "ingest", v_ingest }, { "webhook", v_webhook }, { NULL, NULL },
};

int
main(int argc, char **argv)
{
	diag_init(argv[0]);
	if (secret_harden())
		return diag_err();
	return cli_dispatch(argc, argv, usage, verbs);
}
