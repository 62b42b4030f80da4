/* listcopy: $CLAW_HOME/claw.db-skills, a copy (store/copy.h) of what `claw-skill
 * list` shows from the store -- the index rows it lists and which skills claw-evolve
 * changed -- with the scan they were read for.  It answers while the store's token
 * is the one it was written under (config, the index and applied cycles change it)
 * and a new scan of the skill directories is the same text: then a list needs no
 * store connection, SQLite's open and schema parse being most of its run. */
#ifndef CLAW_LISTCOPY_H
#define CLAW_LISTCOPY_H
#include <stddef.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "skill/index.h"

#define LISTCOPY_NAME "claw.db-skills"
#define LISTCOPY_MAX (4 << 20)

/* Write the copy: all as listed, evolved[i] for all.v[i], scan from skill_index_scan,
 * all read under token. */
void listcopy_write(int token, const struct buf *scan, const struct skills *all,
    const unsigned char *evolved);
/* Parse a copy's body [body, body + n): 0 with *scan (*scanlen bytes, in body), the
 * skills (name, kind, description, bins, any_bins, env, config_keys, os, error: what
 * a line shows; no dir)
 * and *evolved (malloc'd, one a skill); -1 when it is not one (nothing to free). */
int listcopy_parse(const char *body, size_t n, const char **scan, size_t *scanlen,
    struct skills *out, unsigned char **evolved);
/* The copy when it is current: 0 with the skills, *evolved and the store's *token
 * (for config_get_copy), else -1 (ask the store).  known: the store's token as the
 * caller has just read it, or NULL to read it here. */
int listcopy_read(const int *known, int *token, struct skills *out,
    unsigned char **evolved);
/* What the copy holds, from the store instead: the index (skill_index_scan, which
 * refreshes it when a directory changed) and *evolved, one a skill.  When the token
 * was the same before the index was read and after, the rows are of the state it
 * names, and this copy and config's (which the copy's lines ask for configuration
 * keys) are written; else the WAL is checkpointed, so that the next reader's token
 * needs no frames replayed.  0, or the exit code (err_set). */
int listcopy_index(sqlite3 *db, struct skills *out, unsigned char **evolved);
#endif
