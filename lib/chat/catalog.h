/* catalog: the skills one turn offers the model.  tools.mode auto (the default)
 * offers the skills the user's words match (claw-skill's ranking), those marked
 * always, and those called recently in the session, within tools.max and
 * tools.max_chars, plus the small `skills` tool through which the model finds
 * the others; all offers every eligible skill, none nothing. */
#ifndef CLAW_CATALOG_H
#define CLAW_CATALOG_H
#include <jv.h>
#include <sqlite3.h>

#include "base/buf.h"

#define CATALOG_SEARCH "skills"     /* the name of the search tool */
#define CATALOG_FOUND_MAX 3         /* skills one search adds */

struct catalog {
	jv tools;        /* what the next request offers: [{name, description, parameters,
	                  * timeout}], in the order sent (see catalog_pick) */
	jv why;          /* {name: "always"|"prompt"|"recent"|"searched"|"all"} */
	int mode;        /* enum turn_tools */
	int search;      /* the skills tool is among the tools */
};

/* The tools for a turn in mode (enum turn_tools): query is the user's words, msgs
 * the conversation sent (its tool calls, newest first, are the recent skills).
 * The order is stable for a provider's prefix cache: the skills tool first, then
 * the always skills by name, then the others by name.  0, or an exit code with
 * err set for a config value out of range. */
int catalog_pick(sqlite3 *db, int mode, const char *query, jv msgs, struct catalog *c);
/* A call of the skills tool with its JSON arguments ({"query"}): up to
 * CATALOG_FOUND_MAX skills the query matches that are not offered yet join c
 * (after the others, so the prefix sent so far stays), and out says which, for
 * the model; with nothing found, out names every skill there is.  1 when c
 * changed, else 0. */
int catalog_search(struct catalog *c, const char *args, struct buf *out);
/* The "tools" event: {type, mode, offered: [{name, why, score?}], chars}. */
jv catalog_event(const struct catalog *c);
void catalog_free(struct catalog *c);
#endif
