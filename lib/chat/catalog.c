/* catalog: which skills a turn offers, and why.  The ranking is claw-skill's
 * (list --json --match: BM25 over name, triggers, description); this file adds
 * the always and recent skills, the caps, the order, and the skills tool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "chat/catalog.h"
#include "chat/ndjson.h"
#include "chat/tools.h"
#include "chat/turn.h"
#include "store/config.h"

static const char search_desc[] =
    "Find a tool by keywords when none offered fits; what it finds is offered next.";

/* t.k (t borrowed), null when t has no k (jv_object_get says invalid). */
static jv
field(jv t, const char *k)
{
	jv v = jv_get_kind(t) == JV_KIND_OBJECT ? jv_object_get(jv_copy(t), jv_string(k))
	    : jv_null();

	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

static int
is_named(jv t, const char *name)
{
	jv n = field(t, "name");
	int yes = jv_get_kind(n) == JV_KIND_STRING && strcmp(jv_string_value(n), name) == 0;

	jv_free(n);
	return yes;
}

/* Is name among tools (objects with a name) or among names (strings)? */
static int
has(jv tools, const char *name)
{
	int found = 0;

	jv_array_foreach(tools, i, t) {
		found |= jv_get_kind(t) == JV_KIND_STRING ? strcmp(jv_string_value(t), name) == 0
		    : is_named(t, name);
		jv_free(t);
	}
	return found;
}

/* Characters the tool costs a request: its name, description and schema as JSON. */
static long
cost(jv t)
{
	jv s = jv_object_set(jv_object_set(jv_object_set(jv_object(), jv_string("name"),
	    field(t, "name")), jv_string("description"), field(t, "description")),
	    jv_string("parameters"), field(t, "parameters"));
	jv d = jv_dump_string(s, 0);
	long n = jv_string_length_bytes(jv_copy(d));

	jv_free(d);
	return n;
}

static long
number(sqlite3 *db, const char *key, int *rc)
{
	char *v = NULL, *end;
	long n = 0;

	if (*rc || (*rc = config_get(db, key, &v, NULL)))
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno || n < 0)
		*rc = err_set(EX_CONFIG, "%s: bad value '%.100s': want a whole number", key, v);
	free(v);
	return n;
}

/* Is name in the list of tools.always (names separated by commas or spaces)? */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		size_t len = strcspn(p, ", ");
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len;
		p += strspn(p, ", ");
	}
	return 0;
}

/* The skills called in msgs, newest first, at most max, each once. */
static jv
recent(jv msgs, long max)
{
	jv out = jv_array();
	int i;

	if (jv_get_kind(msgs) != JV_KIND_ARRAY)
		return out;
	for (i = jv_array_length(jv_copy(msgs)) - 1; i >= 0; i--) {
		jv m = jv_array_get(jv_copy(msgs), i), calls = field(m, "tool_calls");
		if (jv_get_kind(calls) == JV_KIND_ARRAY) {
			jv_array_foreach(calls, j, call) {
				jv n = field(call, "name");
				if (jv_get_kind(n) == JV_KIND_STRING
				    && jv_array_length(jv_copy(out)) < max
				    && strcmp(jv_string_value(n), CATALOG_SEARCH) != 0
				    && !has(out, jv_string_value(n)))
					out = jv_array_append(out, jv_copy(n));
				jv_free(n);
				jv_free(call);
			}
		}
		jv_free(calls);
		jv_free(m);
	}
	return out;
}

static int
by_score(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0]) - (x[0] > y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* The skills of all that the query matched and skip does not hold, best first
 * (ties in all's order: qsort is not stable, so the index decides). */
static jv
ranked(jv all, jv skip)
{
	int n = jv_array_length(jv_copy(all)), k = 0, i;
	double *r = calloc((size_t)n + 1, 2 * sizeof *r);
	jv out = jv_array();

	for (i = 0; r && i < n; i++) {
		jv t = jv_array_get(jv_copy(all), i), s = field(t, "score"), nm = field(t, "name");
		if (jv_get_kind(s) == JV_KIND_NUMBER && jv_get_kind(nm) == JV_KIND_STRING
		    && !has(skip, jv_string_value(nm))) {
			r[2 * k] = jv_number_value(s);
			r[2 * k++ + 1] = i;
		}
		jv_free(nm);
		jv_free(s);
		jv_free(t);
	}
	if (r)
		qsort(r, (size_t)k, 2 * sizeof *r, by_score);
	for (i = 0; i < k; i++)
		out = jv_array_append(out, jv_array_get(jv_copy(all), (int)r[2 * i + 1]));
	free(r);
	return out;
}

struct pick {
	jv chosen;      /* the skills taken, in the order of their claim */
	long count, chars, max, max_chars;
	struct catalog *c;
};

/* Take t (borrowed) for reason why, if the caps leave room for it. */
static void
take(struct pick *p, jv t, const char *why)
{
	jv n = field(t, "name");
	long k = cost(t);

	/* A skill named like the search tool would be two tools of one name: a 400. */
	if (jv_get_kind(n) == JV_KIND_STRING && !has(p->chosen, jv_string_value(n))
	    && strcmp(jv_string_value(n), CATALOG_SEARCH) != 0
	    && p->count < p->max && p->chars + k <= p->max_chars) {
		p->chosen = jv_array_append(p->chosen, jv_copy(t));
		p->c->why = jv_object_set(p->c->why, jv_copy(n), jv_string(why));
		p->count++;
		p->chars += k;
	}
	jv_free(n);
}

static jv
search_tool(void)
{
	jv q = jv_object_set(jv_object_set(jv_object(), jv_string("type"), jv_string("string")),
	    jv_string("description"), jv_string("what the tool should do"));

	return jv_object_set(jv_object_set(jv_object_set(jv_object(), jv_string("name"),
	    jv_string(CATALOG_SEARCH)), jv_string("description"), jv_string(search_desc)),
	    jv_string("parameters"), jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("type"), jv_string("object")), jv_string("properties"),
	    jv_object_set(jv_object(), jv_string("query"), q)), jv_string("required"),
	    jv_array_append(jv_array(), jv_string("query"))));
}

static const char *
why_of(const struct catalog *c, jv t, jv *hold)
{
	jv n = field(t, "name");

	*hold = jv_get_kind(n) == JV_KIND_STRING ? jv_object_get(jv_copy(c->why), n)
	    : (jv_free(n), jv_null());
	return jv_get_kind(*hold) == JV_KIND_STRING ? jv_string_value(*hold) : "";
}

/* A tool chosen for this turn only: the wire sends it after those that stay and
 * puts no cache breakpoint on it, so a change among them leaves the cached prefix
 * of the skills tool and the always skills as it was (wire.h). */
static jv
for_this_turn(jv t)
{
	return jv_object_set(t, jv_string("volatile"), jv_true());
}

/* The chosen skills in the order sent: the always ones, then the others (for this
 * turn only); by name within each (the catalog comes in name order, and chosen
 * keeps it). */
static void
order(struct catalog *c, jv all, jv chosen)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		jv_array_foreach(all, i, t) {
			jv n = field(t, "name"), h;
			int always = strcmp(why_of(c, t, &h), "always") == 0;
			if (jv_get_kind(n) == JV_KIND_STRING && has(chosen, jv_string_value(n))
			    && always == (pass == 0))
				c->tools = jv_array_append(c->tools, always ? jv_copy(t)
				    : for_this_turn(jv_copy(t)));
			jv_free(h);
			jv_free(n);
			jv_free(t);
		}
	}
}

int
catalog_pick(sqlite3 *db, int mode, const char *query, jv msgs, struct catalog *c)
{
	struct pick p = { .c = c };
	char *always = NULL;
	jv all, last, best;
	int rc = 0, n;

	*c = (struct catalog){ .tools = jv_array(), .why = jv_object(), .mode = mode };
	if (mode == TURN_TOOLS_NONE)
		return 0;
	if (mode == TURN_TOOLS_ALL) {
		jv_free(c->tools);
		c->tools = tools_catalog(NULL);
		jv_array_foreach(c->tools, j, t) {
			c->why = jv_object_set(c->why, field(t, "name"), jv_string("all"));
			jv_free(t);
		}
		return 0;
	}
	p.max = number(db, "tools.max", &rc);
	p.max_chars = number(db, "tools.max_chars", &rc);
	last = recent(msgs, number(db, "tools.recent", &rc));
	if (!rc && (rc = config_get(db, "tools.always", &always, NULL)) == EX_NORESULT)
		rc = 0;
	all = rc ? jv_array() : tools_catalog(query && *query ? query : NULL);
	n = jv_array_length(jv_copy(all));
	p.chosen = jv_array();
	/* 1. always, 2. the prompt's matches, best first, 3. the recent ones. */
	jv_array_foreach(all, j, t) {
		jv a = field(t, "always"), nm = field(t, "name");
		if (jv_get_kind(a) == JV_KIND_TRUE || (jv_get_kind(nm) == JV_KIND_STRING
		    && listed(always, jv_string_value(nm))))
			take(&p, t, "always");
		jv_free(a);
		jv_free(nm);
		jv_free(t);
	}
	best = ranked(all, p.chosen);     /* the always ones are taken already */
	jv_array_foreach(best, j, t) {
		take(&p, t, "prompt");
		jv_free(t);
	}
	jv_free(best);
	jv_array_foreach(last, j, name) {
		jv_array_foreach(all, x, t) {
			if (is_named(t, jv_string_value(name)))
				take(&p, t, "recent");
			jv_free(t);
		}
		jv_free(name);
	}
	/* The skills tool, when something is left to find. */
	if (p.count < n) {
		c->tools = jv_array_append(c->tools, search_tool());
		c->why = jv_object_set(c->why, jv_string(CATALOG_SEARCH), jv_string("search"));
		c->search = 1;
	}
	order(c, all, p.chosen);
	jv_free(p.chosen);
	jv_free(last);
	jv_free(all);
	free(always);
	return rc;
}

int
catalog_search(struct catalog *c, const char *args, struct buf *out)
{
	jv a = ndjson_value(args, strlen(args)), q, all, found;
	int added = 0;

	q = jv_get_kind(a) == JV_KIND_OBJECT ? field(a, "query") : jv_null();
	all = tools_catalog(jv_get_kind(q) == JV_KIND_STRING && *jv_string_value(q)
	    ? jv_string_value(q) : NULL);
	found = jv_array_slice(ranked(all, c->tools), 0, CATALOG_FOUND_MAX);
	jv_array_foreach(found, j, t) {
		jv nm = field(t, "name"), d = field(t, "description");
		buf_printf(out, "%s%s: %s", added++ ? "\n" : "offered from now on:\n",
		    jv_string_value(nm),
		    jv_get_kind(d) == JV_KIND_STRING ? jv_string_value(d) : "");
		c->why = jv_object_set(c->why, jv_copy(nm), jv_string("searched"));
		c->tools = jv_array_append(c->tools, for_this_turn(t));
		jv_free(nm);
		jv_free(d);
	}
	if (!added) {
		buf_adds(out, "no tool matches that; the skills there are:");
		jv_array_foreach(all, j, t) {
			jv nm = field(t, "name");
			buf_printf(out, " %s", jv_string_value(nm));
			jv_free(nm);
			jv_free(t);
		}
		buf_adds(out, ". Search again with words of one of them.");
	}
	jv_free(found);
	jv_free(all);
	jv_free(q);
	jv_free(a);
	return added > 0;
}

jv
catalog_event(const struct catalog *c)
{
	static const char *const modes[] = { [TURN_TOOLS_NONE] = "none",
	    [TURN_TOOLS_ALL] = "all", [TURN_TOOLS_AUTO] = "auto" };
	jv offered = jv_array();
	long chars = 0;

	jv_array_foreach(c->tools, i, t) {
		jv h, s = field(t, "score");
		jv o = jv_object_set(jv_object_set(jv_object(), jv_string("name"),
		    field(t, "name")),
		    jv_string("why"), jv_string(why_of(c, t, &h)));
		if (jv_get_kind(s) == JV_KIND_NUMBER && c->mode == TURN_TOOLS_AUTO)
			o = jv_object_set(o, jv_string("score"), s);
		else
			jv_free(s);
		offered = jv_array_append(offered, o);
		chars += cost(t);
		jv_free(h);
		jv_free(t);
	}
	return jv_object_set(jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("type"), jv_string("tools")), jv_string("mode"),
	    jv_string(modes[c->mode])), jv_string("offered"), offered), jv_string("chars"),
	    jv_number((double)chars));
}

void
catalog_free(struct catalog *c)
{
	jv_free(c->tools);
	jv_free(c->why);
	c->tools = c->why = jv_null();
}
