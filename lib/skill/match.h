/* match: which skills fit a request — trigger phrases, the skill's name and the
 * words of its description found in the request's text, scored. */
#ifndef CLAW_MATCH_H
#define CLAW_MATCH_H
#include <stddef.h>

#include "skill/index.h"

#define SKILL_MATCH_MAXWORDS 64   /* words of the query looked up in descriptions */

struct skill_match {
	size_t i;                 /* the skill, as all->v[i] */
	int score;                /* > 0 */
};

/* Score every skill of all that is not broken against query, case folded: its
 * name found as a whole word adds 5, each trigger phrase found as whole words 3,
 * each word of the query (3 to 63 bytes, not a stop word such as "the", the first
 * SKILL_MATCH_MAXWORDS) found as a whole word in its description 1.  The best
 * max with a score above 0 go into results, best first, ties in all's order.
 * Returns how many, or -1 when out of memory (err set). */
int skill_match(const struct skills *all, const char *query, struct skill_match *results,
    size_t max);
#endif
