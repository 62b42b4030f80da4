/* wire_anthropic: Anthropic messages — the request body (alternating roles, thinking
 * blocks kept with their signatures), the stream's typed events, a whole answer. */
#include <stdio.h>
#include <string.h>

#include "chat/ndjson.h"
#include "chat/wire_impl.h"

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
	return jv_array_append(out, set(set(jv_object(), "role", jv_string(role)), "content",
	    parts));
}

/* An assistant message's parts: thinking (with its signature), text, tool uses. */
static jv
assistant_parts(jv m, jv text)
{
	jv parts = jv_array(), th = get(m, "thinking"), calls = get(m, "tool_calls");
	int j, k;

	for (j = 0; jv_get_kind(th) == JV_KIND_ARRAY && j < jv_array_length(jv_copy(th)); j++) {
		jv t = at(th, j), r = get(t, "redacted");
		if (jv_get_kind(r) == JV_KIND_STRING)
			parts = jv_array_append(parts, set(set(jv_object(),
			    "type", jv_string("redacted_thinking")), "data", r));
		else {
			jv_free(r);
			parts = jv_array_append(parts, set(set(set(jv_object(),
			    "type", jv_string("thinking")), "thinking", str_or_empty(t, "text")),
			    "signature", str_or_empty(t, "signature")));
		}
		jv_free(t);
	}
	if (jv_string_length_bytes(jv_copy(text)) > 0)
		parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")),
		    "text", jv_copy(text)));
	k = jv_get_kind(calls) == JV_KIND_ARRAY ? jv_array_length(jv_copy(calls)) : 0;
	for (j = 0; j < k; j++) {
		jv c = at(calls, j), args = str_or_empty(c, "arguments");
		/* The model's words: checked before libjq's parser, which leaks on some. */
		jv input = ndjson_value(jv_string_value(args),
		    (size_t)jv_string_length_bytes(jv_copy(args)));
		if (jv_get_kind(input) != JV_KIND_OBJECT) {
			jv_free(input);
			input = jv_object();
		}
		parts = jv_array_append(parts, set(set(set(set(jv_object(),
		    "type", jv_string("tool_use")), "id", str_or_empty(c, "id")),
		    "name", wire_name(str_or_empty(c, "name"))), "input", input));
		jv_free(args);
		jv_free(c);
	}
	jv_free(th);
	jv_free(calls);
	jv_free(text);
	if (jv_array_length(jv_copy(parts)) == 0)
		parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")),
		    "text", jv_string("…")));
	return parts;
}

/* A user message's parts: its images, then its text. */
static jv
user_parts(jv m, jv text)
{
	jv parts = jv_array(), imgs = get(m, "images");
	int j, k = jv_get_kind(imgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(imgs)) : 0;

	for (j = 0; j < k; j++) {
		jv img = at(imgs, j);
		parts = jv_array_append(parts, set(set(jv_object(), "type", jv_string("image")),
		    "source", set(set(set(jv_object(), "type", jv_string("base64")), "media_type",
		    str_or_empty(img, "media_type")), "data", str_or_empty(img, "data"))));
		jv_free(img);
	}
	jv_free(imgs);
	return jv_array_append(parts, set(set(jv_object(), "type", jv_string("text")), "text",
	    text));
}

static jv
anthropic_messages(jv msgs)
{
	jv out = jv_array();
	int i, n = jv_array_length(jv_copy(msgs));

	for (i = 0; i < n; i++) {
		jv m = at(msgs, i), role = str_or_empty(m, "role"), text = str_or_empty(m, "text");
		const char *r = jv_string_value(role);
		if (strcmp(r, "tool") == 0)
			out = push_anthropic(out, "user", jv_array_append(jv_array(),
			    set(set(set(jv_object(), "type", jv_string("tool_result")),
			    "tool_use_id", str_or_empty(m, "tool_call_id")), "content", text)));
		else if (strcmp(r, "assistant") == 0)
			out = push_anthropic(out, "assistant", assistant_parts(m, text));
		else
			out = push_anthropic(out, "user", user_parts(m, text));
		jv_free(role);
		jv_free(m);
	}
	jv_free(msgs);
	return out;
}

/* The API needs a limit; this is the largest that every Claude model takes
 * (claude-3-haiku refuses more), chat.max_tokens sets another. */
#define ANTHROPIC_MAX_TOKENS 4096

static jv
request(jv r, const struct wire_opts *o, const char *system, jv messages)
{
	long max = o->max_tokens > 0 ? o->max_tokens : ANTHROPIC_MAX_TOKENS;

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
	return set(r, "messages", anthropic_messages(messages));
}

static jv
tool(jv name, jv description, jv parameters)
{
	return set(set(set(jv_object(), "name", name), "description", description),
	    "input_schema", parameters);
}

/* --- the stream: one function per event type --- */

static int
on_error(struct wire_stream *w, jv v, long idx)
{
	jv x = get(v, "error");

	fail(w->a, x);
	jv_free(x);
	return 1;
}

static int
on_message_start(struct wire_stream *w, jv v, long idx)
{
	jv m = get(v, "message"), u = get(m, "usage");
	long in = get_num(u, "input_tokens");

	if (in >= 0)
		w->a->in_tokens = in;
	jv_free(u);
	jv_free(m);
	return 0;
}

static int
on_block_start(struct wire_stream *w, jv v, long idx)
{
	struct answer *a = w->a;
	jv cb = get(v, "content_block"), ct = str_or_empty(cb, "type");
	const char *c = jv_string_value(ct);

	w->blocks[idx].type = strcmp(c, "tool_use") == 0 ? 'u'
	    : strcmp(c, "thinking") == 0 ? 'k' : strcmp(c, "redacted_thinking") == 0 ? 'r' : 't';
	if (w->blocks[idx].type == 'k' || w->blocks[idx].type == 'r') {
		struct wire_think *k = think_slot(a, w->blocks[idx].type);
		w->blocks[idx].call = k ? a->nthink - 1 : -1;
		if (k && k->type == 'r')
			take_str(cb, "data", &k->text);
	} else if (w->blocks[idx].type == 'u') {
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
	return 0;
}

static int
on_block_delta(struct wire_stream *w, jv v, long idx)
{
	struct answer *a = w->a;
	jv d = get(v, "delta"), dt = str_or_empty(d, "type");
	const char *k = jv_string_value(dt);
	struct wire_think *th = w->blocks[idx].type == 'k' && w->blocks[idx].call >= 0
	    ? &a->think[w->blocks[idx].call] : NULL;
	size_t before;

	if (strcmp(k, "text_delta") == 0) {
		before = a->text.len;
		take_str(d, "text", &a->text);
		emit(w, WIRE_TEXT, &a->text, before);
	} else if (strcmp(k, "thinking_delta") == 0 && th) {
		before = a->reasoning.len;
		take_str(d, "thinking", &a->reasoning);
		if (a->reasoning.len > before)
			buf_add(&th->text, a->reasoning.p + before, a->reasoning.len - before);
		emit(w, WIRE_REASONING, &a->reasoning, before);
	} else if (strcmp(k, "signature_delta") == 0 && th) {
		take_str(d, "signature", &th->sig);
	} else if (strcmp(k, "input_json_delta") == 0 && w->blocks[idx].type == 'u'
	    && w->blocks[idx].call >= 0) {
		take_str(d, "partial_json", &a->calls[w->blocks[idx].call].args);
	}
	jv_free(dt);
	jv_free(d);
	return 0;
}

static int
on_message_delta(struct wire_stream *w, jv v, long idx)
{
	jv d = get(v, "delta"), u = get(v, "usage");
	long out = get_num(u, "output_tokens");

	copy_str(d, "stop_reason", w->a->stop, sizeof w->a->stop);
	if (out >= 0)
		w->a->out_tokens = out;
	jv_free(d);
	jv_free(u);
	return 0;
}

static int
on_message_stop(struct wire_stream *w, jv v, long idx)
{
	w->a->done = 1;
	return 0;
}

static const struct {
	const char *type;
	int block;               /* needs a content block index in range */
	int (*fn)(struct wire_stream *w, jv v, long idx);
} events[] = {
	{ "error", 0, on_error },
	{ "message_start", 0, on_message_start },
	{ "content_block_start", 1, on_block_start },
	{ "content_block_delta", 1, on_block_delta },
	{ "message_delta", 0, on_message_delta },
	{ "message_stop", 0, on_message_stop },
};

static int
anthropic_event(struct wire_stream *w, const char *name, const char *data, size_t len)
{
	jv v = ndjson_value(data, len), t;
	const char *type;
	long idx, nblocks = (long)(sizeof w->blocks / sizeof w->blocks[0]);
	size_t i;
	int rc = 0;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		if (strcmp(name, "ping") == 0)
			return 0;
		w->a->failed = 1;
		snprintf(w->a->error, sizeof w->a->error, "malformed event from the provider");
		return 1;
	}
	t = str_or_empty(v, "type");
	type = strcmp(name, "error") == 0 ? "error" : jv_string_value(t);
	idx = get_num(v, "index");
	for (i = 0; i < sizeof events / sizeof events[0]; i++)
		if (strcmp(events[i].type, type) == 0) {
			if (!events[i].block || (idx >= 0 && idx < nblocks))
				rc = events[i].fn(w, v, idx);
			break;
		}
	jv_free(t);
	jv_free(v);
	return rc;
}

static void
body(jv v, struct answer *a)
{
	jv content = get(v, "content"), u = get(v, "usage");
	int i, n = jv_get_kind(content) == JV_KIND_ARRAY ? jv_array_length(jv_copy(content)) : 0;

	for (i = 0; i < n; i++) {
		jv b = at(content, i), bt = str_or_empty(b, "type");
		const char *t = jv_string_value(bt);
		if (strcmp(t, "text") == 0)
			take_str(b, "text", &a->text);
		else if (strcmp(t, "thinking") == 0 || strcmp(t, "redacted_thinking") == 0) {
			struct wire_think *k = think_slot(a, t[0] == 'r' ? 'r' : 'k');
			if (k && k->type == 'r')
				take_str(b, "data", &k->text);
			else if (k) {
				size_t from = a->reasoning.len;
				take_str(b, "thinking", &a->reasoning);
				if (a->reasoning.len > from)
					buf_add(&k->text, a->reasoning.p + from,
					    a->reasoning.len - from);
				take_str(b, "signature", &k->sig);
			}
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

const struct wire_format wire_anthropic = {
	.request = request, .tool = tool, .event = anthropic_event, .body = body,
};
