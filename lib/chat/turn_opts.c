/* turn_opts: a turn's settings from config keys, one table of key, field and range,
 * so the config, claw-chat's options and a request's fields are checked alike. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "chat/attach.h"
#include "chat/ndjson.h"
#include "chat/turn.h"
#include "store/config.h"

enum { S_MODELS, S_ONOFF, S_LONG, S_TOOLS };

static const struct setting {
	const char *key;
	int type;
	size_t off;              /* of the long (S_LONG), int (S_ONOFF) or the models array */
	long lo, hi;
} settings[] = {
#define F(field) offsetof(struct turn_opts, field)
#define WHOLE 999999999         /* a config whole number: one to nine digits */
	{ .key = "model", .type = S_MODELS, .off = F(models) },
	{ .key = "thinking", .type = S_ONOFF, .off = F(thinking) },
	{ .key = "tools.mode", .type = S_TOOLS, .off = F(tools) },
	{ .key = "cache.ttl", .type = S_LONG, .off = F(cache_ttl), .hi = WHOLE },
	{ .key = "context.keep_recent", .type = S_LONG, .off = F(keep_recent), .hi = WHOLE },
	{ .key = "context.max_tokens", .type = S_LONG, .off = F(context_max), .hi = WHOLE },
	{ .key = "chat.chain_limit", .type = S_LONG, .off = F(chain_limit), .hi = 1000 },
	{ .key = "chat.max_tokens", .type = S_LONG, .off = F(max_tokens), .hi = 1000000 },
	{ .key = "chat.retries", .type = S_LONG, .off = F(retries), .hi = 100 },
	{ .key = "chat.idle_timeout", .type = S_LONG, .off = F(idle_timeout), .lo = 1,
	    .hi = 86400 },
#undef F
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

int
turn_opts_set(struct turn_opts *o, const char *key, const char *value)
{
	const struct setting *s = NULL;
	char *field, *end;
	size_t i;
	long v;
	int rc;

	for (i = 0; i < NSETTINGS && !s; i++)
		if (strcmp(settings[i].key, key) == 0)
			s = &settings[i];
	if (!s)
		return err_set(EX_SOFTWARE, "%s: not a turn option", key);
	if ((rc = config_check(key, value)))
		return rc;
	field = (char *)o + s->off;
	switch (s->type) {
	case S_MODELS:
		if (strlen(value) >= TURN_MAXMODELS)
			return err_set(EX_CONFIG, "%s: over %d bytes", key, TURN_MAXMODELS - 1);
		memcpy(field, value, strlen(value) + 1);
		break;
	case S_ONOFF:
		*(int *)(void *)field = strcmp(value, "on") == 0;
		break;
	case S_TOOLS:
		*(int *)(void *)field = strcmp(value, "all") == 0 ? TURN_TOOLS_ALL
		    : strcmp(value, "none") == 0 ? TURN_TOOLS_NONE : TURN_TOOLS_AUTO;
		break;
	case S_LONG:
		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < s->lo || v > s->hi)
			return err_set(EX_CONFIG,
			    "%s: bad value '%.100s': want a number from %ld to %ld",
			    key, value, s->lo, s->hi);
		*(long *)(void *)field = v;
		break;
	}
	return 0;
}

int
turn_opts_load(sqlite3 *db, struct turn_opts *o)
{
	size_t i;
	int rc = 0;

	*o = (struct turn_opts){ .stream = 1, .tools = TURN_TOOLS_AUTO, .images = jv_null(),
	    .messages = jv_null() };
	for (i = 0; i < NSETTINGS && !rc; i++) {
		char *v = NULL;
		if ((rc = config_get(db, settings[i].key, &v, NULL)) == 0)
			rc = turn_opts_set(o, settings[i].key, v);
		else if (rc == EX_NORESULT)      /* no value and no default: the field's 0 */
			rc = 0;
		free(v);
	}
	return rc;
}

/* The string at req.k, pointing into req (which keeps it alive), or NULL. */
static const char *
req_str(jv req, const char *k)
{
	jv v = jv_object_get(jv_copy(req), jv_string(k));
	const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;

	jv_free(v);
	return s;
}

static int
attachments(const struct turn_opts *o, jv req, struct buf *text, jv *images)
{
	jv atts = jv_object_get(jv_copy(req), jv_string("attachments"));
	int rc = 0;

	if (jv_get_kind(atts) == JV_KIND_ARRAY) {
		jv_array_foreach(atts, i, a) {
			if (!rc && jv_get_kind(a) == JV_KIND_STRING) {
				rc = o->audio ? o->audio(o->audio_ctx, jv_string_value(a), text)
				    : EX_NORESULT;
				if (rc == EX_NORESULT)
					rc = attach_load(jv_string_value(a), text, images);
			}
			else if (!rc)
				rc = err_set(EX_DATAERR,
				    "attachments: want an array of file names");
			jv_free(a);
		}
	}
	jv_free(atts);
	return rc;
}

int
turn_opts_request(struct turn_opts *o, jv req, const char *prompt, struct buf *text)
{
	const char *v;
	int rc = 0;

	o->images = jv_array();
	o->messages = jv_object_get(jv_copy(req), jv_string("messages"));
	if (jv_get_kind(o->messages) != JV_KIND_ARRAY) {
		jv_free(o->messages);
		o->messages = jv_null();
	}
	if ((v = req_str(req, "session")))
		o->session = v;
	if ((v = req_str(req, "system")))
		o->system = v;
	if ((v = req_str(req, "model")))
		rc = turn_opts_set(o, "model", v);
	v = req_str(req, "prompt");
	buf_adds(text, v ? v : prompt ? prompt : "");
	if (!rc)
		rc = attachments(o, req, text, &o->images);
	if (!rc && !o->compact_only && jv_get_kind(o->messages) == JV_KIND_NULL && text->len == 0
	    && jv_array_length(jv_copy(o->images)) == 0)
		rc = err_set(EX_DATAERR, "nothing to say: give a prompt or messages");
	if (!rc && text->oom)
		rc = err_set(EX_SOFTWARE, "out of memory");
	o->prompt = text->p ? text->p : "";
	return rc;
}

void
turn_opts_free(struct turn_opts *o)
{
	jv_free(o->images);
	jv_free(o->messages);
	o->images = o->messages = jv_null();
}

int
turn_request(sqlite3 *db, void *http, const struct turn_opts *base, jv req, long lineno,
    const char *prompt, turn_emit_fn *emit, void *ctx)
{
	struct turn_opts o = *base;
	struct buf text = BUF_INIT;
	int rc;

	if (!jv_is_valid(req)) {
		jv msg = jv_invalid_get_msg(jv_copy(req));
		emit(ctx, ndjson_error_event(EX_DATAERR, lineno,
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "malformed line"));
		jv_free(msg);
		return EX_DATAERR;
	}
	if ((rc = turn_opts_request(&o, req, prompt, &text)) == 0)
		rc = turn_run(db, http, &o, emit, ctx);
	else
		emit(ctx, ndjson_error_event(rc, 0, err_msg()));
	turn_opts_free(&o);
	buf_free(&text);
	return rc;
}
