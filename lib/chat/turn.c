/* turn: the flow of one turn.  Store first, ask after: the user's message is in
 * the store before any request, the answer (even a partial one, marked
 * incomplete) after it, so a crash or a kill loses nothing already said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/clock.h"
#include "chat/cache.h"
#include "chat/catalog.h"
#include "store/config.h"
#include "base/err.h"
#include "net/fetch.h"
#include "chat/ndjson.h"
#include "chat/provider.h"
#include "chat/session.h"
#include "store/store.h"
#include "store/telemetry.h"
#include "chat/tools.h"
#include "chat/turn.h"
#include "chat/wire.h"

#define DEFAULT_CONTEXT 32000   /* tokens, when neither the config nor the provider says */
#define RETRY_BASE_MS 500
#define RETRY_MAX_MS 8000
#define RETRY_AFTER_MAX 60

static const char summariser[] =
    "You keep the memory of a long conversation. Summarise the conversation you are given "
    "for your own later use: keep facts, names, numbers, decisions, the user's preferences "
    "and open questions; drop pleasantries. Write plain prose, at most 300 words.";

struct turn {
	sqlite3 *db;
	void *http;
	const struct turn_opts *o;
	turn_emit_fn *emit;
	void *ctx;
	long long sid, t0, ttft;
	int emitted, cached, chain, ncalls;
	long in_tok, out_tok;
	long cache_read, cache_write;   /* of in_tok: the provider's prompt cache */
	char model[320];
	char session[128];
	char key[65];               /* the cache key of this round's request */
	struct buf system;          /* the system prompt, then the summary */
	jv msgs;                    /* the conversation sent */
	struct catalog cat;         /* the tools offered, and why */
	struct answer a;            /* this round's answer */
	struct telemetry tel;
};

static jv
event(const char *type)
{
	return jv_object_set(jv_object(), jv_string("type"), jv_string(type));
}

static void
emit_text(struct turn *t, const char *type, const char *p, size_t n)
{
	t->emit(t->ctx, jv_object_set(event(type), jv_string("text"), jv_string_sized(p, (int)n)));
}

static void
on_stream(void *ctx, int what, const char *p, size_t n)
{
	struct turn *t = ctx;

	if (!t->emitted)
		t->ttft = clock_mono_ms() - t->t0;
	t->emitted = 1;
	emit_text(t, what == WIRE_TEXT ? "delta" : "reasoning", p, n);
}

static int
collect(const char *p, size_t n, void *ctx)
{
	buf_add(ctx, p, n);
	return ((struct buf *)ctx)->oom;
}

static int
retryable(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 || status == 503
	    || status == 504 || status == 529;
}

static void
backoff(int attempt, long retry_after)
{
	long ms;

	if (retry_after >= 0)
		ms = (retry_after > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : retry_after) * 1000;
	else {
		ms = RETRY_BASE_MS << (attempt < 5 ? attempt : 5);
		if (ms > RETRY_MAX_MS)
			ms = RETRY_MAX_MS;
		/* ±25 % jitter */
		ms = ms * 3 / 4 + (long)randombytes_uniform((uint32_t)ms / 2 + 1);
	}
	usleep((useconds_t)ms * 1000);
}

/* One request to p, its answer parsed into a (reset first): streamed through
 * the wire parser, or collected and parsed whole. */
static void
post(struct turn *t, struct provider *p, struct fetch *f, int stream, struct answer *a,
    struct buf *body)
{
	struct wire_stream w;

	answer_free(a);
	memset(a, 0, sizeof *a);
	buf_reset(body);
	if (stream) {
		wire_stream_init(&w, p->kind, a, on_stream, t);
		f->fn = wire_stream_feed;
		f->ctx = &w;
	} else {
		f->fn = collect;
		f->ctx = body;
	}
	fetch_post(t->http, f);
	if (stream && f->transport == FETCH_OK && f->status >= 200 && f->status < 300)
		wire_stream_end(&w);
	if (stream)
		wire_stream_free(&w);
	else if (f->transport == FETCH_OK && f->status >= 200 && f->status < 300)
		wire_parse_body(p->kind, body->p ? body->p : "", body->len, a);
}

/* What the request came to: 0, or an exit code with err set.  *again is set when
 * it is worth retrying, *wait to the server's Retry-After (or -1). */
static int
verdict(struct turn *t, struct provider *p, struct fetch *f, struct answer *a, int *again,
    long *wait)
{
	const char *who = p->name, *model = p->model;
	char msg[512];
	int rc;

	*again = 0;
	*wait = -1;
	if (t->o->cancel && *t->o->cancel)
		return err_set(EX_TEMPFAIL, "interrupted");
	if (f->transport == FETCH_CONNECT)
		return err_set(EX_UNAVAILABLE, "%s/%s: cannot reach %s: %s", who, model,
		    p->base_url, f->error);
	if (f->transport == FETCH_OK && f->status >= 300) {
		wire_error_message(f->errbody.p ? f->errbody.p : "", f->errbody.len, msg,
		    sizeof msg);
		provider_scrub(p, msg);
		if (f->status == 401 || f->status == 403)
			return err_set(EX_NOPERM,
			    "%s/%s: the provider refused the key (HTTP %ld%s%s)",
			    who, model, f->status, *msg ? ": " : "", msg);
		if (f->status == 404)
			return err_set(EX_CONFIG,
			    "%s/%s: not found at %s (HTTP 404%s%s): check the model "
			    "name and base_url", who, model, p->base_url, *msg ? ": " : "", msg);
		if ((*again = retryable(f->status)))
			*wait = f->retry_after;
		rc = *again ? EX_TEMPFAIL : f->status >= 500 ? EX_UNAVAILABLE : EX_DATAERR;
		return err_set(rc, "%s/%s: HTTP %ld%s%s%s", who, model, f->status,
		    *msg ? ": " : "", msg, f->status == 400 && strstr(msg, "max_tokens")
		    ? ": set a lower chat.max_tokens, or give --max-tokens N" : "");
	}
	if (!a->failed && f->transport == FETCH_OK && a->done)
		return 0;
	*again = 1;
	provider_scrub(p, a->error);
	if (a->failed)
		return err_set(EX_TEMPFAIL, "%s/%s: %s%s%s", who, model, a->error_type,
		    *a->error_type ? ": " : "", a->error);
	if (f->transport != FETCH_OK)
		return err_set(EX_TEMPFAIL, "%s/%s: the answer was cut short: %s", who, model,
		    f->error);
	return err_set(EX_TEMPFAIL, "%s/%s: the answer was cut short", who, model);
}

/* The cache key under which a model that refused reasoning is remembered. */
static void
thinkless_key(const struct provider *p, char key[65])
{
	jv k = jv_object_set(jv_object(), jv_string("thinkless"),
	    jv_string_fmt("%s/%s", p->name, p->model));

	cache_key(k, key);
	jv_free(k);
}

/* Did an OpenAI-format server refuse the request for asking it to think?  Ollama:
 * "\"llama3.2\" does not support thinking"; OpenAI: "Unsupported parameter:
 * 'reasoning_effort' ..." */
static int
thinking_refused(const struct provider *p, const struct fetch *f, const struct wire_opts *wo)
{
	char msg[512];

	if (p->kind != WIRE_OPENAI || !wo->thinking || wo->deepseek || f->transport != FETCH_OK
	    || f->status != 400)
		return 0;
	wire_error_message(f->errbody.p ? f->errbody.p : "", f->errbody.len, msg, sizeof msg);
	return strstr(msg, "does not support thinking") || strstr(msg, "reasoning_effort");
}

/* One provider, with retries while nothing has been emitted.  0, or an exit
 * code with err set; a->text may hold a partial answer either way.  A model
 * that refuses to think is asked once more without, and remembered as such. */
static int
ask_one(struct turn *t, struct provider *p, const char *system, jv msgs, jv tools, int stream,
    struct answer *a)
{
	const struct turn_opts *o = t->o;
	struct wire_opts wo = { .model = p->model, .stream = stream, .thinking = o->thinking,
	    .deepseek = p->deepseek, .max_tokens = o->max_tokens };
	struct fetch f = { .idle_timeout = o->idle_timeout, .cancel = o->cancel };
	struct buf body = BUF_INIT;
	char url[600], key[65];
	int attempt, again, rc, plain = 0;
	long wait;
	jv s, seen;

	if (wo.thinking && p->kind == WIRE_OPENAI) {
		thinkless_key(p, key);
		if (cache_get(t->db, key, 0, &seen) == 0)
			wo.thinking = 0;
		jv_free(seen);
	}
	s = jv_dump_string(wire_request(p->kind, &wo, system, jv_copy(msgs), jv_copy(tools)), 0);
	provider_url(p, url, sizeof url);
	f.url = url;
	f.headers = (const char *const *)p->headers;
	for (attempt = 0; ; attempt++) {
		f.body = jv_string_value(s);
		f.len = (size_t)jv_string_length_bytes(jv_copy(s));
		post(t, p, &f, stream, a, &body);
		if (!plain && thinking_refused(p, &f, &wo)) {
			plain = 1;
			wo.thinking = 0;
			jv_free(s);
			s = jv_dump_string(wire_request(p->kind, &wo, system, jv_copy(msgs),
			    jv_copy(tools)), 0);
			jv rec = jv_object_set(jv_object(), jv_string("thinking"), jv_false());
			cache_put(t->db, key, rec);
			jv_free(rec);
			telemetry_add(&t->tel, "thinkless", -1, 1, NULL);
			attempt--;
			continue;
		}
		rc = verdict(t, p, &f, a, &again, &wait);
		if (!rc || !again || attempt >= o->retries || t->emitted)
			break;
		backoff(attempt, wait);
	}
	buf_free(&body);
	buf_free(&f.errbody);
	jv_free(s);
	return rc;
}

/* Along the model list until one answers.  On a failure after output was
 * emitted there is no falling back: the partial answer stands. */
static int
ask(struct turn *t, const char *system, jv msgs, jv tools, int stream, struct answer *a)
{
	const char *spec = t->o->models, *end;
	int rc = EX_UNAVAILABLE, reachable = 0;
	char one[320], why[1024] = "";

	for (; *spec; spec = *end ? end + 1 : end) {
		struct provider p;
		end = spec + strcspn(spec, ",");
		snprintf(one, sizeof one, "%.*s", (int)(end - spec), spec);
		if ((rc = provider_resolve(t->db, one, &p)) == 0) {
			rc = ask_one(t, &p, system, msgs, tools, stream, a);
			snprintf(t->model, sizeof t->model, "%s", one);
		}
		provider_free(&p);
		if (rc == 0 || t->emitted)
			return rc;
		if (rc != EX_UNAVAILABLE)
			reachable = 1;
		snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s", *why ? "; " : "",
		    err_msg());
	}
	if (!reachable)
		return err_set(EX_UNAVAILABLE,
		    "no model provider reachable (%s): set OPENAI_API_KEY, "
		    "ANTHROPIC_API_KEY or DEEPSEEK_API_KEY, or run: claw config set "
		    "model=PROVIDER/MODEL, or start a local Ollama (ollama serve)", why);
	if (strchr(t->o->models, ','))
		return err_set(rc, "%s", why);
	return rc;
}

/* Store msg (consumed) in the session; with append, also add it to the conversation. */
static int
store_msg(struct turn *t, jv msg, const char *model, int incomplete, int append)
{
	int rc = session_append(t->db, t->sid, msg, model, incomplete, NULL);

	if (rc == 0 && append)
		t->msgs = jv_array_append(t->msgs, msg);
	else
		jv_free(msg);
	return rc;
}

static const char *
str(jv o, const char *k, jv *hold)
{
	*hold = jv_get_kind(o) == JV_KIND_OBJECT
	    ? jv_object_get(jv_copy(o), jv_string(k)) : jv_null();
	return jv_get_kind(*hold) == JV_KIND_STRING ? jv_string_value(*hold) : "";
}

/* A transcript of msgs[from, to) for the summariser. */
static void
transcript(jv msgs, int from, int to, struct buf *b)
{
	int i;

	for (i = from; i < to; i++) {
		jv m = jv_array_get(jv_copy(msgs), i), h1, h2, calls;
		const char *role = str(m, "role", &h1), *text = str(m, "text", &h2);
		buf_printf(b, "%s: %s\n", role, text);
		calls = jv_object_get(jv_copy(m), jv_string("tool_calls"));
		if (jv_get_kind(calls) == JV_KIND_ARRAY) {
			jv_array_foreach(calls, j, c) {
				jv n1, n2;
				buf_printf(b, "assistant called %s(%s)\n", str(c, "name", &n1),
				    str(c, "arguments", &n2));
				jv_free(n1);
				jv_free(n2);
				jv_free(c);
			}
		}
		jv_free(calls);
		jv_free(h1);
		jv_free(h2);
		jv_free(m);
	}
}

static long
context_limit(struct turn *t)
{
	char one[320];
	long n = t->o->context_max;
	struct provider p;

	if (n > 0)
		return n;
	snprintf(one, sizeof one, "%.*s", (int)strcspn(t->o->models, ","), t->o->models);
	if (provider_resolve(t->db, one, &p) == 0 && p.context > 0)
		n = p.context;
	provider_free(&p);
	return n > 0 ? n : DEFAULT_CONTEXT;
}

/* Where the kept tail starts: at least keep tokens from the end, moved back to a
 * user message so that a tool call never leaves its result.  0: nothing to cut. */
static int
cut_point(jv msgs, int n, long keep)
{
	long tail = 0;
	int b;

	for (b = n; b > 0 && tail < keep; b--) {
		jv m = jv_array_get(jv_copy(msgs), b - 1);
		tail += session_msg_tokens(m);
		jv_free(m);
	}
	for (; b > 0; b--) {
		jv m = jv_array_get(jv_copy(msgs), b), h;
		int user = strcmp(str(m, "role", &h), "user") == 0;
		jv_free(h);
		jv_free(m);
		if (user)
			break;
	}
	return b > 0 ? b : 0;
}

/* The model's summary of the old summary and msgs[0, b): 0 with a->text, or an error. */
static int
summarise(struct turn *t, jv summary, jv msgs, int b, struct answer *a)
{
	struct buf text = BUF_INIT;
	jv req;
	int rc;

	if (jv_get_kind(summary) == JV_KIND_STRING)
		buf_printf(&text, "Summary so far:\n%s\n\nThe conversation since:\n",
		    jv_string_value(summary));
	transcript(msgs, 0, b, &text);
	req = jv_array_append(jv_array(), jv_object_set(jv_object_set(jv_object(),
	    jv_string("role"), jv_string("user")), jv_string("text"),
	    jv_string(text.p ? text.p : "")));
	rc = ask(t, summariser, req, jv_null(), 0, a);
	jv_free(req);
	buf_free(&text);
	return rc;
}

/* Summarise older turns when the context is over budget (or when forced): the
 * summary is stored, *summary replaced and *rows cut to the kept tail. */
static int
compact(struct turn *t, jv *summary, jv *rows, int force)
{
	long total = jv_get_kind(*summary) == JV_KIND_STRING
	    ? session_tokens(jv_string_value(*summary)) : 0;
	int n = jv_array_length(jv_copy(*rows)), b, i, rc = 0;
	struct answer a = { 0 };
	long long upto;
	jv msgs = jv_array(), r, id;

	for (i = 0; i < n; i++) {
		jv m = jv_object_get(jv_array_get(jv_copy(*rows), i), jv_string("msg"));
		total += session_msg_tokens(m);
		msgs = jv_array_append(msgs, m);
	}
	if ((force || total > context_limit(t)) && (b = cut_point(msgs, n, t->o->keep_recent)) > 0
	    && (rc = summarise(t, *summary, msgs, b, &a)) == 0) {
		r = jv_array_get(jv_copy(*rows), b - 1);
		id = jv_object_get(r, jv_string("id"));
		upto = (long long)jv_number_value(id);
		jv_free(id);
		if (!(rc = session_add_summary(t->db, t->sid, upto, a.text.p ? a.text.p : ""))) {
			jv_free(*summary);
			*summary = jv_string(a.text.p ? a.text.p : "");
			*rows = jv_array_slice(*rows, b, n);
			t->emit(t->ctx, jv_object_set(jv_object_set(event("summary"),
			    jv_string("text"), jv_copy(*summary)), jv_string("upto"),
			    jv_number((double)upto)));
		}
	} else if (force && rc == 0)    /* --compact says so rather than nothing */
		t->emit(t->ctx, jv_object_set(event("notice"), jv_string("text"),
		    jv_string("nothing new to compact: the recent turns are kept as they are")));
	answer_free(&a);
	jv_free(msgs);
	return rc;
}

/* Explicit messages ({role, content}) as neutral ones; a system message (or a
 * developer one, what OpenAI's newer clients send instead) moves to *system.  Text
 * parts are joined by a newline, as the gateway joins them. */
static jv
neutral(jv given, struct buf *system)
{
	jv out = jv_array();

	jv_array_foreach(given, i, m) {
		jv h, c = jv_get_kind(m) == JV_KIND_OBJECT
		    ? jv_object_get(jv_copy(m), jv_string("content")) : jv_null();
		const char *role = str(m, "role", &h);
		struct buf text = BUF_INIT;
		if (jv_get_kind(c) == JV_KIND_STRING)
			buf_adds(&text, jv_string_value(c));
		else if (jv_get_kind(c) == JV_KIND_ARRAY) {
			jv_array_foreach(c, j, part) {
				jv h2;
				const char *pt = str(part, "text", &h2);
				if (text.len && *pt)
					buf_addc(&text, '\n');
				buf_adds(&text, pt);
				jv_free(h2);
				jv_free(part);
			}
		}
		if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
			buf_printf(system, "%s%s", system->len ? "\n\n" : "", text.p ? text.p : "");
		else
			out = jv_array_append(out, jv_object_set(jv_object_set(jv_object(),
			    jv_string("role"),
			    jv_string(strcmp(role, "assistant") == 0 ? "assistant" : "user")),
			    jv_string("text"), jv_string(text.p ? text.p : "")));
		buf_free(&text);
		jv_free(h);
		jv_free(c);
		jv_free(m);
	}
	jv_free(given);
	return out;
}

/* --- the six steps --- */

/* 1. The session, and the user's words in it before any request leaves. */
static int
store_user(struct turn *t)
{
	const struct turn_opts *o = t->o;
	int rc;

	if (o->session)
		snprintf(t->session, sizeof t->session, "%s", o->session);
	else {
		time_t now = time(NULL);
		size_t n = strftime(t->session, sizeof t->session, "chat-%Y%m%dT%H%M%S",
		    gmtime(&now));
		snprintf(t->session + n, sizeof t->session - n, "-%08x", randombytes_random());
	}
	if (o->system)
		buf_adds(&t->system, o->system);
	rc = session_open(t->db, t->session, !o->compact_only, &t->sid);
	if (rc == EX_NORESULT)
		return err_set(EX_NOINPUT, "%s: no such session", t->session);
	if (rc || o->compact_only)
		return rc;
	if (jv_get_kind(o->messages) == JV_KIND_ARRAY) {
		jv given = neutral(jv_copy(o->messages), &t->system);
		int last = -1;
		/* The request's attachments go with its last user message. */
		jv_array_foreach(given, i, m) {
			jv h;
			last = strcmp(str(m, "role", &h), "user") == 0 ? i : last;
			jv_free(h);
			jv_free(m);
		}
		if (last >= 0 && jv_get_kind(o->images) == JV_KIND_ARRAY
		    && jv_array_length(jv_copy(o->images)) > 0)
			given = jv_array_set(given, last, jv_object_set(jv_array_get(jv_copy(given),
			    last), jv_string("images"), jv_copy(o->images)));
		t->msgs = jv_array();
		jv_array_foreach(given, i, m)
			if (!rc)
				rc = store_msg(t, m, NULL, 0, 1);
			else
				jv_free(m);
		jv_free(given);
		return rc;
	}
	{
		jv m = jv_object_set(jv_object_set(jv_object(), jv_string("role"),
		    jv_string("user")), jv_string("text"), jv_string(o->prompt ? o->prompt : ""));
		if (jv_get_kind(o->images) == JV_KIND_ARRAY
		    && jv_array_length(jv_copy(o->images)) > 0)
			m = jv_object_set(m, jv_string("images"), jv_copy(o->images));
		return store_msg(t, m, NULL, 0, 0);
	}
}

/* The text of the last user message of msgs: the words the tools are chosen by. */
static jv
last_user_text(jv msgs)
{
	jv text = jv_string("");
	int i;

	for (i = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
	    i-- > 0;) {
		jv m = jv_array_get(jv_copy(msgs), i), h1, h2;
		int user = strcmp(str(m, "role", &h1), "user") == 0;
		if (user) {
			jv_free(text);
			text = jv_string(str(m, "text", &h2));
			jv_free(h2);
		}
		jv_free(h1);
		jv_free(m);
		if (user)
			break;
	}
	return text;
}

/* 2. What the model is sent: the stored conversation (compacted when over budget)
 * unless the request gave its own, the system prompt with the summary, the tools. */
static int
build_context(struct turn *t)
{
	jv summary = jv_null(), rows = jv_null();
	long long upto;
	int rc = 0;

	if (jv_get_kind(t->msgs) != JV_KIND_ARRAY) {
		if ((rc = session_context(t->db, t->sid, &summary, &upto, &rows)) == 0
		    && (rc = compact(t, &summary, &rows, t->o->compact_only)) == 0) {
			t->msgs = jv_array();
			jv_array_foreach(rows, i, r)
				t->msgs = jv_array_append(t->msgs, jv_object_get(r,
				    jv_string("msg")));
			t->msgs = session_replayable(t->msgs);
		}
	}
	if (rc == 0 && jv_get_kind(summary) == JV_KIND_STRING)
		buf_printf(&t->system, "%sSummary of the earlier conversation:\n%s",
		    t->system.len ? "\n\n" : "", jv_string_value(summary));
	if (rc == 0 && !t->o->compact_only) {
		jv q = last_user_text(t->msgs);
		if ((rc = catalog_pick(t->db, t->o->tools, jv_string_value(q), t->msgs,
		    &t->cat)) == 0)
			t->emit(t->ctx, catalog_event(&t->cat));
		jv_free(q);
	}
	jv_free(summary);
	jv_free(rows);
	return rc;
}

/* The cached answer to this round's request, if any: 1 with t->a filled, else 0. */
static int
from_cache(struct turn *t)
{
	const struct turn_opts *o = t->o;
	jv k, cached = jv_null(), mo, x;

	k = jv_object_set(jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("models"), jv_string(o->models)), jv_string("system"),
	    jv_string(t->system.p ? t->system.p : "")), jv_string("messages"), jv_copy(t->msgs)),
	    jv_string("tools"), jv_copy(t->cat.tools));
	k = jv_object_set(k, jv_string("thinking"), jv_number(o->thinking));
	cache_key(k, t->key);
	jv_free(k);
	t->cached = cache_get(t->db, t->key, o->cache_ttl, &cached) == 0;
	telemetry_add(&t->tel, "cache", -1, t->cached, t->cached ? "{\"hit\":true}"
	    : "{\"hit\":false}");
	if (!t->cached)
		return 0;
	mo = jv_object_get(jv_copy(cached), jv_string("model"));
	x = jv_object_get(cached, jv_string("text"));
	if (jv_get_kind(x) == JV_KIND_STRING)
		buf_adds(&t->a.text, jv_string_value(x));
	if (jv_get_kind(mo) == JV_KIND_STRING)
		snprintf(t->model, sizeof t->model, "%s", jv_string_value(mo));
	jv_free(x);
	jv_free(mo);
	return 1;
}

/* 3. One round's answer: from the cache, else from the model list (retries and
 * fallbacks in ask).  What did not arrive through the stream is emitted here.
 * A failed answer is stored as far as it came, marked incomplete. */
static int
ask_model(struct turn *t)
{
	int rc;

	answer_free(&t->a);
	memset(&t->a, 0, sizeof t->a);
	t->emitted = 0;
	if ((t->o->cache || t->o->cache_ttl > 0) && from_cache(t)) {
		t->ttft = clock_mono_ms() - t->t0;
		if (t->a.text.len)
			emit_text(t, "delta", t->a.text.p, t->a.text.len);
		t->emitted = 1;
		return 0;
	}
	rc = ask(t, t->system.p, t->msgs, t->cat.tools, t->o->stream, &t->a);
	t->in_tok += t->a.in_tokens;
	t->out_tok += t->a.out_tokens;
	t->cache_read += t->a.cache_read;
	t->cache_write += t->a.cache_write;
	if (rc) {
		/* What arrived, marked incomplete; its tool calls never ran, and a call
		 * with no result would make every later request of the session a 400. */
		if (t->a.text.len)
			store_msg(t, jv_object_delete(answer_message(&t->a, t->model),
			    jv_string("tool_calls")), t->model, 1, 0);
		return rc;
	}
	if (!t->o->stream) {
		if (t->a.reasoning.len)
			emit_text(t, "reasoning", t->a.reasoning.p, t->a.reasoning.len);
		if (t->a.text.len)
			emit_text(t, "delta", t->a.text.p, t->a.text.len);
		t->ttft = clock_mono_ms() - t->t0;
		t->emitted = 1;
	}
	return 0;
}

/* The result of a call as the tool message, and its tool_result event (with
 * claw-skill's stderr, if any, which never goes to ours). */
static int
store_result(struct turn *t, const struct wire_call *c, const char *text, int ok,
    const struct buf *diag, int refused)
{
	jv ev = jv_object_set(jv_object_set(jv_object_set(jv_object_set(event("tool_result"),
	    jv_string("name"), jv_string(c->name)), jv_string("id"), jv_string(c->id)),
	    jv_string("text"), jv_string(text)), jv_string("ok"), jv_bool(ok));

	if (diag && diag->len)
		ev = jv_object_set(ev, jv_string("stderr"), jv_string_sized(diag->p,
		    (int)diag->len));
	if (refused)
		ev = jv_object_set(ev, jv_string("refused"), jv_true());
	t->emit(t->ctx, ev);
	return store_msg(t, jv_object_set(jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("role"), jv_string("tool")), jv_string("tool_call_id"), jv_string(c->id)),
	    jv_string("name"), jv_string(c->name)), jv_string("text"), jv_string(text)),
	    NULL, 0, 1);
}

/* One call: its events, its result as the tool message; the images it returned are
 * appended to *images.  Only a tool offered in this request runs; any other name
 * (none are offered with --no-tools, and a model may invent one) is answered with
 * an error the model reads, never run. */
static int
run_call(struct turn *t, const struct wire_call *c, int offered, jv *images)
{
	const char *args = c->args.len ? c->args.p : "{}";
	jv parsed = ndjson_value(args, strlen(args));
	struct buf res = BUF_INIT, diag = BUF_INIT;
	int failed, rc;

	t->ncalls++;
	t->emit(t->ctx, jv_object_set(jv_object_set(jv_object_set(event("tool_call"),
	    jv_string("name"), jv_string(c->name)), jv_string("id"), jv_string(c->id)),
	    jv_string("arguments"), jv_is_valid(parsed) ? parsed : (jv_free(parsed),
	    jv_string(args))));
	if (!offered) {
		struct buf d = BUF_INIT;
		char skill[sizeof c->name];
		buf_printf(&res, "error: %s %s", c->name, t->o->tools
		    ? "is not a tool offered in this request: it was not run"
		    : "was not run: no tools are offered in this turn (--no-tools)");
		/* The skill the name stands for, and whether any tool was offered:
		 * claw-evolve's missing_skill signal (a name asked for with
		 * --no-tools misses nothing). */
		wire_skill_name(c->name, skill, sizeof skill);
		buf_adds(&d, "{\"name\":");
		buf_add_json_str(&d, c->name, strlen(c->name));
		buf_adds(&d, ",\"skill\":");
		buf_add_json_str(&d, skill, strlen(skill));
		buf_printf(&d, ",\"tools\":%s}", t->o->tools ? "true" : "false");
		telemetry_add(&t->tel, "tool_refused", -1, 0, d.oom ? NULL : d.p);
		buf_free(&d);
		rc = store_result(t, c, res.p ? res.p : "", 0, NULL, 1);
		buf_free(&res);
		return rc;
	}
	if (t->cat.search && strcmp(c->name, CATALOG_SEARCH) == 0) {
		/* Found skills are offered from the next request of this turn on. */
		if (catalog_search(&t->cat, args, &res))
			t->emit(t->ctx, catalog_event(&t->cat));
		rc = store_result(t, c, res.p ? res.p : "", 1, NULL, 0);
		buf_free(&res);
		return rc;
	}
	failed = tools_run(c->name, args, &res, &diag, images,
	    tools_limit_ms(t->cat.tools, c->name));
	rc = store_result(t, c, res.p ? res.p : "", !failed, &diag, 0);
	buf_free(&res);
	buf_free(&diag);
	return rc;
}

/* The model's name for a tool back to the skill's: 1 when that skill was offered in
 * this request (c->name is then the skill's name), else 0 (c->name as it came). */
static int
offered(struct turn *t, struct wire_call *c)
{
	char skill[sizeof c->name];
	int found = 0;

	wire_skill_name(c->name, skill, sizeof skill);
	if (jv_get_kind(t->cat.tools) == JV_KIND_ARRAY) {
		jv_array_foreach(t->cat.tools, i, tool) {
			jv n = jv_object_get(tool, jv_string("name"));
			found |= jv_get_kind(n) == JV_KIND_STRING
			    && strcmp(jv_string_value(n), skill) == 0;
			jv_free(n);
		}
	}
	if (found)
		snprintf(c->name, sizeof c->name, "%s", skill);
	return found;
}

/* 4. The model called tools: store its message, run each call, hand the results
 * back for the next round.  Some local servers send calls without ids; the
 * result must name its call.  Past --chain-limit the calls are answered, not run,
 * so that the stored history stays one the provider takes. */
static int
run_tools(struct turn *t)
{
	struct answer *a = &t->a;
	int i, rc, ok[WIRE_MAXCALLS], over = t->chain++ >= t->o->chain_limit;
	char why[128];

	for (i = 0; i < a->ncalls; i++) {
		if (!a->calls[i].id[0])
			snprintf(a->calls[i].id, sizeof a->calls[i].id, "call_%d_%d", t->chain, i);
		ok[i] = offered(t, &a->calls[i]);
	}
	if ((rc = store_msg(t, answer_message(a, t->model), t->model, 0, 1)))
		return rc;
	if (over) {
		snprintf(why, sizeof why, "error: not run: the turn reached its limit of %ld "
		    "rounds of tool calls (--chain-limit)", t->o->chain_limit);
		for (i = 0; i < a->ncalls && !rc; i++)
			rc = store_result(t, &a->calls[i], why, 0, NULL, 1);
		return rc ? rc : err_set(EX_SOFTWARE,
		    "the model still called tools after %ld rounds (--chain-limit)",
		    t->o->chain_limit);
	}
	jv images = jv_array();
	for (i = 0; i < a->ncalls && !rc; i++)
		rc = run_call(t, &a->calls[i], ok[i], &images);
	/* A tool message carries text only (OpenAI): the pictures the skills returned
	 * (a screenshot) follow all the results as a user message of their own. */
	if (!rc && jv_array_length(jv_copy(images)) > 0)
		rc = store_msg(t, jv_object_set(jv_object_set(jv_object_set(jv_object(),
		    jv_string("role"), jv_string("user")), jv_string("text"),
		    jv_string("[the images the tools returned]")), jv_string("images"), images),
		    NULL, 0, 1);
	else
		jv_free(images);
	return rc;
}

/* 5. The answer: into the cache and the session, and out as the message event. */
static int
store_answer(struct turn *t)
{
	struct answer *a = &t->a;
	const char *text = a->text.p ? a->text.p : "";
	jv usage;
	int rc;

	if ((t->o->cache || t->o->cache_ttl > 0) && !t->cached) {
		jv c = jv_object_set(jv_object_set(jv_object(), jv_string("text"), jv_string(text)),
		    jv_string("model"), jv_string(t->model));
		cache_put(t->db, t->key, c);
		jv_free(c);
	}
	rc = store_msg(t, answer_message(a, t->model), t->model, 0, 0);
	usage = jv_object_set(jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("in"), jv_number((double)t->in_tok)),
	    jv_string("out"), jv_number((double)t->out_tok)),
	    jv_string("cached"), jv_number((double)t->cache_read)),
	    jv_string("cache_write"), jv_number((double)t->cache_write));
	t->emit(t->ctx, jv_object_set(jv_object_set(jv_object_set(jv_object_set(jv_object_set(
	    jv_object_set(event("message"), jv_string("role"), jv_string("assistant")),
	    jv_string("text"), jv_string(text)), jv_string("model"), jv_string(t->model)),
	    jv_string("usage"), usage), jv_string("session"), jv_string(t->session)),
	    jv_string("cached"), jv_bool(t->cached)));
	return rc;
}

/* 6. The turn's telemetry row: model, session, timings, token counts, the code. */
static void
record(struct turn *t, int rc)
{
	struct buf d = BUF_INIT;

	buf_adds(&d, "{\"model\":");
	buf_add_json_str(&d, t->model, strlen(t->model));
	buf_adds(&d, ",\"session\":");
	buf_add_json_str(&d, t->session, strlen(t->session));
	buf_printf(&d, ",\"ttft_ms\":%lld,\"tokens_in\":%ld,\"tokens_out\":%ld,"
	    "\"tokens_cached\":%ld,\"tokens_cache_write\":%ld,\"code\":%d,"
	    "\"cached\":%s,\"tool_calls\":%d}", t->ttft, t->in_tok, t->out_tok, t->cache_read,
	    t->cache_write, rc, t->cached ? "true" : "false", t->ncalls);
	if (!d.oom)
		telemetry_add(&t->tel, "turn", clock_mono_ms() - t->t0, rc == 0, d.p);
	telemetry_flush(&t->tel, t->db);
	buf_free(&d);
}

/* Rounds of asking and running tools until the model answers. */
static int
converse(struct turn *t)
{
	int rc;

	while ((rc = ask_model(t)) == 0 && t->a.ncalls > 0)
		if ((rc = run_tools(t)))
			return rc;
	return rc ? rc : store_answer(t);
}

int
turn_run(sqlite3 *db, void *http, const struct turn_opts *o, turn_emit_fn *emit, void *ctx)
{
	struct turn t = { .db = db, .http = http, .o = o, .emit = emit, .ctx = ctx,
	    .t0 = clock_mono_ms(), .system = BUF_INIT, .msgs = jv_null(),
	    .cat = { .tools = jv_null(), .why = jv_null() } };
	int rc;

	telemetry_init(&t.tel, "claw-chat");
	snprintf(t.model, sizeof t.model, "%.*s", (int)strcspn(o->models, ","), o->models);
	if ((rc = store_user(&t)) == 0 && (rc = build_context(&t)) == 0 && !o->compact_only)
		rc = converse(&t);
	if (rc)
		emit(ctx, ndjson_error_event(rc, 0, err_msg()));
	record(&t, rc);
	telemetry_free(&t.tel);
	answer_free(&t.a);
	buf_free(&t.system);
	jv_free(t.msgs);
	catalog_free(&t.cat);
	return rc;
}
