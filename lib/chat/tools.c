/* tools: the catalog and the calls, both through claw-skill as a child process. */
#include <limits.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "chat/ndjson.h"
#include "base/path.h"
#include "base/proc.h"
#include "chat/tools.h"

#define CATALOG_MAX (4u << 20)
#define RESULT_MAX (16u << 20)   /* a result, and its attachments in base64 */
#define DESC_MAX 160
#define ARGDESC_MAX 64     /* an argument's description in the tool schema */

static jv cut(jv s, size_t max);

static jv
one_line(jv s)
{
	return cut(s, DESC_MAX);
}

/* The first line of s, at most max bytes, cut at a character boundary. */
static jv
cut(jv s, size_t max)
{
	const char *t = jv_get_kind(s) == JV_KIND_STRING ? jv_string_value(s) : "";
	size_t n = strcspn(t, "\n");
	jv out;

	if (n > max) {
		while (n > max - 3 && (t[n] & 0xc0) == 0x80)
			n--;
		n = max - 3;
		while (n > 0 && (t[n] & 0xc0) == 0x80)
			n--;
		out = jv_string_concat(jv_string_sized(t, (int)n), jv_string("..."));
	} else
		out = jv_string_sized(t, (int)n);
	jv_free(s);
	return out;
}

/* The argument schema as the model needs it: what the arguments are, not how a
 * validator would bound them.  Every character here is sent with every request. */
static jv
schema_compact(jv v)
{
	static const char *const drop[] = { "$schema", "$id", "title", "examples", "default",
	    "additionalProperties", "minimum", "maximum", "minLength", "maxLength", "pattern",
	    "format" };
	size_t i;

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv out = jv_array();
		jv_array_foreach(v, j, x)
			out = jv_array_append(out, schema_compact(x));
		jv_free(v);
		return out;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return v;
	for (i = 0; i < sizeof drop / sizeof drop[0]; i++)
		v = jv_object_delete(v, jv_string(drop[i]));
	{
		jv out = jv_object();
		jv_object_foreach(v, k, x) {
			/* "properties" maps names to schemas; elsewhere a
			 * "description" is prose. */
			if (strcmp(jv_string_value(k), "description") == 0
			    && jv_get_kind(x) == JV_KIND_STRING)
				out = jv_object_set(out, k, cut(x, ARGDESC_MAX));
			else
				out = jv_object_set(out, k, schema_compact(x));
		}
		jv_free(v);
		return out;
	}
}

static int
add_skill(jv v, long lineno, void *ctx)
{
	jv *cat = ctx, type, el, name;

	if (!jv_is_valid(v)) {       /* a line that is not an object: not a skill */
		jv_free(v);
		return 0;
	}
	type = jv_object_get(jv_copy(v), jv_string("type"));
	el = jv_object_get(jv_copy(v), jv_string("eligible"));
	name = jv_object_get(jv_copy(v), jv_string("name"));
	if (jv_get_kind(name) == JV_KIND_STRING && jv_get_kind(el) != JV_KIND_FALSE
	    && (jv_get_kind(type) != JV_KIND_STRING
	    || strcmp(jv_string_value(type), "skill") == 0)) {
		jv t = jv_object_set(jv_object(), jv_string("name"), jv_copy(name));
		t = jv_object_set(t, jv_string("description"), one_line(jv_object_get(jv_copy(v),
		    jv_string("description"))));
		jv p = jv_object_get(jv_copy(v), jv_string("parameters"));
		jv timeout = jv_object_get(jv_copy(v), jv_string("timeout"));
		if (jv_get_kind(p) == JV_KIND_OBJECT)
			t = jv_object_set(t, jv_string("parameters"), schema_compact(p));
		else
			jv_free(p);
		if (jv_get_kind(timeout) == JV_KIND_NUMBER)
			t = jv_object_set(t, jv_string("timeout"), timeout);
		else
			jv_free(timeout);
		jv score = jv_object_get(jv_copy(v), jv_string("score"));
		if (jv_get_kind(score) == JV_KIND_NUMBER)
			t = jv_object_set(t, jv_string("score"), score);
		else
			jv_free(score);
		jv always = jv_object_get(jv_copy(v), jv_string("always"));
		if (jv_get_kind(always) == JV_KIND_TRUE)
			t = jv_object_set(t, jv_string("always"), always);
		else
			jv_free(always);
		*cat = jv_array_append(*cat, t);
	}
	jv_free(type);
	jv_free(el);
	jv_free(name);
	jv_free(v);
	return 0;
}

extern char **environ;

/* Our environment less anything that looks like a credential: claw-skill scrubs a
 * skill's environment itself, but no key of ours needs to reach it at all. */
static char **
skill_env(void)
{
	static const char *const secret[] = { "API_KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD" };
	size_t n = 0, i, j;
	char **e, **out;

	for (e = environ; *e; e++)
		n++;
	if (!(out = calloc(n + 1, sizeof *out)))
		return NULL;
	for (e = environ, n = 0; *e; e++) {
		size_t len = strcspn(*e, "=");
		int drop = 0;
		for (j = 0; j < sizeof secret / sizeof secret[0] && !drop; j++)
			for (i = 0; i + strlen(secret[j]) <= len && !drop; i++)
				drop = strncasecmp(*e + i, secret[j], strlen(secret[j])) == 0;
		if (!drop)
			out[n++] = *e;
	}
	return out;
}

jv
tools_catalog(const char *match)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "list", "--json", match ? "--match" : NULL, (char *)match, NULL };
	struct buf out = BUF_INIT;
	jv cat = jv_array();

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0)
		return cat;
	char **env = skill_env();

	if (env && proc_run(argv, env, NULL, 0, &out, CATALOG_MAX, 10000) == 0)
		ndjson_each_mem(out.p, out.len, CATALOG_MAX, add_skill, &cat);
	free(env);
	buf_free(&out);
	return cat;
}

struct result {
	struct buf *out;
	int failed;
	jv *images;         /* the images the skill returned ({media_type, data, name}) */
};

static int
add_event(jv v, long lineno, void *ctx)
{
	struct result *r = ctx;
	jv type;
	const char *t;
	int err;

	if (!jv_is_valid(v)) {
		jv_free(v);
		return 0;
	}
	type = jv_object_get(jv_copy(v), jv_string("type"));
	t = jv_get_kind(type) == JV_KIND_STRING ? jv_string_value(type) : "";
	err = strcmp(t, "error") == 0;

	/* claw-skill hands on a result's files as attachment events: images go to the
	 * model (Anthropic's and OpenAI's formats alike), anything else is named. */
	if (strcmp(t, "attachment") == 0 && r->images) {
		jv mt = jv_object_get(jv_copy(v), jv_string("media_type"));
		jv name = jv_object_get(jv_copy(v), jv_string("path"));
		if (jv_get_kind(mt) == JV_KIND_STRING && jv_get_kind(name) == JV_KIND_STRING
		    && strncmp(jv_string_value(mt), "image/", 6) == 0)
			*r->images = jv_array_append(*r->images, jv_object_set(jv_object_set(
			    jv_object_set(jv_object(), jv_string("media_type"), jv_copy(mt)),
			    jv_string("data"), jv_object_get(jv_copy(v), jv_string("data"))),
			    jv_string("name"), jv_copy(name)));
		else if (jv_get_kind(name) == JV_KIND_STRING)
			buf_printf(r->out, "%s[attachment %s (%s) not shown: not an image]",
			    r->out->len ? "\n" : "", jv_string_value(name),
			    jv_get_kind(mt) == JV_KIND_STRING ? jv_string_value(mt) : "?");
		jv_free(mt);
		jv_free(name);
	}

	if (strcmp(t, "result") == 0 || err) {
		jv s = jv_object_get(jv_copy(v), jv_string(err ? "message" : "text"));
		if (jv_get_kind(s) != JV_KIND_STRING) {
			jv_free(s);
			s = jv_object_get(jv_copy(v), jv_string(err ? "message" : "result"));
			if (jv_get_kind(s) != JV_KIND_STRING)
				s = jv_dump_string(s, 0);
		}
		if (r->out->len)
			buf_addc(r->out, '\n');
		if (err)
			buf_adds(r->out, "error: ");
		buf_adds(r->out, jv_string_value(s));
		r->failed |= err;
		jv_free(s);
	}
	jv_free(type);
	jv_free(v);
	return 0;
}

int
tools_limit_ms(jv catalog, const char *name)
{
	long timeout = PROC_TIMEOUT_MAX;

	if (jv_get_kind(catalog) == JV_KIND_ARRAY) {
		jv_array_foreach(catalog, i, t) {
			jv n = jv_object_get(jv_copy(t), jv_string("name"));
			jv s = jv_object_get(jv_copy(t), jv_string("timeout"));
			if (jv_get_kind(n) == JV_KIND_STRING
			    && strcmp(jv_string_value(n), name) == 0
			    && jv_get_kind(s) == JV_KIND_NUMBER && jv_number_value(s) >= 1
			    && jv_number_value(s) <= PROC_TIMEOUT_MAX)
				timeout = (long)jv_number_value(s);
			jv_free(n);
			jv_free(s);
			jv_free(t);
		}
	}
	return (int)((timeout + TOOLS_GRACE) * 1000);
}

int
tools_run(const char *name, const char *args, struct buf *out, struct buf *diag,
    jv *images, int timeout_ms)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "run", (char *)name, (char *)args, NULL };
	struct buf raw = BUF_INIT;
	struct result r = { out, 0, images };
	int rc;

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0) {
		buf_adds(out, "error: claw-skill is not installed");
		return 1;
	}
	char **env = skill_env();

	/* claw-skill's stderr ("calc: exited with status 65") is for the caller's event,
	 * not for our stderr, which --json keeps for our own diagnostics. */
	rc = env ? proc_run_err(argv, env, NULL, 0, &raw, RESULT_MAX, diag, TOOLS_DIAG_MAX, NULL,
	    timeout_ms) : PROC_NOSTART;
	free(env);
	ndjson_each_mem(raw.p, raw.len, RESULT_MAX, add_event, &r);
	buf_free(&raw);
	if (rc == PROC_TIMEDOUT)
		buf_printf(out, "%serror: the skill ran out of time", out->len ? "\n" : "");
	else if (rc == PROC_TOOBIG)
		buf_printf(out, "%serror: the skill's output was over the cap",
		    out->len ? "\n" : "");
	else if (rc != 0 && !r.failed)
		buf_printf(out, "%serror: the skill exited with status %d", out->len ? "\n" : "",
		    rc);
	return rc != 0 || r.failed;
}
