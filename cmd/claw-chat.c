/* claw-chat: a conversation turn with a model provider, or a stream of them
 * (--requests).  Options and output here; the turn itself is lib/turn.c. */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat/attach.h"
#include "base/buf.h"
#include "store/config.h"
#include "base/err.h"
#include "net/fetch.h"
#include "chat/ndjson.h"
#include "chat/session.h"
#include "store/store.h"
#include "chat/turn.h"

#define STDIN_MAX (1u << 20)
#define MAXPAR 64

static const char usage[] =
    "usage: claw-chat [-m MODEL] [-s SESSION] [-S SYSTEM] [-a FILE]... [--json] [--no-stream]\n"
    "                 [--thinking on|off] [--show-thinking] [--cache] [--no-tools]\n"
    "                 [--chain-limit N] [--retries N] [--idle-timeout SECONDS] [PROMPT...]\n"
    "       claw-chat --requests [-P N] [options]\n"
    "       claw-chat --history -s SESSION\n"
    "       claw-chat --sessions [--json]\n"
    "       claw-chat --compact -s SESSION\n";

static struct {
	const char *model, *session, *system;
	int json, stream, show_thinking, cache, tools, chain_limit, retries, par;
	int thinking;        /* -1: from config */
	long idle_timeout;
	enum { TURN, REQUESTS, HISTORY, SESSIONS, COMPACT } mode;
} opt = { NULL, NULL, NULL, 0, 1, 0, 0, 1, 8, 3, 1, -1, 120, TURN };

static volatile int interrupted;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_failed;

static void on_signal(int sig) { interrupted = sig; }

/* --- output --- */

struct sink {
	jv id;              /* the request's id, or null */
	int ended_nl;       /* text mode: did the last delta end with a newline? */
	int wrote;
};

static void
emit_json(void *ctx, jv ev)
{
	struct sink *s = ctx;

	if (jv_get_kind(s->id) != JV_KIND_NULL)
		ev = jv_object_set(ev, jv_string("id"), jv_copy(s->id));
	pthread_mutex_lock(&out_lock);
	if (ndjson_write(stdout, ev) < 0 || fflush(stdout) == EOF)
		out_failed = 1;
	pthread_mutex_unlock(&out_lock);
}

static void
emit_text(void *ctx, jv ev)
{
	struct sink *s = ctx;
	jv type = jv_object_get(jv_copy(ev), jv_string("type"));
	jv text = jv_object_get(jv_copy(ev), jv_string("text"));
	const char *t = jv_string_value(type);
	const char *x = jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : "";
	size_t n = strlen(x);

	if (strcmp(t, "delta") == 0 && n) {
		if (fwrite(x, 1, n, stdout) != n || fflush(stdout) == EOF)
			out_failed = 1;
		s->ended_nl = x[n - 1] == '\n';
		s->wrote = 1;
	} else if (strcmp(t, "reasoning") == 0 && opt.show_thinking) {
		fputs(x, stderr);
	} else if (strcmp(t, "message") == 0) {
		if (s->wrote && !s->ended_nl)
			putchar('\n');
	} else if (strcmp(t, "summary") == 0 && opt.mode == COMPACT) {
		puts(x);
	} else if (strcmp(t, "error") == 0) {
		jv m = jv_object_get(jv_copy(ev), jv_string("message"));
		if (s->wrote && !s->ended_nl)
			putchar('\n');
		fflush(stdout);
		diag("%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "error");
		jv_free(m);
	}
	jv_free(type);
	jv_free(text);
	jv_free(ev);
}

/* --- one turn's settings from options, config and a request --- */

struct job {
	jv req;             /* the request object ({} for a command-line turn) */
	char *prompt;
};

static char *
conf(sqlite3 *db, const char *key)
{
	char *v = NULL;

	config_get(db, key, &v, NULL);
	return v;
}

static const char *
req_str(jv req, const char *k, jv *hold)
{
	*hold = jv_object_get(jv_copy(req), jv_string(k));
	return jv_get_kind(*hold) == JV_KIND_STRING ? jv_string_value(*hold) : NULL;
}

static int
run_turn(sqlite3 *db, void *http, struct job *j)
{
	struct turn_opts o = { 0 };
	struct sink s = { jv_object_get(jv_copy(j->req), jv_string("id")), 1, 0 };
	struct buf text = BUF_INIT;
	char *model = NULL, *thinking = NULL, *ttl = NULL, *keep = NULL;
	jv h1, h2, h3, h4, atts;
	const char *m, *p;
	int rc = 0;

	if (jv_get_kind(s.id) == JV_KIND_INVALID)
		s.id = jv_null();
	o.images = jv_array();
	o.messages = jv_object_get(jv_copy(j->req), jv_string("messages"));
	if (jv_get_kind(o.messages) != JV_KIND_ARRAY) {
		jv_free(o.messages);
		o.messages = jv_null();
	}
	o.session = req_str(j->req, "session", &h1);
	if (!o.session)
		o.session = opt.session;
	o.system = req_str(j->req, "system", &h2);
	if (!o.system)
		o.system = opt.system;
	m = req_str(j->req, "model", &h3);
	p = req_str(j->req, "prompt", &h4);
	if (p)
		buf_adds(&text, p);
	else if (j->prompt)
		buf_adds(&text, j->prompt);

	model = m ? strdup(m) : opt.model ? strdup(opt.model) : conf(db, "model");
	if (!model || config_check("model", model)) {
		rc = err_code() ? err_code() : EX_CONFIG;
		goto fail;
	}
	o.models = model;
	thinking = conf(db, "thinking");
	o.thinking = opt.thinking >= 0 ? opt.thinking : thinking && strcmp(thinking, "on") == 0;
	ttl = conf(db, "cache.ttl");
	o.cache_ttl = ttl ? atol(ttl) : 0;
	o.cache = opt.cache || o.cache_ttl > 0;
	keep = conf(db, "context.keep_recent");
	o.keep_recent = keep ? atol(keep) : 2000;
	o.stream = opt.stream;
	o.tools = opt.tools;
	o.chain_limit = opt.chain_limit;
	o.retries = opt.retries;
	o.idle_timeout = opt.idle_timeout;
	o.compact_only = opt.mode == COMPACT;
	o.cancel = &interrupted;

	atts = jv_object_get(jv_copy(j->req), jv_string("attachments"));
	if (jv_get_kind(atts) == JV_KIND_ARRAY) {
		jv_array_foreach(atts, i, a) {
			if (!rc && jv_get_kind(a) == JV_KIND_STRING)
				rc = attach_load(jv_string_value(a), &text, &o.images);
			else if (!rc)
				rc = err_set(EX_DATAERR, "attachments: want an array of file names");
			jv_free(a);
		}
	}
	jv_free(atts);
	if (rc)
		goto fail;
	if (!o.compact_only && jv_get_kind(o.messages) == JV_KIND_NULL && text.len == 0
	    && jv_array_length(jv_copy(o.images)) == 0) {
		rc = err_set(EX_DATAERR, "nothing to say: give a prompt or messages");
		goto fail;
	}
	if (text.oom) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto fail;
	}
	o.prompt = text.p ? text.p : "";
	rc = turn_run(db, http, &o, opt.json || opt.mode == REQUESTS ? emit_json : emit_text, &s);
	goto out;
fail:
	(opt.json || opt.mode == REQUESTS ? emit_json : emit_text)(&s,
	    jv_object_set(jv_object_set(jv_object_set(jv_object(), jv_string("type"), jv_string("error")),
	    jv_string("code"), jv_number(rc)), jv_string("message"), jv_string(err_msg())));
out:
	jv_free(h1); jv_free(h2); jv_free(h3); jv_free(h4);
	jv_free(s.id);
	jv_free(o.images);
	jv_free(o.messages);
	buf_free(&text);
	free(model); free(thinking); free(ttl); free(keep);
	return rc;
}

/* --- --requests: a reader, N workers, a bounded queue between them --- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct job *q[MAXPAR * 2];
	int head, n, eof, rc;
} queue = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0, 0 };

static void
note_rc(int rc)
{
	pthread_mutex_lock(&queue.lock);
	if (rc && !queue.rc)
		queue.rc = rc;
	pthread_mutex_unlock(&queue.lock);
}

static void *
worker(void *arg)
{
	sqlite3 *db = NULL;
	void *http = fetch_handle();
	int rc = store_open(&db);

	(void)arg;
	for (;;) {
		struct job *j;
		pthread_mutex_lock(&queue.lock);
		while (queue.n == 0 && !queue.eof)
			pthread_cond_wait(&queue.more, &queue.lock);
		if (queue.n == 0) {
			pthread_mutex_unlock(&queue.lock);
			break;
		}
		j = queue.q[queue.head];
		queue.head = (queue.head + 1) % (int)(sizeof queue.q / sizeof queue.q[0]);
		queue.n--;
		pthread_cond_signal(&queue.room);
		pthread_mutex_unlock(&queue.lock);
		if (rc || !http) {
			struct sink s = { jv_object_get(jv_copy(j->req), jv_string("id")), 0, 0 };
			emit_json(&s, jv_object_set(jv_object_set(jv_object_set(jv_object(), jv_string("type"),
			    jv_string("error")), jv_string("code"), jv_number(rc ? rc : EX_SOFTWARE)),
			    jv_string("message"), jv_string(rc ? err_msg() : "cannot start libcurl")));
			jv_free(s.id);
			note_rc(rc ? rc : EX_SOFTWARE);
		} else
			note_rc(run_turn(db, http, j));
		jv_free(j->req);
		free(j);
	}
	store_close(db);
	fetch_handle_free(http);
	return NULL;
}

static int
enqueue(jv rec, long lineno, void *ctx)
{
	struct job *j;

	(void)ctx;
	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);
		struct sink s = { jv_null(), 0, 0 };
		emit_json(&s, ndjson_error_event(EX_DATAERR, lineno,
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "malformed line"));
		jv_free(msg);
		note_rc(EX_DATAERR);
		return 0;
	}
	if (!(j = calloc(1, sizeof *j))) {
		jv_free(rec);
		return err_set(EX_SOFTWARE, "out of memory");
	}
	j->req = rec;
	pthread_mutex_lock(&queue.lock);
	while (queue.n == (int)(sizeof queue.q / sizeof queue.q[0]))
		pthread_cond_wait(&queue.room, &queue.lock);
	queue.q[(queue.head + queue.n) % (int)(sizeof queue.q / sizeof queue.q[0])] = j;
	queue.n++;
	pthread_cond_signal(&queue.more);
	pthread_mutex_unlock(&queue.lock);
	return 0;
}

static int
requests(void)
{
	pthread_t tids[MAXPAR];
	int i, n = opt.par, rc;

	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL)) {
			n = i;
			break;
		}
	if (n == 0)
		return err_set(EX_TEMPFAIL, "cannot start a worker thread"), diag_err();
	rc = ndjson_each(stdin, NDJSON_MAXLINE, enqueue, NULL);
	pthread_mutex_lock(&queue.lock);
	queue.eof = 1;
	pthread_cond_broadcast(&queue.more);
	pthread_mutex_unlock(&queue.lock);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	if (rc)
		return diag_err();
	return queue.rc;
}

/* --- history and sessions --- */

static int
print_event(jv ev, void *ctx)
{
	int json = *(int *)ctx;

	if (json)
		return ndjson_write(stdout, ev) < 0 ? err_set(EX_IOERR, "stdout:") : 0;
	{
		jv name = jv_object_get(jv_copy(ev), jv_string("name"));
		jv n = jv_object_get(jv_copy(ev), jv_string("messages"));
		printf("%s\t%d\n", jv_string_value(name), (int)jv_number_value(n));
		jv_free(name);
		jv_free(n);
		jv_free(ev);
	}
	return 0;
}

static int
read_stdin(struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (b->len + n > STDIN_MAX)
			return err_set(EX_DATAERR, "stdin: over %u bytes: attach big files with -a, or cut them", STDIN_MAX);
		buf_add(b, chunk, n);
	}
	if (ferror(stdin))
		return err_set(EX_IOERR, "stdin:");
	return 0;
}

static long
number(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi) {
		diag("%s: want a number from %ld to %ld", what, lo, hi);
		fputs(usage, stderr);
		exit(EX_USAGE);
	}
	return v;
}

int
main(int argc, char **argv)
{
	enum { O_JSON = 256, O_NOSTREAM, O_THINKING, O_SHOWTHINK, O_CACHE, O_NOTOOLS, O_CHAIN,
	    O_RETRIES, O_IDLE, O_REQUESTS, O_HISTORY, O_SESSIONS, O_COMPACT, O_HELP, O_VERSION };
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' }, { "session", required_argument, NULL, 's' },
		{ "system", required_argument, NULL, 'S' }, { "attach", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, O_JSON }, { "no-stream", no_argument, NULL, O_NOSTREAM },
		{ "thinking", required_argument, NULL, O_THINKING },
		{ "show-thinking", no_argument, NULL, O_SHOWTHINK }, { "cache", no_argument, NULL, O_CACHE },
		{ "no-tools", no_argument, NULL, O_NOTOOLS }, { "chain-limit", required_argument, NULL, O_CHAIN },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "requests", no_argument, NULL, O_REQUESTS }, { "parallel", required_argument, NULL, 'P' },
		{ "history", no_argument, NULL, O_HISTORY }, { "sessions", no_argument, NULL, O_SESSIONS },
		{ "compact", no_argument, NULL, O_COMPACT }, { "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION }, { NULL, 0, NULL, 0 },
	};
	struct buf prompt = BUF_INIT, in = BUF_INIT;
	struct sigaction sa;
	static char **attachments;     /* static: an early return leaves it reachable, not lost */
	int natt = 0, c, i, rc = 0;
	sqlite3 *db = NULL;
	void *http = NULL;

	diag_init(argv[0]);
	if (!(attachments = calloc((size_t)argc, sizeof *attachments)))
		return EX_SOFTWARE;
	while ((c = getopt_long(argc, argv, "m:s:S:a:P:", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': opt.model = optarg; break;
		case 's': opt.session = optarg; break;
		case 'S': opt.system = optarg; break;
		case 'a': attachments[natt++] = optarg; break;
		case 'P': opt.par = (int)number(optarg, "-P", 1, MAXPAR); break;
		case O_JSON: opt.json = 1; break;
		case O_NOSTREAM: opt.stream = 0; break;
		case O_THINKING:
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				diag("--thinking: want on or off");
				return EX_USAGE;
			}
			opt.thinking = strcmp(optarg, "on") == 0;
			break;
		case O_SHOWTHINK: opt.show_thinking = 1; break;
		case O_CACHE: opt.cache = 1; break;
		case O_NOTOOLS: opt.tools = 0; break;
		case O_CHAIN: opt.chain_limit = (int)number(optarg, "--chain-limit", 0, 1000); break;
		case O_RETRIES: opt.retries = (int)number(optarg, "--retries", 0, 100); break;
		case O_IDLE: opt.idle_timeout = number(optarg, "--idle-timeout", 1, 86400); break;
		case O_REQUESTS: opt.mode = REQUESTS; break;
		case O_HISTORY: opt.mode = HISTORY; break;
		case O_SESSIONS: opt.mode = SESSIONS; break;
		case O_COMPACT: opt.mode = COMPACT; break;
		case O_HELP: fputs(usage, stdout); return out_finish();
		case O_VERSION: puts("claw-chat " CLAW_VERSION); return out_finish();
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (opt.model && config_check("model", opt.model))
		return diag_err();
	if ((opt.mode == HISTORY || opt.mode == COMPACT) && !opt.session) {
		diag("--%s needs -s SESSION", opt.mode == HISTORY ? "history" : "compact");
		return EX_USAGE;
	}
	if (opt.mode != TURN && (argc > 0 || natt > 0)) {
		diag("a prompt and -a go with a single turn, not with --%s",
		    opt.mode == REQUESTS ? "requests" : opt.mode == HISTORY ? "history" :
		    opt.mode == SESSIONS ? "sessions" : "compact");
		return EX_USAGE;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opt.mode == REQUESTS) {
		rc = requests();
		goto done;
	}
	if ((rc = store_open(&db))) {
		rc = diag_err();
		goto done;
	}
	if (opt.mode == SESSIONS || opt.mode == HISTORY) {
		long long sid;
		int json = opt.mode == HISTORY || opt.json;
		if (opt.mode == SESSIONS)
			rc = session_list(db, print_event, &json);
		else if ((rc = session_open(db, opt.session, 0, &sid)) == 0)
			rc = session_history(db, sid, print_event, &json);
		else if (rc == EX_NORESULT)
			rc = err_set(EX_NOINPUT, "%s: no such session", opt.session);
		if (rc)
			rc = diag_err();
		goto done;
	}

	for (i = 0; i < argc; i++)
		buf_printf(&prompt, "%s%s", i ? " " : "", argv[i]);
	if (opt.mode == TURN && !isatty(0)) {
		if ((rc = read_stdin(&in))) {
			rc = diag_err();
			goto done;
		}
		if (in.len)
			buf_printf(&prompt, "%s%.*s", prompt.len ? "\n\n" : "", (int)in.len, in.p);
	}
	if (opt.mode == TURN && prompt.len == 0 && natt == 0) {
		diag("nothing to say: give a PROMPT, pipe text in, or use --requests");
		fputs(usage, stderr);
		rc = EX_USAGE;
		goto done;
	}
	if (!(http = fetch_handle())) {
		rc = err_set(EX_SOFTWARE, "cannot start libcurl"), diag_err();
		goto done;
	}
	{
		struct job j = { jv_object(), prompt.p };
		jv atts = jv_array();
		for (i = 0; i < natt; i++)
			atts = jv_array_append(atts, jv_string(attachments[i]));
		j.req = jv_object_set(j.req, jv_string("attachments"), atts);
		rc = run_turn(db, http, &j);
		jv_free(j.req);
	}
done:
	store_close(db);
	fetch_handle_free(http);
	buf_free(&prompt);
	buf_free(&in);
	free(attachments);
	if (out_failed && !rc)
		rc = EX_IOERR;
	if (!rc)
		rc = out_finish();
	return rc;
}
