/* discord_rl: Discord's rate limits as its answers state them (REFERENCE.md §2, Rate limits).
 * Every answer's X-RateLimit-Bucket/Remaining/Reset-After say when a route's bucket is empty
 * and refills; routes that share a bucket and a top-level resource (a channel, a webhook)
 * share its count.  A 429 blocks its route, or every route when it is the global limit, for
 * retry_after.  What this process learnt is all it knows: a bucket seen by no answer yet is
 * open, and the 429 that follows is retried from the egress queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "channel/discord.h"

#define RL_ROUTES 32

static struct route {
	char key[400];                /* "POST /channels/900/messages", no query */
	size_t major;                 /* the key's length up to its top-level resource */
	char bucket[64];
	long remaining;               /* -1: not known */
	long long reset_ms;           /* the monotonic time the bucket refills */
	long long blocked_ms;         /* a 429's retry_after for this route */
	long long used;
} routes[RL_ROUTES];
static long long global_ms, ticks;

/* The route of method path, made when new (the least recently used one goes). */
static struct route *
route(const char *method, const char *path, int make)
{
	struct route *r, *old = &routes[0];
	char key[sizeof routes[0].key];
	const char *p;
	int i, segs;

	snprintf(key, sizeof key, "%s %.*s", method, (int)strcspn(path, "?"), path);
	for (i = 0; i < RL_ROUTES; i++) {
		r = &routes[i];
		if (r->key[0] && strcmp(r->key, key) == 0)
			return r->used = ++ticks, r;
		if (r->used < old->used)
			old = r;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof *old);
	snprintf(old->key, sizeof old->key, "%s", key);
	old->remaining = -1;
	old->used = ++ticks;
	/* /channels/ID, /guilds/ID, /webhooks/ID/TOKEN: the resource limits count apart */
	segs = strncmp(path, "/webhooks/", 10) == 0 ? 3 : 2;
	for (p = path; *p && *p != '?' && segs >= 0; p++)
		if (*p == '/')
			segs--;
	old->major = strlen(method) + 1 + (size_t)(p - path) - (segs < 0);
	return old;
}

long long
dc_rl_wait(const char *method, const char *path)
{
	struct route *r = route(method, path, 0);
	long long now = clock_mono_ms(), at = global_ms;

	if (r && r->blocked_ms > at)
		at = r->blocked_ms;
	if (r && r->remaining == 0 && r->reset_ms > at)
		at = r->reset_ms;
	return at > now ? at - now : 0;
}

void
dc_rl_header(const char *name, const char *value, void *ctx)
{
	struct dc_rl *h = ctx;
	char *end;
	double x;

	if (strncasecmp(name, "X-RateLimit-", 12))
		return;
	name += 12;
	if (strcasecmp(name, "Bucket") == 0) {
		snprintf(h->bucket, sizeof h->bucket, "%s", value);
		return;
	}
	if (strcasecmp(name, "Global") == 0) {
		h->global = strcasecmp(value, "true") == 0;
		return;
	}
	if (strcasecmp(name, "Scope") == 0) {
		snprintf(h->scope, sizeof h->scope, "%s", value);
		return;
	}
	x = strtod(value, &end);
	if (end == value || *end || x < 0 || x > 1e12)
		return;
	if (strcasecmp(name, "Remaining") == 0)
		h->remaining = (long)x;
	else if (strcasecmp(name, "Reset-After") == 0)
		h->reset_after = x;
}

void
dc_rl_note(const char *method, const char *path, const struct dc_rl *h, double retry_after)
{
	struct route *r = route(method, path, 1), *o;
	long long now = clock_mono_ms(), block;
	int i;

	if (h->bucket[0])
		snprintf(r->bucket, sizeof r->bucket, "%s", h->bucket);
	if (h->remaining >= 0 && h->reset_after >= 0) {
		r->remaining = h->remaining;
		r->reset_ms = now + (long long)(h->reset_after * 1000 + 0.999);
		for (i = 0; r->bucket[0] && i < RL_ROUTES; i++) {
			o = &routes[i];
			if (o != r && strcmp(o->bucket, r->bucket) == 0 && o->major == r->major
			    && strncmp(o->key, r->key, r->major) == 0) {
				o->remaining = r->remaining;
				o->reset_ms = r->reset_ms;
			}
		}
	}
	if (retry_after < 0)
		return;
	block = now + (long long)(retry_after * 1000 + 0.999);
	if (h->global || strcmp(h->scope, "global") == 0)
		global_ms = block;
	else
		r->blocked_ms = block;
}
