/* proposal: what the model proposes — one skill, whole files — read strictly from its
 * answer; anything that is not exactly that is refused before any file is touched. */
#ifndef CLAW_PROPOSAL_H
#define CLAW_PROPOSAL_H
#include <stddef.h>

#include "base/buf.h"

#define PROPOSAL_MAXTEXT  (4u << 20)   /* bytes of the answer */
#define PROPOSAL_MAXFILES 256          /* entries in "files" */
#define PROPOSAL_MAXPATH  200          /* bytes of one path */
#define PROPOSAL_MAXDEPTH 8            /* components of one path */

struct pfile {
	char *path;               /* relative, checked by proposal_path_ok */
	struct buf text;          /* the whole new content (empty when removed) */
	int remove, exec;
};

struct proposal {
	char *skill;              /* the one skill it changes or creates */
	char *summary;            /* "" when none */
	struct pfile *v;
	size_t n;
};

/* The answer text: one JSON object, alone or inside one ``` fence,
 *	{"skill": NAME, "summary": TEXT,
 *	 "files": [{"path": P, "text": T, "executable": BOOL} | {"path": P, "remove": true}]}
 * 0, or EX_DATAERR with err set saying what is wrong (a symlink, a path out of the
 * skill, a duplicate, malformed JSON...).  p is zeroed first; proposal_free either way. */
int proposal_parse(const char *text, size_t len, struct proposal *p);
void proposal_free(struct proposal *p);

/* 1 when path is a plain relative path inside a skill: components of
 * [A-Za-z0-9_][A-Za-z0-9._-]*, none "." or "..", no leading or doubled '/',
 * at most PROPOSAL_MAXDEPTH of them and PROPOSAL_MAXPATH bytes.  Else 0 with *why. */
int proposal_path_ok(const char *path, size_t n, const char **why);
#endif
