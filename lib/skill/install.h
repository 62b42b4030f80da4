/* skillinst: installing a skill is copying a tree — never running anything from
 * it — after refusing what could escape it; the tree's SHA-256 is kept to verify. */
#ifndef CLAW_SKILLINST_H
#define CLAW_SKILLINST_H
#include <sqlite3.h>

#include "base/buf.h"

#define SKILLINST_MAXFILE  (8u << 20)
#define SKILLINST_MAXTOTAL (32u << 20)
#define SKILLINST_MAXFILES 2000

/* Check the tree at src (links out of it, special files, caps) and hash it into
 * hex (65 bytes): 0 or EX_DATAERR naming the first problem. */
int skillinst_hash(const char *src, char hex[65]);
/* The plain files of the checked tree at src (as skillinst_hash checks it), relative
 * paths in byte order, one per line, appended to out: 0 or EX_DATAERR.  For claw-evolve. */
int skillinst_files(const char *src, struct buf *out);
/* Install src (a directory, or a .tar/.tar.gz/.tar.xz file) as
 * $CLAW_HOME/skills/NAME; *name gets the name (malloc'd).  notes gets one line for
 * each skill of that name it shadows or is hidden by, and one for each broad
 * permission it asks for (skill_perm_broad), for the user to read.  0 or an exit code. */
int skillinst_install(sqlite3 *db, const char *src, char **name, struct buf *notes);
/* Recompute an installed skill's hash: 0 when it matches, EX_DATAERR when not. */
int skillinst_verify(sqlite3 *db, const char *name);
int skillinst_remove(sqlite3 *db, const char *name);
#endif
