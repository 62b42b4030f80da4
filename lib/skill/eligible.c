/* eligible: requires.bins, anyBins, env, config and os checked against this
 * machine, each missing item named, so list and check can say why. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/line.h"
#include "base/path.h"
#include "skill/eligible.h"
#include "store/config.h"

/* 1 when bin is an executable on $PATH.  The candidates are put together with
 * memcpy: snprintf for every directory of PATH and every bin of every skill was a
 * sixth of `claw-skill list`. */
static int
on_path(const char *bin)
{
	const char *p = getenv("PATH"), *end;
	char path[PATH_MAX];
	size_t bn = strlen(bin), dn;

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	for (p = p ? p : PATH_DEFAULT; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		dn = end == p ? 1 : (size_t)(end - p);
		if (dn + 1 + bn >= sizeof path)
			continue;
		memcpy(path, end == p ? "." : p, dn);
		path[dn] = '/';
		memcpy(path + dn + 1, bin, bn + 1);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
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
