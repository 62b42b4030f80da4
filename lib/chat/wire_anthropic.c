/* wire_anthropic: Anthropic messages — the request body (alternating roles, thinking
 * blocks kept with their signatures, prompt cache breakpoints), the stream's typed
 * events, a whole answer. */
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
	if (system && *system)     /* a block: a breakpoint goes on it (finish) */
		r = set(r, "system", jv_array_append(jv_array(), set(set(jv_object(),
		    "type", jv_string("text")), "text", jv_string(system))));
	return set(r, "messages", anthropic_messages(messages));
}

/* --- prompt caching: the prefix up to a block with cache_control is cached, in the
 * order tools, system, messages.  At most four such blocks; thinking blocks and
 * empty text blocks cannot carry one (the API refuses the request). --- */

static jv
ephemeral(jv block)
{
	return set(block, "cache_control", set(jv_object(), "type", jv_string("ephemeral")));
}

/* arr with its element i marked (i in range). */
static jv
mark_at(jv arr, int i)
{
	return jv_array_set(arr, i, ephemeral(jv_array_get(jv_copy(arr), i)));
}

static int
markable(jv b)
{
	jv t = str_or_empty(b, "type"), x;
	const char *k = jv_string_value(t);
	int ok = strcmp(k, "image") == 0 || strcmp(k, "tool_use") == 0
	    || strcmp(k, "tool_result") == 0;

	if (strcmp(k, "text") == 0) {
		x = str_or_empty(b, "text");
		ok = jv_string_length_bytes(jv_copy(x)) > 0;
		jv_free(x);
	}
	jv_free(t);
	return ok;
}

/* Message i of msgs with a breakpoint on its last block that may carry one. */
static jv
mark_message(jv msgs, int i)
{
	jv m = jv_array_get(jv_copy(msgs), i), c = get(m, "content");
	int k = jv_get_kind(c) == JV_KIND_ARRAY ? jv_array_length(jv_copy(c)) : 0;

	while (k > 0) {
		jv b = at(c, k - 1);
		int ok = markable(b);
		jv_free(b);
		if (ok)
			break;
		k--;
	}
	if (k > 0)
		msgs = jv_array_set(msgs, i, set(m, "content", mark_at(c, k - 1)));
	else {
		jv_free(c);
		jv_free(m);
	}
	return msgs;
}

/* The breakpoints: the last tool that stays from turn to turn (the first nstable
 * are those), the system prompt (which caches the tools before it too), the last
 * user message before the last message (where the request before this one ended:
 * the previous turn's, or the previous round of tool calls'), and the last message,
 * for the next request to read. */
static jv
finish(jv r, int nstable)
{
	jv tools = get(r, "tools"), sys = get(r, "system"), msgs = get(r, "messages");
	int n, i;

	if (nstable > 0 && jv_get_kind(tools) == JV_KIND_ARRAY
	    && nstable <= jv_array_length(jv_copy(tools)))
		r = set(r, "tools", mark_at(jv_copy(tools), nstable - 1));
	if (jv_get_kind(sys) == JV_KIND_ARRAY && (n = jv_array_length(jv_copy(sys))) > 0)
		r = set(r, "system", mark_at(jv_copy(sys), n - 1));
	n = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
	if (n > 0) {
		for (i = n - 2; i >= 0; i--) {
			jv m = at(msgs, i), role = str_or_empty(m, "role");
			int user = strcmp(jv_string_value(role), "user") == 0;
			jv_free(role);
			jv_free(m);
			if (user)
				break;
		}
		if (i >= 0)
			msgs = mark_message(msgs, i);
		r = set(r, "messages", mark_message(jv_copy(msgs), n - 1));
	}
	jv_free(tools);
	jv_free(sys);
	jv_free(msgs);
	return r;
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

/* Usage: input_tokens counts only what came after the last cache breakpoint;
 * a->in_tokens is the whole prompt, what was written to and read from the cache
 * with it.  A field absent (message_delta's usage may give only output_tokens) or
 * not a count leaves what is known. */
static void
anthropic_usage(struct answer *a, jv u)
{
	long in = get_num(u, "input_tokens"), out = get_num(u, "output_tokens");
	long cw = get_num(u, "cache_creation_input_tokens");
	long cr = get_num(u, "cache_read_input_tokens");
	long rest = a->in_tokens - a->cache_write - a->cache_read;

	if (cw >= 0)
		a->cache_write = cw;
	if (cr >= 0)
		a->cache_read = cr;
	if (in >= 0)
		rest = in;
	if (in >= 0 || cw >= 0 || cr >= 0)
		a->in_tokens = rest + a->cache_write + a->cache_read;
	if (out >= 0)
		a->out_tokens = out;
}

static int
on_message_start(struct wire_stream *w, jv v, long idx)
{
	jv m = get(v, "message"), u = get(m, "usage");

	anthropic_usage(w->a, u);
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

	copy_str(d, "stop_reason", w->a->stop, sizeof w->a->stop);
	anthropic_usage(w->a, u);
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
	anthropic_usage(a, u);
	jv_free(u);
	jv_free(content);
}

const struct wire_format wire_anthropic = {
	.request = request, .tool = tool, .finish = finish, .event = anthropic_event,
	.body = body,
};
