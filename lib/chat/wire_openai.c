/* wire_openai: OpenAI chat completions (and the servers that speak it: DeepSeek,
 * Ollama, llama.cpp...) — the request body, the stream's chunks, a whole answer. */
#include <stdio.h>
#include <string.h>

#include "chat/ndjson.h"
#include "chat/wire_impl.h"

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

/* Does the span of msgs around i (between two user messages) hold a tool call?
 * DeepSeek wants such a span's reasoning_content back in every later request. */
static int
span_called_tools(jv msgs, int i, int n)
{
	int j, from, to, called = 0;

	for (from = i; from > 0; from--) {
		jv m = at(msgs, from - 1), r = str_or_empty(m, "role");
		int user = strcmp(jv_string_value(r), "user") == 0;
		jv_free(r);
		jv_free(m);
		if (user)
			break;
	}
	for (to = i; to < n; to++) {
		jv m = at(msgs, to), r = str_or_empty(m, "role");
		int user = strcmp(jv_string_value(r), "user") == 0;
		jv_free(r);
		jv_free(m);
		if (user)
			break;
	}
	for (j = from; j < to && !called; j++) {
		jv m = at(msgs, j), c = get(m, "tool_calls");
		called = jv_get_kind(c) == JV_KIND_ARRAY && jv_array_length(jv_copy(c)) > 0;
		jv_free(c);
		jv_free(m);
	}
	return called;
}

static jv
assistant_message(jv m, jv msgs, int i, int n)
{
	jv o = set(set(jv_object(), "role", jv_string("assistant")), "content",
	    str_or_empty(m, "text"));
	jv calls = get(m, "tool_calls"), rc = get(m, "reasoning_content");
	int j, nc = jv_get_kind(calls) == JV_KIND_ARRAY ? jv_array_length(jv_copy(calls)) : 0;

	if (nc > 0) {
		jv tc = jv_array();
		for (j = 0; j < nc; j++) {
			jv c = at(calls, j);
			tc = jv_array_append(tc, set(set(set(jv_object(),
			    "id", str_or_empty(c, "id")),
			    "type", jv_string("function")), "function",
			    set(set(jv_object(), "name", wire_name(str_or_empty(c, "name"))),
			    "arguments", str_or_empty(c, "arguments"))));
			jv_free(c);
		}
		o = set(o, "tool_calls", tc);
	}
	if (jv_get_kind(rc) == JV_KIND_STRING && span_called_tools(msgs, i, n))
		o = set(o, "reasoning_content", rc);
	else
		jv_free(rc);
	jv_free(calls);
	return o;
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
		jv m = at(msgs, i), role = str_or_empty(m, "role"), o;
		const char *r = jv_string_value(role);
		if (strcmp(r, "tool") == 0)
			o = set(set(set(jv_object(), "role", jv_string("tool")), "tool_call_id",
			    str_or_empty(m, "tool_call_id")), "content", str_or_empty(m, "text"));
		else if (strcmp(r, "assistant") == 0)
			o = assistant_message(m, msgs, i, n);
		else
			o = set(set(jv_object(), "role",
			    jv_string(strcmp(r, "system") == 0 ? "system" : "user")), "content",
			    openai_content(m));
		out = jv_array_append(out, o);
		jv_free(role);
		jv_free(m);
	}
	jv_free(msgs);
	return out;
}

static jv
request(jv r, const struct wire_opts *o, const char *system, jv messages)
{
	r = set(r, "messages", openai_messages(system, messages));
	if (o->max_tokens > 0)
		r = set(r, "max_tokens", jv_number((double)o->max_tokens));
	if (o->thinking && !o->deepseek)
		r = set(r, "reasoning_effort", jv_string("medium"));
	if (o->stream)
		r = set(r, "stream_options", set(jv_object(), "include_usage", jv_true()));
	return r;
}

static jv
tool(jv name, jv description, jv parameters)
{
	return set(set(jv_object(), "type", jv_string("function")), "function",
	    set(set(set(jv_object(), "name", name), "description", description), "parameters",
	    parameters));
}

/* Usage: prompt_tokens counts the whole prompt; of it, what the server's prefix
 * cache held is prompt_tokens_details.cached_tokens (OpenAI; DeepSeek says
 * prompt_cache_hit_tokens).  Never more cached than the prompt. */
static void
openai_usage(struct answer *a, jv u)
{
	jv d = get(u, "prompt_tokens_details");
	long in = get_num(u, "prompt_tokens"), out = get_num(u, "completion_tokens");
	long cached = get_num(d, "cached_tokens");

	if (cached < 0)
		cached = get_num(u, "prompt_cache_hit_tokens");
	if (in >= 0) a->in_tokens = in;
	if (out >= 0) a->out_tokens = out;
	if (cached >= 0) a->cache_read = cached;
	if (a->cache_read > a->in_tokens)
		a->cache_read = a->in_tokens;
	jv_free(d);
}

/* One choice's delta (streamed) or message (whole): the fields are the same. */
static void
openai_part(struct wire_stream *w, struct answer *a, jv d)
{
	jv calls = get(d, "tool_calls"), rc = get(d, "reasoning_content");
	size_t before;
	int i, n;

	if (jv_get_kind(rc) == JV_KIND_STRING)
		a->reasoning_content = 1;      /* the field, even empty: DeepSeek's */
	jv_free(rc);
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
			idx = !w || jv_get_kind(id) == JV_KIND_STRING || a->ncalls == 0
			    ? a->ncalls : a->ncalls - 1;
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
openai_event(struct wire_stream *w, const char *name, const char *data, size_t len)
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

static void
body(jv v, struct answer *a)
{
	jv x, ch = at(x = get(v, "choices"), 0), m = get(ch, "message");

	jv_free(x);
	openai_part(NULL, a, m);
	copy_str(ch, "finish_reason", a->stop, sizeof a->stop);
	openai_usage(a, x = get(v, "usage"));
	jv_free(x);
	jv_free(m);
	jv_free(ch);
}

const struct wire_format wire_openai = {
	.request = request, .tool = tool, .event = openai_event, .body = body,
};
