/* tree: a skill's files held in memory — read from a directory (checked as an install
 * is: no links, no devices, caps), changed by a proposal, written out, compared. */
#ifndef CLAW_TREE_H
#define CLAW_TREE_H
#include <stddef.h>

#include "base/buf.h"
#include "evolve/proposal.h"

struct tfile {
	char *path;
	struct buf text;
	int exec;
};

struct tree {
	struct tfile *v;          /* sorted by path */
	size_t n, cap;
};

/* Read the skill directory dir: 0, or EX_DATAERR naming a link, a special file or a
 * cap (the protected shapes), or another exit code; err set. */
int tree_read(const char *dir, struct tree *t);
/* Apply p's files to t (added, replaced, removed): 0 or EX_DATAERR (removing a file
 * that is not there, a file where a directory is...). */
int tree_apply(struct tree *t, const struct proposal *p);
/* Write t into the directory dir, which must not exist: 0 or an exit code. */
int tree_write(const struct tree *t, const char *dir);
const struct tfile *tree_find(const struct tree *t, const char *path);
void tree_free(struct tree *t);

/* The blast radius from a to b: files added, changed or removed, and lines added
 * plus removed.  diff (or NULL) gets the unified diff, paths a/NAME/… b/NAME/…, that
 * `patch -p1` applies in the skills directory. */
void tree_diff(const struct tree *a, const struct tree *b, const char *name, long *files,
    long *lines, struct buf *diff);
#endif
