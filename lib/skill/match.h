/* match: which skills fit a request — its words against each skill's name,
 * triggers and description, ranked by BM25 (SQLite FTS5, Porter stems). */
#ifndef CLAW_MATCH_H
#define CLAW_MATCH_H
#include <stddef.h>

#include "skill/index.h"

#define SKILL_MATCH_MAXWORDS 64   /* words of the query looked up */
#define SKILL_MATCH_WEIGHTS "8.0, 4.0, 1.0"   /* BM25 weights of name, triggers, description */
#define SKILL_MATCH_MIN 100       /* the least score that counts as a match */
#define SKILL_MATCH_PAD 16        /* empty rows, so that few skills still rank */
#define SKILL_MATCH_SHARE 40      /* a match scores at least this % of the best one */

struct skill_match {
	size_t i;                 /* the skill, as all->v[i] */
	int score;                /* >= SKILL_MATCH_MIN: 100 × BM25 */
};

/* Rank every skill of all that is not broken against query: its words (letters
 * and digits, case folded, two bytes or more, not a stop word such as "the" or
 * "thanks", the first SKILL_MATCH_MAXWORDS) matched as Porter stems against the
 * name, the triggers and the description, weighed SKILL_MATCH_WEIGHTS.  The best
 * max scoring at least SKILL_MATCH_MIN and SKILL_MATCH_SHARE % of the best go into
 * results, best first, ties in all's order.  Returns how many (0 for small talk),
 * or -1 (err set). */
int skill_match(const struct skills *all, const char *query, struct skill_match *results,
    size_t max);
#endif
