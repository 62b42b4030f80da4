/* match: a request's words against each skill's name, triggers and description,
 * ranked by SQLite FTS5 (BM25, Porter stems) in a private in-memory database: no
 * model and nothing written, so it costs a few milliseconds for a thousand skills. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "skill/match.h"

#define WORDLEN 64

/* Words that say nothing about what a request needs: function words, and the
 * small talk ("hello", "thanks") that must not bring a tool along. */
static const char *const stop[] = {
	"a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
	"at", "be", "been", "before", "but", "by", "can", "could", "did", "do", "does", "done",
	"for", "from", "get", "give", "go", "good", "got", "great", "had", "has", "have",
	"hello", "hey", "hi", "how", "i", "if", "in", "into", "is", "it", "its", "just",
	"know", "let", "like", "make", "me", "mine", "more", "morning", "much", "my", "need",
	"no", "not", "now", "of", "ok", "okay", "on", "one", "or", "our", "out", "over",
	"please", "right", "see", "should", "show", "so", "some", "sure", "tell", "than",
	"thank", "thanks", "that", "the", "their", "them", "then", "there", "these", "they",
	"thing", "this", "those", "thx", "to", "too", "up", "us", "use", "very", "want",
	"was", "we", "well", "were", "what", "when", "where", "which", "who", "why", "will",
	"with", "would", "yes", "yet", "you", "your",
};

static int
by_word(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

static int
stop_word(const char *w)
{
	return bsearch(w, stop, sizeof stop / sizeof stop[0], sizeof stop[0], by_word) != NULL;
}

/* The FTS5 query for text: its words (letters and digits, folded, not stop words,
 * the first SKILL_MATCH_MAXWORDS, each once), quoted, joined by OR.  0 when no word
 * is left. */
static int
query_of(const char *text, struct buf *q)
{
	char seen[SKILL_MATCH_MAXWORDS][WORDLEN], w[WORDLEN];
	const char *p = text;
	int n = 0, i;

	while (*p && n < SKILL_MATCH_MAXWORDS) {
		size_t len = 0;
		while (*p && !isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
			p++;
		while (*p && (isalnum((unsigned char)*p) || ((unsigned char)*p & 0x80))) {
			if (len + 1 < sizeof w)
				w[len++] = (char)tolower((unsigned char)*p);
			p++;
		}
		w[len] = '\0';
		if (len < 2 || stop_word(w))
			continue;
		for (i = 0; i < n && strcmp(seen[i], w); i++)
			;
		if (i < n)
			continue;
		memcpy(seen[n++], w, len + 1);
		buf_printf(q, "%s\"%s\"", q->len ? " OR " : "", w);
	}
	return n;
}

static int
fts_fail(sqlite3 *m)
{
	return err_set(EX_SOFTWARE, "match: %s", sqlite3_errmsg(m));
}

/* Each skill of all that is not broken, as rowid i + 1, in a contentless table: the
 * ranking reads only the index, and keeping a copy of each text was a tenth of it. */
static int
fill(sqlite3 *m, const struct skills *all)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	if (sqlite3_exec(m, "CREATE VIRTUAL TABLE s USING fts5(name, triggers, description,"
	    " tokenize = 'porter unicode61', content = ''); BEGIN", NULL, NULL, NULL) != SQLITE_OK
	    || sqlite3_prepare_v2(m, "INSERT INTO s(rowid, name, triggers, description)"
	    " VALUES(?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return fts_fail(m);
	for (i = 0; i < all->n && !rc; i++) {
		const struct skill *k = &all->v[i];
		if (k->error)
			continue;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, k->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, k->triggers ? k->triggers : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, k->description ? k->description : "", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = fts_fail(m);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	/* Empty rows beyond them: BM25's IDF is log((N - n + 0.5) / (n + 0.5)), nothing
	 * (FTS5 makes it 1e-6) for a word that half the skills have, so with two skills
	 * installed no word would count.  Padding keeps a word rare among few skills. */
	for (i = 0; i < SKILL_MATCH_PAD && !rc; i++)
		if (sqlite3_exec(m, "INSERT INTO s(name, triggers, description) VALUES('', '', '')",
		    NULL, NULL, NULL) != SQLITE_OK)
			rc = fts_fail(m);
	if (!rc && sqlite3_exec(m, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = fts_fail(m);
	return rc;
}

int
skill_match(const struct skills *all, const char *query, struct skill_match *results, size_t max)
{
	struct buf q = BUF_INIT;
	sqlite3 *m = NULL;
	sqlite3_stmt *st = NULL;
	double best = 0;
	int n = 0, rc = 0, step = SQLITE_DONE;

	if (!query_of(query, &q) || !max)
		return buf_free(&q), 0;
	if (q.oom)
		return buf_free(&q), err_set(EX_SOFTWARE, "out of memory"), -1;
	if (sqlite3_open_v2(":memory:", &m, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
	    != SQLITE_OK)
		rc = m ? fts_fail(m) : err_set(EX_SOFTWARE, "out of memory");
	if (!rc)
		rc = fill(m, all);
	/* bm25() is lower for a better match; the name weighs most, then triggers. */
	if (!rc && sqlite3_prepare_v2(m, "SELECT rowid, -bm25(s, " SKILL_MATCH_WEIGHTS ") AS r"
	    " FROM s WHERE s MATCH ? ORDER BY r DESC, rowid", -1, &st, NULL) != SQLITE_OK)
		rc = fts_fail(m);
	if (!rc) {
		sqlite3_bind_text(st, 1, q.p, (int)q.len, SQLITE_STATIC);
		while ((size_t)n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
			double r = sqlite3_column_double(st, 1);
			int score = (int)lround(r * 100);
			if (n == 0)
				best = r;
			if (score < SKILL_MATCH_MIN || r < best * SKILL_MATCH_SHARE / 100)
				break;
			results[n].i = (size_t)sqlite3_column_int64(st, 0) - 1;
			results[n++].score = score;
		}
		if ((size_t)n < max && step != SQLITE_ROW && step != SQLITE_DONE)
			rc = fts_fail(m);
	}
	sqlite3_finalize(st);
	sqlite3_close(m);
	buf_free(&q);
	return rc ? -1 : n;
}
