/* skill: finding skills (CLAW_SKILLS_PATH, $CLAW_HOME/skills, the built-in ones),
 * the index in the store that spares re-reading unchanged SKILL.md files,
 * eligibility, and grants. */
#ifndef CLAW_SKILL_H
#define CLAW_SKILL_H
#include <limits.h>
#include <sqlite3.h>

#include "base/buf.h"

#define SKILL_MAXROOTS 32

struct skill {
	char *name, *dir, *kind, *description, *triggers, *permissions;
	char *bins, *any_bins, *env, *config_keys, *os;  /* one item per line */
	char *meta, *config, *error;                     /* JSON texts, or NULL */
	long timeout;
	char *shadows;            /* dirs of same-name skills this one hides, one per line */
	char *sig;                /* the index's signature of its files */
	size_t order;             /* its place in the search order */
};

struct skills {
	struct skill *v;
	size_t n;
};

/* The search directories, first wins: 0 or an exit code. */
int skill_roots(char roots[][PATH_MAX], int *n);
/* Scan the roots, re-read only skills whose files changed, and load the index
 * (the first of each name, sorted by name).  0 or an exit code. */
int skill_index(sqlite3 *db, struct skills *out);
void skills_free(struct skills *s);
struct skill *skill_find(struct skills *s, const char *name);

/* What keeps a skill from running here (missing bins, env, config, os), as
 * "bins: gh; env: GITHUB_TOKEN"; empty when it is eligible. */
void skill_missing(sqlite3 *db, const struct skill *k, struct buf *why);

/* The skill as one JSON object (claw-skill list --json, the gateway's /api/v1/skills). */
void skill_json(sqlite3 *db, const struct skill *k, struct buf *b);
int skill_perm_valid(const char *perm);             /* 1 for net, fs.read:/P, fs.write:/P, exec:/P, env:VAR */
int skill_grant(sqlite3 *db, const char *name, const char *perm, int on);   /* 0 or exit code */
/* The granted permissions of a skill, one per line (malloc'd): 0 or exit code. */
int skill_grants(sqlite3 *db, const char *name, char **lines);
/* The permissions k asks for that neither a stored grant nor extra (one per line,
 * or NULL) covers, one per line, into why. */
int skill_ungranted(sqlite3 *db, const struct skill *k, const char *extra, struct buf *why);
#endif
