/* eligible: requires.bins, anyBins, env, config and os checked against this
 * machine, each missing item named, so list and check can say why. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/line.h"
#include "base/path.h"
#include "skill/eligible.h"
#include "store/config.h"

/* A listing asks for the same few programs once per skill (jq, cat, head: 80
 * lookups of 30 names, each up to a stat(2) per PATH entry): answers are kept
 * for a second, for this PATH, so a program installed later is seen soon after. */
#define MEMO_SLOTS 64
#define MEMO_MS 1000
static struct memo {
	char bin[48];
	int found;
} memo[MEMO_SLOTS];
static size_t nmemo;
static long long memo_at;
static char memo_path[4096];     /* the PATH they are for */

/* 1 when bin is an executable in one of p's directories; the candidates put together
 * with memcpy (snprintf for each was a sixth of `claw-skill list`). */
static int
lookup(const char *bin, const char *p)
{
	char path[PATH_MAX];
	const char *end;
	size_t n, bn = strlen(bin);

	for (; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		n = end == p ? 1 : (size_t)(end - p);
		if (n + 1 + bn >= sizeof path)
			continue;
		memcpy(path, end == p ? "." : p, n);
		path[n] = '/';
		memcpy(path + n + 1, bin, bn + 1);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
}

static int
on_path(const char *bin)
{
	const char *p = getenv("PATH");
	long long now = clock_mono_ms();
	size_t i;
	int found;

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	p = p ? p : PATH_DEFAULT;
	if (now - memo_at > MEMO_MS || strcmp(p, memo_path)) {
		nmemo = 0;
		memo_at = now;
		if (strlen(p) >= sizeof memo_path)
			return lookup(bin, p);
		memcpy(memo_path, p, strlen(p) + 1);
	}
	for (i = 0; i < nmemo; i++)
		if (strcmp(memo[i].bin, bin) == 0)
			return memo[i].found;
	found = lookup(bin, p);
	if (nmemo < MEMO_SLOTS && strlen(bin) < sizeof memo[0].bin) {
		memcpy(memo[nmemo].bin, bin, strlen(bin) + 1);
		memo[nmemo++].found = found;
	}
	return found;
}

static int
key_set(sqlite3 *db, const char *key)
{
	char *v = NULL;
	int set = !config_check_key(key) && !config_get(db, key, &v, NULL);

	free(v);
	return set;
}

void
skill_missing(sqlite3 *db, const struct skill *k, struct buf *why)
{
	int any = 0, anyok = 0, osok = 0, oses = 0;
	size_t start = why->len;
	const char *p;
	char b[512];

	if (k->error) {
		buf_printf(why, "broken: %s", k->error);
		return;
	}
	for (p = k->bins; line_next(&p, b, sizeof b);)
		if (!on_path(b))
			buf_printf(why, "%sbins: %s", why->len > start ? "; " : "", b);
	for (p = k->any_bins; line_next(&p, b, sizeof b);) {
		any = 1;
		anyok |= on_path(b);
	}
	if (any && !anyok)
		buf_printf(why, "%sanyBins: one of %s", why->len > start ? "; " : "", k->any_bins);
	for (p = k->env; line_next(&p, b, sizeof b);)
		if (!getenv(b) || !*getenv(b))
			buf_printf(why, "%senv: %s", why->len > start ? "; " : "", b);
	for (p = k->config_keys; line_next(&p, b, sizeof b);)
		if (!key_set(db, b))
			buf_printf(why, "%sconfig: %s", why->len > start ? "; " : "", b);
	for (p = k->os; line_next(&p, b, sizeof b);) {
		oses = 1;
		osok |= strcmp(b, "linux") == 0;
	}
	if (oses && !osok)
		buf_printf(why, "%sos: %s", why->len > start ? "; " : "", k->os);
	if (why->len > start)
		for (char *s = why->p + start; *s; s++)
			if (*s == '\n')
				*s = ',';
}
