/* match: a request's words against each skill's name, triggers and description;
 * no index and no model, so it costs microseconds per skill. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "skill/match.h"

#define WORDLEN 64

static const char *const stop[] = { "the", "and", "for", "with", "what", "how", "can", "you",
    "this", "that", "from", "are", "is", "me", "please", "about", "into", "your", "use" };

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
has_word(const char *hay, const char *word)
{
	size_t n = strlen(word);
	const char *p = hay;

	while ((p = strstr(p, word))) {
		int before = p == hay || !isalnum((unsigned char)p[-1]);
		int after = !isalnum((unsigned char)p[n]);
		if (before && after)
			return 1;
		p++;
	}
	return 0;
}

static int
stop_word(const char *w)
{
	size_t s;

	for (s = 0; s < sizeof stop / sizeof stop[0]; s++)
		if (!strcmp(stop[s], w))
			return 1;
	return 0;
}

/* The words of text worth looking up: into words, their count returned. */
static int
words_of(char *text, char words[][WORDLEN])
{
	static const char seps[] = " \t\n.,;:!?()\"'";
	char *p, *w, *save = NULL;
	int n = 0;

	for (p = text; n < SKILL_MATCH_MAXWORDS && (w = strtok_r(p, seps, &save)); p = NULL)
		if (strlen(w) >= 3 && strlen(w) < WORDLEN && !stop_word(w))
			snprintf(words[n++], WORDLEN, "%s", w);
	return n;
}

static int
score(const struct skill *k, const char *text, char words[][WORDLEN], int nwords)
{
	char desc[4096], item[256], name[128];
	const char *p;
	int s = 0, i;

	snprintf(name, sizeof name, "%s", k->name);
	lower(name);
	if (has_word(text, name))
		s += 5;
	for (p = k->triggers; p && *p;) {
		size_t n = strcspn(p, "\n");
		snprintf(item, sizeof item, "%.*s", (int)n, p);
		lower(item);
		if (*item && has_word(text, item))
			s += 3;
		p += n + (p[n] == '\n');
	}
	snprintf(desc, sizeof desc, "%s", k->description);
	lower(desc);
	for (i = 0; i < nwords; i++)
		if (has_word(desc, words[i]))
			s += 1;
	return s;
}

static int
by_score(const void *a, const void *b)
{
	const struct skill_match *x = a, *y = b;

	return x->score != y->score ? y->score - x->score : (x->i > y->i) - (x->i < y->i);
}

int
skill_match(const struct skills *all, const char *query, struct skill_match *results, size_t max)
{
	char words[SKILL_MATCH_MAXWORDS][WORDLEN], *text, *copy;
	struct skill_match *r;
	size_t i, n;
	int nwords;

	text = strdup(query);
	copy = strdup(query);
	r = calloc(all->n + 1, sizeof *r);
	if (!text || !copy || !r) {
		free(text), free(copy), free(r);
		return err_set(EX_SOFTWARE, "out of memory"), -1;
	}
	lower(text);
	lower(copy);
	nwords = words_of(copy, words);
	for (i = 0; i < all->n; i++) {
		r[i].score = all->v[i].error ? 0 : score(&all->v[i], text, words, nwords);
		r[i].i = i;
	}
	qsort(r, all->n, sizeof *r, by_score);
	for (n = 0; n < all->n && n < max && r[n].score > 0; n++)
		results[n] = r[n];
	free(r);
	free(text);
	free(copy);
	return (int)n;
}
