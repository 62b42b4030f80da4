/* listcopy: the list's copy, written by a list that read the store and read by the
 * next one.  The body: the scan, the number of skills, then for each its name,
 * kind, description, bins, any_bins, env, config_keys, os, error (empty: none;
 * the index never stores an empty one) and "1" or "0" for evolved -- every field a
 * netstring. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/path.h"
#include "skill/listcopy.h"
#include "store/config.h"
#include "store/copy.h"
#include "store/store.h"

#define MAGIC "claw-skills 1"
#define NFIELDS 10

void
listcopy_write(int token, const struct buf *scan, const struct skills *all,
    const unsigned char *evolved)
{
	struct buf b = BUF_INIT;
	char n[24];
	size_t i;
	int f;

	if (scan->oom)
		return;
	buf_add_netstring(&b, scan->p ? scan->p : "", scan->len);
	buf_add_netstring(&b, n, (size_t)snprintf(n, sizeof n, "%zu", all->n));
	for (i = 0; i < all->n; i++) {
		const struct skill *k = &all->v[i];
		const char *v[NFIELDS] = { k->name, k->kind, k->description, k->bins,
		    k->any_bins, k->env, k->config_keys, k->os, k->error,
		    evolved[i] ? "1" : "0" };
		for (f = 0; f < NFIELDS; f++)
			buf_add_netstring(&b, v[f] ? v[f] : "", v[f] ? strlen(v[f]) : 0);
	}
	if (!b.oom && b.len <= LISTCOPY_MAX)
		store_copy_write(LISTCOPY_NAME, MAGIC, token, b.p, b.len);
	buf_free(&b);
}

int
listcopy_parse(const char *body, size_t n, const char **scan, size_t *scanlen,
    struct skills *out, unsigned char **evolved)
{
	const char *p = body, *end = body + n, *s;
	char num[24];
	size_t i, len, count;
	char *e;
	int f;

	memset(out, 0, sizeof *out);
	*evolved = NULL;
	if (netstring_next(&p, end, scan, scanlen) || netstring_next(&p, end, &s, &len)
	    || len == 0 || len >= sizeof num)
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	count = strtoull(num, &e, 10);
	/* Each skill takes at least 3 bytes a field: no count the body cannot hold. */
	if (*e || !isdigit((unsigned char)num[0]) || count > (size_t)(end - p) / (3 * NFIELDS))
		return -1;
	if (!(out->v = calloc(count + 1, sizeof *out->v)) || !(*evolved = malloc(count + 1)))
		goto fail;
	for (i = 0; i < count; i++) {
		struct skill *k = &out->v[i];
		char **v[NFIELDS - 1] = { &k->name, &k->kind, &k->description, &k->bins,
		    &k->any_bins, &k->env, &k->config_keys, &k->os, &k->error };
		out->n++;
		for (f = 0; f < NFIELDS; f++) {
			if (netstring_next(&p, end, &s, &len) || memchr(s, '\0', len))
				goto fail;
			if (f == NFIELDS - 1) {
				if (len != 1 || (*s != '0' && *s != '1'))
					goto fail;
				(*evolved)[i] = *s == '1';
			} else if ((f != NFIELDS - 2 || len) && !(*v[f] = strndup(s, len)))
				goto fail;
		}
		if (!*k->name || !*k->kind)
			goto fail;
		k->order = i;
	}
	if (p != end)
		goto fail;
	return 0;
fail:
	skills_free(out);
	free(*evolved);
	*evolved = NULL;
	return -1;
}

int
listcopy_read(const int *known, int *token, struct skills *out, unsigned char **evolved)
{
	struct buf text = BUF_INIT, now = BUF_INIT;
	char path[PATH_MAX];
	const char *body, *scan;
	size_t len, scanlen;
	int want, t, rc = -1;

	memset(out, 0, sizeof *out);
	*evolved = NULL;
	/* A home the store would refuse (not ours) is refused here too.  Then the copy
	 * whole and younger than the store, the same scan, and the store's token. */
	if (path_mkhome(NULL) || store_copy_read(LISTCOPY_NAME, LISTCOPY_MAX + 128, &text)
	    || store_copy_parse(text.p, text.len, MAGIC, &want, &body, &len)
	    || listcopy_parse(body, len, &scan, &scanlen, out, evolved))
		goto out;
	if (skill_scan(&now) || now.len != scanlen || memcmp(now.p ? now.p : "", scan, scanlen)
	    || (known ? (t = *known, 0) : path_in_home(path, sizeof path, "claw.db")
	    || store_peek_token(path, &t)) || t != want)
		goto out;
	*token = t;
	rc = 0;
out:
	if (rc) {
		skills_free(out);
		free(*evolved);
		*evolved = NULL;
	}
	buf_free(&text);
	buf_free(&now);
	return rc;
}

/* 1 when claw-evolve's last applied change to skill k's name stands in its directory
 * (the cycles table: a change rolled back, or a skill found elsewhere, is not).  st
 * is the one statement for every skill: preparing it for each cost a list as much
 * as the rest of its run. */
static int
evolved(sqlite3_stmt *st, const struct skill *k)
{
	int yes;

	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->dir, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

int
listcopy_index(sqlite3 *db, struct skills *out, unsigned char **evolved_out)
{
	struct buf scan = BUF_INIT;
	sqlite3_stmt *st;
	unsigned char *ev;
	int t0, t1, fresh, rc;
	size_t i;

	*evolved_out = NULL;
	fresh = store_token(db, &t0) == 0;
	if ((rc = skill_index_scan(db, out, &scan)))
		return buf_free(&scan), rc;
	if (!(ev = calloc(out->n + 1, 1))) {
		buf_free(&scan);
		skills_free(out);
		return err_set(EX_SOFTWARE, "out of memory");
	}
	/* One read transaction: the WAL's read lock taken once, and one snapshot for
	 * the token and the cycles. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	fresh = fresh && store_token(db, &t1) == 0 && t1 == t0 && !scan.oom;
	if (store_prepare(db, &st, "SELECT 1 FROM cycles WHERE skill = ?1"
	    " AND outcome = 'applied' AND ?2 LIKE '%/skills/' || ?1") == 0) {
		for (i = 0; i < out->n; i++)
			ev[i] = (unsigned char)evolved(st, &out->v[i]);
		sqlite3_finalize(st);
	} else
		fresh = 0;
	if (fresh) {
		listcopy_write(t1, &scan, out, ev);
		config_copy(db);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (!fresh)
		store_checkpoint(db);
	buf_free(&scan);
	*evolved_out = ev;
	return 0;
}
