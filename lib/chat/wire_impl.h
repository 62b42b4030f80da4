/* wire_impl: what chat/wire.c and its two formats (wire_openai.c, wire_anthropic.c)
 * share — jv accessors that never assert and never consume, and a format's table. */
#ifndef CLAW_WIRE_IMPL_H
#define CLAW_WIRE_IMPL_H
#include <stdio.h>
#include <string.h>

#include "chat/wire.h"

/* --- jv helpers that never assert and never consume their object --- */

static inline jv
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

static inline jv
at(jv a, int i)
{
	if (jv_get_kind(a) != JV_KIND_ARRAY || i >= jv_array_length(jv_copy(a)))
		return jv_null();
	return jv_array_get(jv_copy(a), i);
}

/* Append the string at o.k to b (nothing when absent or not a string); returns its length. */
static inline size_t
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

static inline void
copy_str(jv o, const char *k, char *dst, size_t n)
{
	jv v = get(o, k);

	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(dst, n, "%s", jv_string_value(v));
	jv_free(v);
}

static inline long
get_num(jv o, const char *k)
{
	jv v = get(o, k);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	long n = d >= 0 && d < 1e15 ? (long)d : -1;    /* counts and indexes: never negative */

	jv_free(v);
	return n;
}

static inline jv
set(jv o, const char *k, jv v)
{
	return jv_object_set(o, jv_string(k), v);
}

static inline jv
str_or_empty(jv o, const char *k)
{
	jv v = get(o, k);

	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return jv_string("");
	}
	return v;
}

/* --- the answer as it fills --- */

static inline void
fail(struct answer *a, jv err)
{
	jv msg = get(err, "message"), type = get(err, "type");

	a->failed = 1;
	snprintf(a->error, sizeof a->error, "%s",
	    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg)
	    : "the provider reported an error");
	snprintf(a->error_type, sizeof a->error_type, "%s",
	    jv_get_kind(type) == JV_KIND_STRING ? jv_string_value(type) : "error");
	jv_free(msg);
	jv_free(type);
}

static inline void
emit(struct wire_stream *w, int what, struct buf *b, size_t before)
{
	if (w->emit && b->len > before)
		w->emit(w->ctx, what, b->p + before, b->len - before);
}

static inline struct wire_call *
call_slot(struct answer *a, int i)
{
	if (i < 0 || i >= WIRE_MAXCALLS)
		return NULL;
	if (i >= a->ncalls)
		a->ncalls = i + 1;
	return &a->calls[i];
}

/* A thinking slot of the answer, or NULL when they are all taken. */
static inline struct wire_think *
think_slot(struct answer *a, char type)
{
	if (a->nthink >= WIRE_MAXTHINK)
		return NULL;
	a->think[a->nthink].type = type;
	return &a->think[a->nthink++];
}

jv wire_name(jv name);   /* a tool name as the pattern wants it (consumes name) */

/* One wire format: its request fields, its stream events, its whole body. */
struct wire_format {
	/* Add the format's fields to r ({model}): system, messages (consumed), limits. */
	jv (*request)(jv r, const struct wire_opts *o, const char *system, jv messages);
	jv (*tool)(jv name, jv description, jv parameters);   /* one tool entry, consuming all */
	/* The whole body r (tools set, the first nstable of them not volatile) made
	 * ready: Anthropic's cache breakpoints; NULL: nothing to add. */
	jv (*finish)(jv r, int nstable);
	int (*event)(struct wire_stream *w, const char *name, const char *data, size_t len);
	void (*body)(jv v, struct answer *a);                 /* v borrowed, an object */
};

extern const struct wire_format wire_openai, wire_anthropic;
#endif
