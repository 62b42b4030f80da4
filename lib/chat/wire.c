/* wire: what both chat formats share — the request's frame, the answer, the stream
 * and body entry points — over the format table (wire_openai.c, wire_anthropic.c).
 * Every value from the network is kind-checked before use: a jv accessor on the
 * wrong kind asserts, and a provider's bytes must never crash us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/ndjson.h"
#include "chat/wire_impl.h"

static const struct wire_format *const formats[] = {
	[WIRE_OPENAI] = &wire_openai, [WIRE_ANTHROPIC] = &wire_anthropic,
};

/* --- tool names --- */

void
wire_tool_name(const char *name, char out[WIRE_NAMEMAX + 1])
{
	size_t i;

	for (i = 0; name[i] && i < WIRE_NAMEMAX; i++) {
		char c = name[i];
		out[i] = c == '.' ? 'D' : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		    || (c >= '0' && c <= '9') || c == '_' || c == '-' ? c : '_';
	}
	if (i == 0)
		out[i++] = '_';
	out[i] = '\0';
}

void
wire_skill_name(const char *wire, char *out, size_t n)
{
	size_t i;

	for (i = 0; wire[i] && i + 1 < n; i++)
		out[i] = wire[i] == 'D' ? '.' : wire[i];
	if (n)
		out[i] = '\0';
}

/* A name as the format's pattern wants it, for a request (consumes name). */
jv
wire_name(jv name)
{
	char w[WIRE_NAMEMAX + 1];

	wire_tool_name(jv_get_kind(name) == JV_KIND_STRING ? jv_string_value(name) : "", w);
	jv_free(name);
	return jv_string(w);
}

/* --- requests --- */

/* The tools in a stable order: those that stay from turn to turn by name (their
 * count goes to *nstable), then those chosen for this turn only ("volatile") in
 * the order given, so that one added during a turn, at the end, leaves the prefix
 * before it as it was. */
static jv
tools_sorted(jv tools, int *nstable)
{
	jv keys = jv_array();

	*nstable = 0;
	jv_array_foreach(tools, i, t) {
		jv v = get(t, "volatile");
		int vol = jv_get_kind(v) == JV_KIND_TRUE;
		*nstable += !vol;
		keys = jv_array_append(keys, jv_array_append(jv_array_append(jv_array(),
		    jv_number(vol)), vol ? jv_number(i) : str_or_empty(t, "name")));
		jv_free(v);
		jv_free(t);
	}
	return jv_sort(tools, keys);
}

static jv
tools_for(enum wire_kind kind, jv tools, int *nstable)
{
	jv out = jv_array();
	int i, n;

	tools = tools_sorted(tools, nstable);
	n = jv_array_length(jv_copy(tools));
	for (i = 0; i < n; i++) {
		jv t = at(tools, i), params = get(t, "parameters");
		if (jv_get_kind(params) != JV_KIND_OBJECT) {
			jv_free(params);
			params = set(set(jv_object(), "type", jv_string("object")), "properties",
			    jv_object());
		}
		out = jv_array_append(out, formats[kind]->tool(wire_name(str_or_empty(t, "name")),
		    str_or_empty(t, "description"), params));
		jv_free(t);
	}
	jv_free(tools);
	return out;
}

jv
wire_request(enum wire_kind kind, const struct wire_opts *o, const char *system, jv messages,
    jv tools)
{
	jv r = formats[kind]->request(set(jv_object(), "model", jv_string(o->model)), o, system,
	    messages);
	int nstable = 0;

	if (jv_get_kind(tools) == JV_KIND_ARRAY && jv_array_length(jv_copy(tools)) > 0)
		r = set(r, "tools", tools_for(kind, tools, &nstable));
	else
		jv_free(tools);
	if (formats[kind]->finish)
		r = formats[kind]->finish(r, nstable);
	return set(r, "stream", o->stream ? jv_true() : jv_false());
}

/* --- answers --- */

void
answer_free(struct answer *a)
{
	int i;

	buf_free(&a->text);
	buf_free(&a->reasoning);
	for (i = 0; i < WIRE_MAXTHINK; i++) {
		buf_free(&a->think[i].text);
		buf_free(&a->think[i].sig);
	}
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
			calls = jv_array_append(calls, set(set(set(jv_object(),
			    "id", jv_string(c->id)),
			    "name", jv_string(c->name)), "arguments",
			    jv_string_sized(c->args.len ? c->args.p : "{}",
			    c->args.len ? (int)c->args.len : 2)));
		}
		m = set(m, "tool_calls", calls);
	}
	if (a->nthink > 0) {
		jv th = jv_array();
		for (i = 0; i < a->nthink; i++) {
			const struct wire_think *k = &a->think[i];
			jv text = jv_string_sized(k->text.p ? k->text.p : "", (int)k->text.len);
			if (k->type == 'r')
				th = jv_array_append(th, set(jv_object(), "redacted", text));
			else if (k->sig.len)     /* unsigned thinking cannot go back */
				th = jv_array_append(th, set(set(jv_object(), "text", text),
				    "signature", jv_string_sized(k->sig.p, (int)k->sig.len)));
			else
				jv_free(text);
		}
		m = set(m, "thinking", th);
	}
	if (a->reasoning_content)
		m = set(m, "reasoning_content",
		    jv_string_sized(a->reasoning.p ? a->reasoning.p : "", (int)a->reasoning.len));
	if (model)
		m = set(m, "model", jv_string(model));
	return m;
}

static int
on_event(const char *event, const char *data, size_t len, void *ctx)
{
	struct wire_stream *w = ctx;

	return formats[w->kind]->event(w, event, data, len);
}

void
wire_stream_init(struct wire_stream *w, enum wire_kind kind, struct answer *a, wire_emit_fn *fn,
    void *ctx)
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
		snprintf(w->a->error, sizeof w->a->error,
		    "malformed event stream from the provider");
	}
	return rc != 0;
}

void
wire_stream_end(struct wire_stream *w)
{
	if (w->kind == WIRE_OPENAI && !w->a->failed && w->a->stop[0])
		w->a->done = 1;
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
	formats[kind]->body(v, a);
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
