/* index: finding skills (CLAW_SKILLS_PATH, $CLAW_HOME/skills, the built-in ones)
 * and the index in the store that spares re-reading unchanged SKILL.md files. */
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
/* skill_index, and the scan it indexed appended to scan as text (see skill_scan). */
int skill_index_scan(sqlite3 *db, struct skills *out, struct buf *scan);
/* The roots and the skill directories in them with their signatures, as text that
 * is equal exactly when the scan is (the list copy's check): 0 or an exit code. */
int skill_scan(struct buf *scan);
void skills_free(struct skills *s);
struct skill *skill_find(struct skills *s, const char *name);

/* The skill as one JSON object (claw-skill list --json, the gateway's /api/v1/skills):
 * type, name, kind, description, eligible, missing (when not), always (when
 * metadata.openclaw.always is true), permissions, triggers, timeout (seconds: what
 * a caller such as claw-chat must allow a run), dir, and
 * parameters (from config.json, when it has them). */
void skill_json(sqlite3 *db, const struct skill *k, struct buf *b);
#endif
