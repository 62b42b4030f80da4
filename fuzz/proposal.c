/* fuzz/proposal: a model's answer, whatever it holds.  Parsing must not crash or leak;
 * what it accepts must keep every rule the cycle relies on (one named skill, safe
 * relative paths, no NUL, no duplicates), and applying it and diffing must hold up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evolve/proposal.h"
#include "evolve/tree.h"
#include "skill/skillmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proposal p;
	struct tree empty = { 0 }, t = { 0 };
	const char *why;
	long files, lines;
	size_t i, j;

	if (proposal_parse((const char *)data, size, &p)) {
		proposal_free(&p);
		return 0;
	}
	if (!skill_name_valid(p.skill, strlen(p.skill)) || p.n == 0 || !p.summary)
		abort();
	for (i = 0; i < p.n; i++) {
		const struct pfile *f = &p.v[i];
		char wrapped[PROPOSAL_MAXPATH + 3];
		snprintf(wrapped, sizeof wrapped, "/%s/", f->path);
		if (!proposal_path_ok(f->path, strlen(f->path), &why) || f->path[0] == '/' ||
		    strstr(wrapped, "/../") || strstr(wrapped, "/./") || strstr(wrapped, "//"))
			abort();
		if ((f->remove && f->text.len) ||
		    memchr(f->text.p ? f->text.p : "", 0, f->text.len))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(p.v[j].path, f->path) == 0)
				abort();
	}
	/* Onto an empty tree a removal must fail; else every file is new. */
	if (tree_apply(&t, &p) == 0) {
		struct buf d = BUF_INIT;
		tree_diff(&empty, &t, p.skill, &files, &lines, &d);
		if (files != (long)t.n || (files && !d.len))
			abort();
		buf_free(&d);
	}
	tree_free(&t);
	proposal_free(&p);
	return 0;
}
