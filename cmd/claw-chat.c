/* claw-chat: a conversation turn with a model provider, or a stream of them
 * (--requests).  Options and output here; the turn itself is lib/chat/turn.c. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/err.h"
#include "base/file.h"
#include "base/pool.h"   /* POOL_MAXWORKERS */
#include "chat/ndjson.h"
#include "chat/requests.h"
#include "chat/provider.h"
#include "chat/session.h"
#include "chat/turn.h"
#include "media/media.h"
#include "net/fetch.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

#define STDIN_MAX (1u << 20)

static const char usage[] =
    "usage: claw-chat [-m MODEL] [-s SESSION] [-S SYSTEM] [-a FILE]... [--json] [--no-stream]\n"
    "                 [--thinking on|off] [--show-thinking] [--cache]\n"
    "                 [--tools auto|all|none] [--no-tools]\n"
    "                 [--chain-limit N] [--retries N] [--idle-timeout SECONDS]\n"
    "                 [--max-tokens N] [--speak FILE|-] [--format FORMAT] [PROMPT ...]\n"
    "       claw-chat --transcribe FILE [--json]\n"
    "       claw-chat --say FILE|- [--format FORMAT] [TEXT ...]\n"
    "       claw-chat --requests [-P N] [options]\n"
    "       claw-chat --history -s SESSION\n"
    "       claw-chat --sessions [--json]\n"
    "       claw-chat --compact -s SESSION\n"
    "       claw-chat -h | --help | --version\n";

enum mode { TURN, REQUESTS, HISTORY, SESSIONS, COMPACT, TRANSCRIBE, SAY };
static const char *const mode_name[] = {
	[TURN] = "turn", [REQUESTS] = "requests", [HISTORY] = "history", [SESSIONS] = "sessions",
	[COMPACT] = "compact", [TRANSCRIBE] = "transcribe", [SAY] = "say",
};

/* The command line: flags here, settings as config keys and values for turn_opts_set. */
#define MAXSET 8
static struct {
	const char *session, *system;
	int json, show_thinking, cache, nostream, par;
	int mode;           /* enum mode */
	struct { const char *key, *value; } set[MAXSET];
	int nset;
	jv atts;            /* -a FILE... */
	const char *audio, *speak, *format;   /* --transcribe or --say FILE, --speak FILE */
} opt = { .par = 1 };

static struct turn_opts base;   /* the config with the command line over it */
static struct media_svc stt, tts;   /* the stt and tts config (media/), keys borrowed */
static struct provider stt_key, tts_key;
static struct buf answer;           /* --speak: the last answer's text */
static int stt_rc;                  /* why stt cannot be had, said at the first audio */
static char stt_why[300];
static volatile int interrupted;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_failed;
static volatile int out_closed;  /* the reader went away (| head -1): stop, quietly */

/* A write to stdout failed: a closed pipe stops the turn as an interrupt would
 * (what arrived is stored) and is no failure; any other error is. */
static void
out_error(void)
{
	if (errno == EPIPE) {
		out_closed = 1;
		interrupted = SIGPIPE;
	} else
		out_failed = 1;
}

static void on_signal(int sig) { interrupted = sig; }

/* --- output --- */

struct sink {
	jv id;              /* the request's id, or null */
	int ended_nl;       /* text mode: did the last delta end with a newline? */
	int wrote;
	int thinking;       /* text mode: reasoning on stderr that wants its newline */
};

static void
emit_json(void *ctx, jv ev)
{
	struct sink *s = ctx;

	if (jv_get_kind(s->id) != JV_KIND_NULL)
		ev = jv_object_set(ev, jv_string("id"), jv_copy(s->id));
	pthread_mutex_lock(&out_lock);
	if (!out_closed && (ndjson_write(stdout, ev) < 0 || fflush(stdout) == EOF))
		out_error();
	else if (out_closed)
		jv_free(ev);
	pthread_mutex_unlock(&out_lock);
}

static void
emit_text(void *ctx, jv ev)
{
	struct sink *s = ctx;
	jv type = jv_object_get(jv_copy(ev), jv_string("type"));
	jv text = jv_object_get(jv_copy(ev), jv_string(strcmp(jv_string_value(type), "error") == 0
	    ? "message" : "text"));
	const char *t = jv_string_value(type);
	const char *x = jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : "";
	size_t n = strlen(x);

	if (s->thinking && strcmp(t, "reasoning") != 0 && strcmp(t, "tool_call") != 0
	    && strcmp(t, "tool_result") != 0 && strcmp(t, "tools") != 0) {
		fputc('\n', stderr);      /* the reasoning ends before the answer starts */
		s->thinking = 0;
	}
	if (out_closed) {
		;                         /* nobody reads: no output, no diagnostics */
	} else if (strcmp(t, "delta") == 0 && n) {
		if (fwrite(x, 1, n, stdout) != n || fflush(stdout) == EOF)
			out_error();
		s->ended_nl = x[n - 1] == '\n';
		s->wrote = 1;
	} else if (strcmp(t, "reasoning") == 0 && opt.show_thinking && n) {
		fputs(x, stderr);
		s->thinking = x[n - 1] != '\n';
	} else if (strcmp(t, "summary") == 0 && opt.mode == COMPACT) {
		if (puts(x) == EOF)
			out_error();
	} else if (strcmp(t, "notice") == 0) {
		diag("%s: %s", opt.session ? opt.session : "session", x);
	} else if (strcmp(t, "message") == 0 || strcmp(t, "error") == 0) {
		if (s->wrote && !s->ended_nl)
			putchar('\n');
		if (fflush(stdout) == EOF)
			out_error();
		if (*t == 'e' && !out_closed)
			diag("%s", n ? x : "error");
	}
	jv_free(type);
	jv_free(text);
	jv_free(ev);
}

/* --speak: the answer's text kept for speaking, the event passed on. */
static void
emit_keep(void *ctx, jv ev)
{
	jv type = jv_object_get(jv_copy(ev), jv_string("type"));
	jv text = jv_object_get(jv_copy(ev), jv_string("text"));

	if (jv_get_kind(type) == JV_KIND_STRING && strcmp(jv_string_value(type), "message") == 0
	    && jv_get_kind(text) == JV_KIND_STRING) {
		buf_reset(&answer);
		buf_adds(&answer, jv_string_value(text));
	}
	jv_free(type);
	jv_free(text);
	(opt.json ? emit_json : emit_text)(ctx, ev);
}

static turn_emit_fn *
sink_fn(void)
{
	if (opt.speak && opt.mode == TURN)
		return emit_keep;
	return opt.json || opt.mode == REQUESTS ? emit_json : emit_text;
}

/* --- one turn: the base options with a request's fields over them --- */

/* req is the request object (borrowed; {} for a command-line turn, invalid for a
 * bad line), prompt the command line's words or NULL; failed: the store or libcurl
 * could not start (err says why) and the request gets only an error event. */
static int
run_turn(sqlite3 *db, void *http, jv req, long lineno, const char *prompt, int failed)
{
	struct sink s = { .id = jv_null(), .ended_nl = 1 };
	jv id = jv_get_kind(req) == JV_KIND_OBJECT
	    ? jv_object_get(jv_copy(req), jv_string("id")) : s.id;
	int rc = failed;

	s.id = jv_is_valid(id) ? id : jv_null();
	base.cancel = &interrupted;
	if (failed)
		sink_fn()(&s, ndjson_error_event(rc, 0, err_msg()));
	else
		rc = turn_request(db, http, &base, req, lineno, prompt, sink_fn(), &s);
	jv_free(s.id);
	return rc;
}

/* --- --requests: lib/chat/requests.c reads them; each is run_turn's --- */

static int
request_turn(sqlite3 *db, void *http, jv req, long lineno, int failed, void *ctx)
{
	return run_turn(db, http, req, lineno, NULL, failed);
}

static int
requests(sqlite3 *db, int argc, char **argv)
{
	int jobs, rc = requests_run(stdin, opt.par, request_turn, NULL, &out_closed, &jobs);

	return out_closed ? 0 : rc ? diag_err() : jobs;
}

/* --- history, sessions, compaction --- */

static int
print_event(jv ev, void *ctx)
{
	jv name, n;

	if (*(int *)ctx)
		return ndjson_write(stdout, ev) < 0 ? err_set(EX_IOERR, "stdout:") : 0;
	name = jv_object_get(jv_copy(ev), jv_string("name"));
	n = jv_object_get(ev, jv_string("messages"));
	printf("%s\t%d\n", jv_string_value(name), (int)jv_number_value(n));
	jv_free(name);
	jv_free(n);
	return 0;
}

static int
history(sqlite3 *db, int argc, char **argv)
{
	long long sid;
	int json = 1, rc = session_open(db, opt.session, 0, &sid);

	if (rc == EX_NORESULT)
		rc = err_set(EX_NOINPUT, "%s: no such session", opt.session);
	if (!rc)
		rc = session_history(db, sid, print_event, &json);
	return rc ? diag_err() : 0;
}

static int
sessions(sqlite3 *db, int argc, char **argv)
{
	return session_list(db, print_event, &opt.json) ? diag_err() : 0;
}

/* --- a turn from the command line: the words, stdin when piped, -a files --- */

static int
one_turn(sqlite3 *db, int argc, char **argv)
{
	struct buf prompt = BUF_INIT;
	jv req = jv_object();
	void *http = NULL;
	int i, rc = 0;

	for (i = 0; i < argc; i++)
		buf_printf(&prompt, "%s%s", i ? " " : "", argv[i]);
	if (opt.mode == TURN && !isatty(0)) {
		struct buf in = BUF_INIT;
		if ((rc = file_read_fd(0, "stdin", STDIN_MAX, &in)) == EX_DATAERR)
			err_set(rc, "stdin: over %u bytes: attach big files with -a, or cut them",
			    STDIN_MAX);
		if (!rc && in.len)
			buf_printf(&prompt, "%s%.*s", prompt.len ? "\n\n" : "", (int)in.len, in.p);
		buf_free(&in);
	}
	req = jv_object_set(req, jv_string("attachments"), jv_copy(opt.atts));
	if (rc)
		rc = diag_err();
	else if (opt.mode == TURN && prompt.len == 0 && jv_array_length(jv_copy(opt.atts)) == 0) {
		diag("nothing to say: give a PROMPT, pipe text in, or use --requests");
		rc = cli_usage_error(usage);
	} else if (!(http = fetch_handle()))
		rc = err_set(EX_SOFTWARE, "cannot start libcurl"), diag_err();
	else if (!(rc = run_turn(db, http, req, 0, prompt.p, 0)) && opt.speak
	    && (rc = media_speak(&tts, answer.p ? answer.p : "", opt.speak, opt.format)))
		rc = diag_err();
	fetch_handle_free(http);
	jv_free(req);
	buf_free(&prompt);
	return rc;
}

/* --- voice: speech to text and back (lib/media) --- */

/* The stt or tts config's service; for a cloud one, its provider's base URL and key
 * (providers.NAME.*, OPENAI_API_KEY..., as for a model). */
static int
media_load(sqlite3 *db, const char *key, struct media_svc *s, struct provider *p)
{
	char *v = NULL, spec[320];
	int rc = config_get(db, key, &v, NULL);

	if (!rc)
		rc = media_svc_parse(v, s);
	free(v);
	if (rc || s->kind == MEDIA_OFF || s->kind == MEDIA_LOCAL)
		return rc == EX_NORESULT ? 0 : rc;
	snprintf(spec, sizeof spec, "%s/%s", s->provider, s->model);
	if ((rc = provider_resolve(db, spec, p)))
		return rc;
	snprintf(s->base_url, sizeof s->base_url, "%s", p->base_url);
	s->key = p->api_key;
	return 0;
}

/* turn_opts.audio: an audio attachment's transcript into the turn's text. */
static int
transcribe_attachment(void *ctx, const char *path, struct buf *text)
{
	struct buf t = BUF_INIT;
	const char *name = strrchr(path, '/');
	int rc;

	if (strncmp(path, "data:", 5) == 0)    /* inline bytes: attach_load's (images, text) */
		return EX_NORESULT;
	if (!media_audio_type(path, &rc))
		return rc ? rc : EX_NORESULT;
	if (stt_rc)
		return err_set(stt_rc, "%s: stt: %s", path, stt_why);
	if ((rc = media_transcribe(ctx, path, &t, NULL)) == 0)
		buf_printf(text, "\n\n--- %s (audio, transcribed) ---\n%s\n--- end of %s ---\n",
		    name ? name + 1 : path, t.p ? t.p : "", name ? name + 1 : path);
	buf_free(&t);
	return rc;
}

static int
transcribe(sqlite3 *db, int argc, char **argv)
{
	struct buf text = BUF_INIT, seg = BUF_INIT;
	int rc = media_transcribe(&stt, opt.audio, &text, opt.json ? &seg : NULL);

	if (rc)
		rc = diag_err();
	else if (opt.json) {
		struct buf o = BUF_INIT;
		buf_adds(&o, "{\"type\":\"transcript\",\"file\":");
		buf_add_json_str(&o, opt.audio, strlen(opt.audio));
		buf_adds(&o, ",\"text\":");
		buf_add_json_str(&o, text.p ? text.p : "", text.len);
		buf_adds(&o, ",\"segments\":");
		buf_add(&o, seg.p ? seg.p : "[]", seg.p ? seg.len : 2);
		buf_adds(&o, "}\n");
		if (o.oom || fwrite(o.p, 1, o.len, stdout) != o.len)
			rc = EX_IOERR;
		buf_free(&o);
	} else
		printf("%s\n", text.p ? text.p : "");
	buf_free(&text);
	buf_free(&seg);
	return rc;
}

/* --say: the words, else stdin, spoken without a model. */
static int
say(sqlite3 *db, int argc, char **argv)
{
	struct buf text = BUF_INIT;
	int i, rc = 0;

	for (i = 0; i < argc; i++)
		buf_printf(&text, "%s%s", i ? " " : "", argv[i]);
	if (!argc && (rc = file_read_fd(0, "stdin", STDIN_MAX, &text)) == EX_DATAERR)
		err_set(rc, "stdin: over %u bytes", STDIN_MAX);
	if (!rc)
		rc = media_speak(&tts, text.p ? text.p : "", opt.audio, opt.format);
	buf_free(&text);
	return rc ? diag_err() : 0;
}

static int (*const run_mode[])(sqlite3 *db, int argc, char **argv) = {
	[TURN] = one_turn, [REQUESTS] = requests, [HISTORY] = history, [SESSIONS] = sessions,
	[COMPACT] = one_turn, [TRANSCRIBE] = transcribe, [SAY] = say,
};

/* --- options --- */

/* A setting given on the command line, as its config key: checked now, applied
 * over the config once the store is open.  A bad model is a config error (78). */
static int
setting(const char *flag, const char *key, const char *value)
{
	struct turn_opts scratch;
	int i, rc;

	if ((rc = turn_opts_set(&scratch, key, value))) {
		diag("%s: %s", flag, err_msg());
		return strcmp(key, "model") == 0 ? rc : cli_usage_error(usage);
	}
	for (i = 0; i < opt.nset && strcmp(opt.set[i].key, key); i++)
		;
	opt.set[i].key = key;             /* a repeated option: the last one counts */
	opt.set[i].value = value;
	opt.nset += i == opt.nset;
	return 0;
}

static int
options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, &opt.json, 1 },
		{ "no-stream", no_argument, &opt.nostream, 1 },
		{ "show-thinking", no_argument, &opt.show_thinking, 1 },
		{ "cache", no_argument, &opt.cache, 1 },
		{ "no-tools", no_argument, NULL, 'N' },
		{ "tools", required_argument, NULL, 'K' },
		{ "requests", no_argument, &opt.mode, REQUESTS },
		{ "history", no_argument, &opt.mode, HISTORY },
		{ "sessions", no_argument, &opt.mode, SESSIONS },
		{ "compact", no_argument, &opt.mode, COMPACT },
		{ "thinking", required_argument, NULL, 'K' },
		{ "chain-limit", required_argument, NULL, 'K' },
		{ "retries", required_argument, NULL, 'K' },
		{ "idle-timeout", required_argument, NULL, 'K' },
		{ "max-tokens", required_argument, NULL, 'K' },
		{ "transcribe", required_argument, NULL, 'T' },
		{ "say", required_argument, NULL, 'Y' },
		{ "speak", required_argument, NULL, 'O' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* The options that stand for a config key, by their long name. */
	static const char *const keyed[][2] = {
		{ "thinking", "thinking" }, { "chain-limit", "chat.chain_limit" },
		{ "retries", "chat.retries" }, { "idle-timeout", "chat.idle_timeout" },
		{ "max-tokens", "chat.max_tokens" }, { "tools", "tools.mode" },
	};
	char flag[32], *end;
	int c, i, li, rc = 0;

	while (!rc && (c = getopt_long(argc, argv, "hm:s:S:a:P:", longopts, &li)) != -1) {
		switch (c) {
		case 0: break;
		case 'm': rc = setting("-m", "model", optarg); break;
		case 's': opt.session = optarg; break;
		case 'S': opt.system = optarg; break;
		case 'a': opt.atts = jv_array_append(opt.atts, jv_string(optarg)); break;
		case 'P':
			if ((opt.par = (int)strtol(optarg, &end, 10)) < 1
			    || opt.par > POOL_MAXWORKERS || *end
			    || strlen(optarg) > 2) {
				diag("-P: want a number from 1 to %d", POOL_MAXWORKERS);
				return cli_usage_error(usage);
			}
			break;
		case 'K':
			for (i = 0; strcmp(keyed[i][0], longopts[li].name); i++)
				;
			snprintf(flag, sizeof flag, "--%s", keyed[i][0]);
			rc = setting(flag, keyed[i][1], optarg);
			break;
		case 'N': rc = setting("--no-tools", "tools.mode", "none"); break;
		case 'T': opt.mode = TRANSCRIBE; opt.audio = optarg; break;
		case 'Y': opt.mode = SAY; opt.audio = optarg; break;
		case 'O': opt.speak = optarg; break;
		case 'F': opt.format = optarg; break;
		case 'h': fputs(usage, stdout); return out_finish() ? EX_IOERR : -1;
		case 'V': puts("claw-chat " CLAW_VERSION); return out_finish() ? EX_IOERR : -1;
		default: return cli_usage_error(usage);
		}
	}
	if (rc)
		return rc;
	if ((opt.mode == HISTORY || opt.mode == COMPACT) && !opt.session) {
		diag("--%s needs -s SESSION", mode_name[opt.mode]);
		return EX_USAGE;
	}
	if (opt.speak && opt.mode != TURN) {
		diag("--speak goes with a single turn, not with --%s", mode_name[opt.mode]);
		return EX_USAGE;
	}
	if (opt.mode != TURN && opt.mode != SAY
	    && (optind < argc || jv_array_length(jv_copy(opt.atts)) > 0)) {
		diag("a prompt and -a go with a single turn, not with --%s", mode_name[opt.mode]);
		return EX_USAGE;
	}
	return 0;
}

/* The config's turn options with the command line's over them. */
static int
load_base(sqlite3 *db)
{
	int i, rc = turn_opts_load(db, &base);

	for (i = 0; i < opt.nset && !rc; i++)
		rc = turn_opts_set(&base, opt.set[i].key, opt.set[i].value);
	base.session = opt.session;
	base.system = opt.system;
	base.stream = !opt.nostream;
	base.cache = opt.cache;
	base.compact_only = opt.mode == COMPACT;
	base.audio = transcribe_attachment;
	base.audio_ctx = &stt;
	if (!rc && opt.mode != SAY && (stt_rc = media_load(db, "stt", &stt, &stt_key))) {
		snprintf(stt_why, sizeof stt_why, "%s", err_msg());
		if (opt.mode == TRANSCRIBE)     /* else it matters only if audio comes */
			rc = stt_rc;
	}
	if (!rc && (opt.speak || opt.mode == SAY))
		rc = media_load(db, "tts", &tts, &tts_key);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sqlite3 *db = NULL;
	int rc;

	diag_init(argv[0]);
	if (secret_harden())          /* it holds a provider's key, sealed or from the env */
		return diag_err();
	opt.atts = jv_array();
	/* `claw-chat help` alone is the help; `claw-chat help me` and `claw-chat -- help` ask. */
	if ((argc == 2 || (argc > 2 && argv[1][0] == '-'))
	    && (rc = cli_front(argc, argv, usage)) >= 0)
		return rc;
	if ((rc = options(argc, argv))) {
		jv_free(opt.atts);
		return rc < 0 ? 0 : rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = store_open(&db)) || (rc = load_base(db)))
		rc = diag_err();
	else
		rc = run_mode[opt.mode](db, argc - optind, argv + optind);
	store_close(db);
	provider_free(&stt_key);
	provider_free(&tts_key);
	buf_free(&answer);
	jv_free(opt.atts);
	if (out_closed)               /* a closed pipe is not a failure (claw(7)) */
		return 0;
	if (out_failed && !rc)
		rc = EX_IOERR;
	return rc ? rc : out_finish();
}
