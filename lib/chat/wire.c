/* wire: OpenAI chat completions and Anthropic messages, both directions.  Every
 * value from the network is kind-checked before use: a jv accessor on the wrong
 * kind asserts, and a provider's bytes must never crash us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/ndjson.h"
#include "chat/wire.h"

/* --- jv helpers that never assert and never consume their object --- */

static jv
get(jv o, const char *k)
{
	jv v;

	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return jv_null();
	v = jv_object_get(jv_copy(o), jv_string(k));
	if (!jv_is_valid(v)) {        /* a missing key: invalid, which jv_dump asserts on */
		jv_free(v);
		return jv_null();
	}
	return v;
}

static jv
at(jv a, int i)
{
	if (jv_get_kind(a) != JV_KIND_ARRAY || i >= jv_array_length(jv_copy(a)))
		return jv_null();
	return jv_array_get(jv_copy(a), i);
}

/* Append the string at o.k to b (nothing when absent or not a string); returns its length. */
static size_t
take_str(jv o, const char *k, struct buf *b)
{
	jv v = get(o, k);
	size_t n = 0;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		n = (size_t)jv_string_length_bytes(jv_copy(v));
		buf_add(b, jv_string_value(v), n);
	}
	jv_free(v);
	return n;
}

static void
copy_str(jv o, const char *k, char *dst, size_t n)
{
	jv v = get(o, k);

	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(dst, n, "%s", jv_string_value(v));
	jv_free(v);
}

static long
get_num(jv o, const char *k)
{
	jv v = get(o, k);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	long n = d >= 0 && d < 1e15 ? (long)d : -1;    /* counts and indexes: never negative */

	jv_free(v);
	return n;
}

static jv
set(jv o, const char *k, jv v)
{
	return jv_object_set(o, jv_string(k), v);
}

static jv
str_or_empty(jv o, const char *k)
{
	jv v = get(o, k);

	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return jv_string("");
	}
	return v;
}

/* --- requests --- */

static jv
openai_content(jv m)
{
	jv imgs = get(m, "images"), parts;
	int i, n;

	if (jv_get_kind(imgs) != JV_KIND_ARRAY || jv_array_length(jv_copy(imgs)) == 0) {
		jv_free(imgs);
		return str_or_empty(m, "text");
	}
	parts = jv_array_append(jv_array(), set(set(jv_object(), "type", jv_string("text")),
	    "text", str_or_empty(m, "text")));
	n = jv_array_length(jv_copy(imgs));
	for (i = 0; i < n; i++) {
		jv img = at(imgs, i), mt = str_or_empty(img, "media_type");
		jv url = jv_string_concat(jv_string_fmt("data:%s;base64,", jv_string_value(mt)),
		    str_or_empty(img, "data"));
		jv_free(mt);
		parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("image_url")),
		    "image_url", set(jv_object(), "url", url)));
		jv_free(img);
	}
	jv_free(imgs);
	return parts;
}

static jv
openai_messages(const char *system, jv msgs)
{
	jv out = jv_array();
	int i, n = jv_array_length(jv_copy(msgs));

	if (system && *system)
		out = jv_array_append(out, set(set(jv_object(), "role", jv_string("system")),
		    "content", jv_string(system)));
	for (i = 0; i < n; i++) {
		jv m = at(msgs, i), role = str_or_empty(m, "role"), o = jv_object(), calls;
		const char *r = jv_string_value(role);
		if (strcmp(r, "tool") == 0) {
			o = set(o, "role", jv_string("tool"));
			o = set(o, "tool_call_id", str_or_empty(m, "tool_call_id"));
			o = set(o, "content", str_or_empty(m, "text"));
		} else if (strcmp(r, "assistant") == 0) {
			o = set(o, "role", jv_string("assistant"));
			calls = get(m, "tool_calls");
			if (jv_get_kind(calls) == JV_KIND_ARRAY && jv_array_length(jv_copy(calls)) > 0) {
				jv tc = jv_array();
				int j, nc = jv_array_length(jv_copy(calls));
				for (j = 0; j < nc; j++) {
					jv c = at(calls, j);
					tc = jv_array_append(tc, set(set(set(jv_object(), "id", str_or_empty(c, "id")),
					    "type", jv_string("function")), "function",
					    set(set(jv_object(), "name", str_or_empty(c, "name")),
					    "arguments", str_or_empty(c, "arguments"))));
					jv_free(c);
				}
				o = set(o, "content", str_or_empty(m, "text"));
				o = set(o, "tool_calls", tc);
			} else
				o = set(o, "content", str_or_empty(m, "text"));
			jv_free(calls);
		} else {
			o = set(o, "role", jv_string(strcmp(r, "system") == 0 ? "system" : "user"));
			o = set(o, "content", openai_content(m));
		}
		out = jv_array_append(out, o);
		jv_free(role);
		jv_free(m);
	}
	jv_free(msgs);
	return out;
}

/* Anthropic wants alternating roles: consecutive same-role messages merge. */
static jv
push_anthropic(jv out, const char *role, jv parts)
{
	int n = jv_array_length(jv_copy(out));

	if (n > 0) {
		jv last = jv_array_get(jv_copy(out), n - 1), lr = get(last, "role");
		int same = strcmp(jv_string_value(lr), role) == 0;
		jv_free(lr);
		if (same) {
			jv c = get(last, "content");
			int i, np = jv_array_length(jv_copy(parts));
			for (i = 0; i < np; i++)
				c = jv_array_append(c, jv_array_get(jv_copy(parts), i));
			jv_free(parts);
			return jv_array_set(out, n - 1, set(last, "content", c));
		}
		jv_free(last);
	}
	return jv_array_append(out, set(set(jv_object(), "role", jv_string(role)), "content", parts));
}

static jv
anthropic_messages(jv msgs)
{
	jv out = jv_array();
	int i, n = jv_array_length(jv_copy(msgs));

	for (i = 0; i < n; i++) {
		jv m = at(msgs, i), role = str_or_empty(m, "role"), parts = jv_array(), text = str_or_empty(m, "text");
		const char *r = jv_string_value(role);
		int has_text = jv_string_length_bytes(jv_copy(text)) > 0;
		if (strcmp(r, "tool") == 0) {
			parts = jv_array_append(parts, set(set(set(jv_object(), "type", jv_string("tool_result")),
			    "tool_use_id", str_or_empty(m, "tool_call_id")), "content", text));
			out = push_anthropic(out, "user", parts);
		} else if (strcmp(r, "assistant") == 0) {
			jv th = get(m, "thinking"), calls = get(m, "tool_calls");
			int j, k;
			for (j = 0; jv_get_kind(th) == JV_KIND_ARRAY && j < jv_array_length(jv_copy(th)); j++) {
				jv t = at(th, j);
				parts = jv_array_append(parts, set(set(set(jv_object(), "type", jv_string("thinking")),
				    "thinking", str_or_empty(t, "text")), "signature", str_or_empty(t, "signature")));
				jv_free(t);
			}
			if (has_text)
				parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")), "text", jv_copy(text)));
			k = jv_get_kind(calls) == JV_KIND_ARRAY ? jv_array_length(jv_copy(calls)) : 0;
			for (j = 0; j < k; j++) {
				jv c = at(calls, j), args = str_or_empty(c, "arguments");
				jv input = jv_parse(jv_string_value(args));
				if (jv_get_kind(input) != JV_KIND_OBJECT) {
					jv_free(input);
					input = jv_object();
				}
				parts = jv_array_append(parts, set(set(set(set(jv_object(), "type", jv_string("tool_use")),
				    "id", str_or_empty(c, "id")), "name", str_or_empty(c, "name")), "input", input));
				jv_free(args);
				jv_free(c);
			}
			jv_free(th);
			jv_free(calls);
			jv_free(text);
			if (jv_array_length(jv_copy(parts)) == 0)
				parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")), "text", jv_string("…")));
			out = push_anthropic(out, "assistant", parts);
		} else {
			jv imgs = get(m, "images");
			int j, k = jv_get_kind(imgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(imgs)) : 0;
			for (j = 0; j < k; j++) {
				jv img = at(imgs, j);
				parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("image")), "source",
				    set(set(set(jv_object(), "type", jv_string("base64")), "media_type",
				    str_or_empty(img, "media_type")), "data", str_or_empty(img, "data"))));
				jv_free(img);
			}
			jv_free(imgs);
			parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")), "text", text));
			out = push_anthropic(out, "user", parts);
		}
		jv_free(role);
		jv_free(m);
	}
	jv_free(msgs);
	return out;
}

static jv
tools_for(enum wire_kind kind, jv tools)
{
	jv out = jv_array();
	int i, n = jv_array_length(jv_copy(tools));

	for (i = 0; i < n; i++) {
		jv t = at(tools, i), params = get(t, "parameters");
		if (jv_get_kind(params) != JV_KIND_OBJECT) {
			jv_free(params);
			params = set(set(jv_object(), "type", jv_string("object")), "properties", jv_object());
		}
		if (kind == WIRE_ANTHROPIC)
			out = jv_array_append(out, set(set(set(jv_object(), "name", str_or_empty(t, "name")),
			    "description", str_or_empty(t, "description")), "input_schema", params));
		else
			out = jv_array_append(out, set(set(jv_object(), "type", jv_string("function")), "function",
			    set(set(set(jv_object(), "name", str_or_empty(t, "name")),
			    "description", str_or_empty(t, "description")), "parameters", params)));
		jv_free(t);
	}
	jv_free(tools);
	return out;
}

jv
wire_request(enum wire_kind kind, const struct wire_opts *o, const char *system, jv messages, jv tools)
{
	jv r = set(jv_object(), "model", jv_string(o->model));
	int have_tools = jv_get_kind(tools) == JV_KIND_ARRAY && jv_array_length(jv_copy(tools)) > 0;
	long max = o->max_tokens > 0 ? o->max_tokens : 8192;

	if (kind == WIRE_ANTHROPIC) {
		if (o->thinking) {
			long budget = max / 2 >= 1024 ? max / 2 : 1024;
			if (max <= budget)
				max = budget + 4096;
			r = set(r, "thinking", set(set(jv_object(), "type", jv_string("enabled")),
			    "budget_tokens", jv_number((double)budget)));
		}
		r = set(r, "max_tokens", jv_number((double)max));
		if (system && *system)
			r = set(r, "system", jv_string(system));
		r = set(r, "messages", anthropic_messages(messages));
	} else {
		r = set(r, "messages", openai_messages(system, messages));
		if (o->max_tokens > 0)
			r = set(r, "max_tokens", jv_number((double)o->max_tokens));
		if (o->thinking && !o->deepseek)
			r = set(r, "reasoning_effort", jv_string("medium"));
		if (o->stream)
			r = set(r, "stream_options", set(jv_object(), "include_usage", jv_true()));
	}
	if (have_tools)
		r = set(r, "tools", tools_for(kind, tools));
	else
		jv_free(tools);
	return set(r, "stream", o->stream ? jv_true() : jv_false());
}

/* --- answers --- */

void
answer_free(struct answer *a)
{
	int i;

	buf_free(&a->text);
	buf_free(&a->reasoning);
	buf_free(&a->signature);
	for (i = 0; i < WIRE_MAXCALLS; i++)
		buf_free(&a->calls[i].args);
}

jv
answer_message(const struct answer *a, const char *model)
{
	jv m = set(set(jv_object(), "role", jv_string("assistant")), "text",
	    jv_string_sized(a->text.p ? a->text.p : "", (int)a->text.len));
	int i;

	if (a->ncalls > 0) {
		jv calls = jv_array();
		for (i = 0; i < a->ncalls; i++) {
			const struct wire_call *c = &a->calls[i];
			calls = jv_array_append(calls, set(set(set(jv_object(), "id", jv_string(c->id)),
			    "name", jv_string(c->name)), "arguments",
			    jv_string_sized(c->args.len ? c->args.p : "{}", c->args.len ? (int)c->args.len : 2)));
		}
		m = set(m, "tool_calls", calls);
	}
	if (a->signature.len)
		m = set(m, "thinking", jv_array_append(jv_array(), set(set(jv_object(), "text",
		    jv_string_sized(a->reasoning.p ? a->reasoning.p : "", (int)a->reasoning.len)),
		    "signature", jv_string_sized(a->signature.p, (int)a->signature.len))));
	if (model)
		m = set(m, "model", jv_string(model));
	return m;
}

static void
fail(struct answer *a, jv err)
{
	jv msg = get(err, "message"), type = get(err, "type");

	a->failed = 1;
	snprintf(a->error, sizeof a->error, "%s",
	    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "the provider reported an error");
	snprintf(a->error_type, sizeof a->error_type, "%s",
	    jv_get_kind(type) == JV_KIND_STRING ? jv_string_value(type) : "error");
	jv_free(msg);
	jv_free(type);
}

static void
emit(struct wire_stream *w, int what, struct buf *b, size_t before)
{
	if (w->emit && b->len > before)
		w->emit(w->ctx, what, b->p + before, b->len - before);
}

static struct wire_call *
call_slot(struct answer *a, int i)
{
	if (i < 0 || i >= WIRE_MAXCALLS)
		return NULL;
	if (i >= a->ncalls)
		a->ncalls = i + 1;
	return &a->calls[i];
}

static void
openai_usage(struct answer *a, jv u)
{
	long in = get_num(u, "prompt_tokens"), out = get_num(u, "completion_tokens");

	if (in >= 0) a->in_tokens = in;
	if (out >= 0) a->out_tokens = out;
}

/* One choice's delta (streamed) or message (whole): the fields are the same. */
static void
openai_part(struct wire_stream *w, struct answer *a, jv d)
{
	jv calls = get(d, "tool_calls");
	size_t before;
	int i, n;

	before = a->reasoning.len;
	take_str(d, "reasoning_content", &a->reasoning);
	take_str(d, "reasoning", &a->reasoning);
	if (w)
		emit(w, WIRE_REASONING, &a->reasoning, before);
	before = a->text.len;
	take_str(d, "content", &a->text);
	if (w)
		emit(w, WIRE_TEXT, &a->text, before);
	n = jv_get_kind(calls) == JV_KIND_ARRAY ? jv_array_length(jv_copy(calls)) : 0;
	for (i = 0; i < n; i++) {
		jv c = at(calls, i), f = get(c, "function");
		long idx = get_num(c, "index");
		jv id = get(c, "id");
		struct wire_call *slot;
		/* Streams number their calls; a whole message (or a server that
		 * omits the index) gives each call with its id. */
		if (idx < 0)
			idx = !w || jv_get_kind(id) == JV_KIND_STRING || a->ncalls == 0 ? a->ncalls : a->ncalls - 1;
		jv_free(id);
		slot = call_slot(a, (int)idx);
		if (slot) {
			copy_str(c, "id", slot->id, sizeof slot->id);
			copy_str(f, "name", slot->name, sizeof slot->name);
			take_str(f, "arguments", &slot->args);
		}
		jv_free(f);
		jv_free(c);
	}
	jv_free(calls);
}

static int
openai_event(struct wire_stream *w, const char *data, size_t len)
{
	struct answer *a = w->a;
	jv v, ch, err, fr;

	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		a->done = 1;
		return 0;
	}
	v = ndjson_value(data, len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		a->failed = 1;
		snprintf(a->error, sizeof a->error, "malformed event from the provider");
		return 1;
	}
	if (jv_get_kind(err = get(v, "error")) == JV_KIND_OBJECT) {
		fail(a, err);
		jv_free(err);
		jv_free(v);
		return 1;
	}
	jv_free(err);
	openai_usage(a, err = get(v, "usage"));
	jv_free(err);
	ch = at(err = get(v, "choices"), 0);
	jv_free(err);
	err = get(ch, "delta");
	openai_part(w, a, err);
	jv_free(err);
	fr = get(ch, "finish_reason");
	if (jv_get_kind(fr) == JV_KIND_STRING)
		snprintf(a->stop, sizeof a->stop, "%s", jv_string_value(fr));
	jv_free(fr);
	jv_free(ch);
	jv_free(v);
	return 0;
}

static int
anthropic_event(struct wire_stream *w, const char *name, const char *data, size_t len)
{
	struct answer *a = w->a;
	jv v = ndjson_value(data, len), t, x;
	const char *type;
	long idx;
	int rc = 0;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		if (strcmp(name, "ping") == 0)
			return 0;
		a->failed = 1;
		snprintf(a->error, sizeof a->error, "malformed event from the provider");
		return 1;
	}
	t = str_or_empty(v, "type");
	type = jv_string_value(t);
	idx = get_num(v, "index");
	if (strcmp(type, "error") == 0 || strcmp(name, "error") == 0) {
		fail(a, x = get(v, "error"));
		jv_free(x);
		rc = 1;
	} else if (strcmp(type, "message_start") == 0) {
		jv m = get(v, "message"), u = get(m, "usage");
		long in = get_num(u, "input_tokens");
		if (in >= 0)
			a->in_tokens = in;
		jv_free(u);
		jv_free(m);
	} else if (strcmp(type, "content_block_start") == 0 && idx >= 0 && idx < 64) {
		jv cb = get(v, "content_block"), ct = str_or_empty(cb, "type");
		const char *c = jv_string_value(ct);
		w->blocks[idx].type = strcmp(c, "tool_use") == 0 ? 'u' : strcmp(c, "thinking") == 0 ? 'k' : 't';
		if (w->blocks[idx].type == 'u') {
			struct wire_call *slot = call_slot(a, a->ncalls);
			w->blocks[idx].call = slot ? a->ncalls - 1 : -1;
			if (slot) {
				copy_str(cb, "id", slot->id, sizeof slot->id);
				copy_str(cb, "name", slot->name, sizeof slot->name);
			}
		} else if (w->blocks[idx].type == 't') {
			size_t before = a->text.len;
			take_str(cb, "text", &a->text);
			emit(w, WIRE_TEXT, &a->text, before);
		}
		jv_free(ct);
		jv_free(cb);
	} else if (strcmp(type, "content_block_delta") == 0 && idx >= 0 && idx < 64) {
		jv d = get(v, "delta"), dt = str_or_empty(d, "type");
		const char *k = jv_string_value(dt);
		size_t before;
		if (strcmp(k, "text_delta") == 0) {
			before = a->text.len;
			take_str(d, "text", &a->text);
			emit(w, WIRE_TEXT, &a->text, before);
		} else if (strcmp(k, "thinking_delta") == 0) {
			before = a->reasoning.len;
			take_str(d, "thinking", &a->reasoning);
			emit(w, WIRE_REASONING, &a->reasoning, before);
		} else if (strcmp(k, "signature_delta") == 0) {
			take_str(d, "signature", &a->signature);
		} else if (strcmp(k, "input_json_delta") == 0 && w->blocks[idx].type == 'u'
		    && w->blocks[idx].call >= 0) {
			take_str(d, "partial_json", &a->calls[w->blocks[idx].call].args);
		}
		jv_free(dt);
		jv_free(d);
	} else if (strcmp(type, "message_delta") == 0) {
		jv d = get(v, "delta"), u = get(v, "usage");
		long out = get_num(u, "output_tokens");
		copy_str(d, "stop_reason", a->stop, sizeof a->stop);
		if (out >= 0)
			a->out_tokens = out;
		jv_free(d);
		jv_free(u);
	} else if (strcmp(type, "message_stop") == 0) {
		a->done = 1;
	}
	jv_free(t);
	jv_free(v);
	return rc;
}

static int
on_event(const char *event, const char *data, size_t len, void *ctx)
{
	struct wire_stream *w = ctx;

	if (w->kind == WIRE_ANTHROPIC)
		return anthropic_event(w, event, data, len);
	return openai_event(w, data, len);
}

void
wire_stream_init(struct wire_stream *w, enum wire_kind kind, struct answer *a, wire_emit_fn *fn, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->kind = kind;
	w->a = a;
	w->emit = fn;
	w->ctx = ctx;
	sse_init(&w->sse, on_event, w);
}

int
wire_stream_feed(const char *p, size_t n, void *ctx)
{
	struct wire_stream *w = ctx;
	int rc = sse_feed(&w->sse, p, n);

	if (rc < 0 && !w->a->failed) {
		w->a->failed = 1;
		snprintf(w->a->error, sizeof w->a->error, "malformed event stream from the provider");
	}
	return rc != 0;
}

void
wire_stream_free(struct wire_stream *w)
{
	sse_free(&w->sse);
}

int
wire_parse_body(enum wire_kind kind, const char *body, size_t len, struct answer *a)
{
	jv v = ndjson_value(body, len), x;
	int i, n;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		a->failed = 1;
		snprintf(a->error, sizeof a->error, "malformed answer from the provider");
		return -1;
	}
	if (jv_get_kind(x = get(v, "error")) == JV_KIND_OBJECT) {
		fail(a, x);
		jv_free(x);
		jv_free(v);
		return -1;
	}
	jv_free(x);
	if (kind == WIRE_OPENAI) {
		jv ch = at(x = get(v, "choices"), 0), m = get(ch, "message");
		jv_free(x);
		openai_part(NULL, a, m);
		copy_str(ch, "finish_reason", a->stop, sizeof a->stop);
		openai_usage(a, x = get(v, "usage"));
		jv_free(x);
		jv_free(m);
		jv_free(ch);
	} else {
		jv content = get(v, "content"), u = get(v, "usage");
		n = jv_get_kind(content) == JV_KIND_ARRAY ? jv_array_length(jv_copy(content)) : 0;
		for (i = 0; i < n; i++) {
			jv b = at(content, i), bt = str_or_empty(b, "type");
			const char *t = jv_string_value(bt);
			if (strcmp(t, "text") == 0)
				take_str(b, "text", &a->text);
			else if (strcmp(t, "thinking") == 0) {
				take_str(b, "thinking", &a->reasoning);
				take_str(b, "signature", &a->signature);
			} else if (strcmp(t, "tool_use") == 0) {
				struct wire_call *c = call_slot(a, a->ncalls);
				if (c) {
					jv input = get(b, "input");
					jv s = jv_dump_string(jv_get_kind(input) == JV_KIND_OBJECT ? input
					    : (jv_free(input), jv_object()), 0);
					copy_str(b, "id", c->id, sizeof c->id);
					copy_str(b, "name", c->name, sizeof c->name);
					buf_adds(&c->args, jv_string_value(s));
					jv_free(s);
				}
			}
			jv_free(bt);
			jv_free(b);
		}
		copy_str(v, "stop_reason", a->stop, sizeof a->stop);
		if (get_num(u, "input_tokens") >= 0) a->in_tokens = get_num(u, "input_tokens");
		if (get_num(u, "output_tokens") >= 0) a->out_tokens = get_num(u, "output_tokens");
		jv_free(u);
		jv_free(content);
	}
	a->done = 1;
	jv_free(v);
	return 0;
}

void
wire_error_message(const char *body, size_t len, char *dst, size_t n)
{
	jv v = ndjson_value(body, len), e = get(v, "error"), m;

	dst[0] = '\0';
	m = jv_get_kind(e) == JV_KIND_OBJECT ? get(e, "message") : jv_copy(e);
	if (jv_get_kind(m) == JV_KIND_STRING)
		snprintf(dst, n, "%s", jv_string_value(m));
	jv_free(m);
	jv_free(e);
	jv_free(v);
}
