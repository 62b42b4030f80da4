/* unit/evolve: lib/evolve's pure parts — proposal paths, the blast radius of a diff
 * and its unified text, and the seeded draw — as vectors. */
#include <stdlib.h>
#include <string.h>

#include "evolve/proposal.h"
#include "evolve/signal.h"
#include "evolve/tree.h"
#include "tap.h"

static void
path(const char *p, int want)
{
	const char *why;

	is_int(proposal_path_ok(p, strlen(p), &why), want, "path %s", p);
}

static void
one(struct tree *t, const char *path, const char *text, int exec)
{
	t->v = realloc(t->v, (t->n + 1) * sizeof *t->v);
	memset(&t->v[t->n], 0, sizeof t->v[t->n]);
	t->v[t->n].path = strdup(path);
	buf_adds(&t->v[t->n].text, text);
	t->v[t->n++].exec = exec;
}

static void
radius(const char *a, const char *b, long files, long lines, const char *diff)
{
	struct tree ta = { 0 }, tb = { 0 };
	struct buf d = BUF_INIT;
	long f, l;

	if (a)
		one(&ta, "run", a, 1);
	if (b)
		one(&tb, "run", b, 1);
	tree_diff(&ta, &tb, "s", &f, &l, &d);
	is_int(f, files, "files: %ld", files);
	is_int(l, lines, "lines: %ld", lines);
	if (diff)
		is_str(d.p ? d.p : "", diff, "the diff text of %ld lines", lines);
	buf_free(&d);
	tree_free(&ta);
	tree_free(&tb);
}

/* A proposal given as a C string: its length is the string's, never a count by hand. */
static int
parse_str(const char *text, struct proposal *p)
{
	return proposal_parse(text, strlen(text), p);
}

int
main(void)
{
	struct proposal p;
	struct draw d;
	struct signals s = { .n = 0 };
	int i, innovate = 0;

	path("run", 1);
	path("tests/a.json", 1);
	path("assets/x-1_2.txt", 1);
	path("a..b", 1);
	path("", 0);
	path("/etc/passwd", 0);
	path("../x", 0);
	path("a/../b", 0);
	path("a/./b", 0);
	path("a//b", 0);
	path("a/", 0);
	path(".hidden", 0);
	path("a b", 0);
	path("a/b/c/d/e/f/g/h/i", 0);

	ok(parse_str("{\"skill\":\"x\",\"files\":[{\"path\":\"run\",\"text\":\"a\"}]}",
	    &p) == 0 && p.n == 1 && strcmp(p.v[0].path, "run") == 0, "a minimal proposal");
	proposal_free(&p);
	ok(parse_str("```\n{\"skill\":\"x\",\"files\":"
	    "[{\"path\":\"r\",\"remove\":true}]}\n```", &p) == 0 && p.v[0].remove,
	    "a fenced proposal with a removal");
	proposal_free(&p);
	ok(parse_str("{\"skill\":\"x\",\"files\":[]} trailing", &p) != 0, "trailing text");
	proposal_free(&p);

	radius("a\nb\nc\n", "a\nb\nc\n", 0, 0, "");
	radius("a\nb\nc\n", "a\nB\nc\n", 1, 2,
	    "diff --git a/s/run b/s/run\n--- a/s/run\n+++ b/s/run\n"
	    "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
	radius(NULL, "x\n", 1, 1,
	    "diff --git a/s/run b/s/run\nnew file mode 100755\n--- /dev/null\n+++ b/s/run\n"
	    "@@ -0,0 +1,1 @@\n+x\n");
	radius("x\ny\n", NULL, 1, 2, NULL);
	radius("a\nb", "a\nb\n", 1, 2,
	    "diff --git a/s/run b/s/run\n--- a/s/run\n+++ b/s/run\n@@ -1,2 +1,2 @@\n a\n-b\n"
	    "\\ No newline at end of file\n+b\n");
	radius("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
	    1, 2, "diff --git a/s/run b/s/run\n--- a/s/run\n+++ b/s/run\n@@ -1,3 +1,4 @@\n+0\n 1\n"
	    " 2\n 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n");

	/* The draw: the same seed, the same numbers; innovation's share as asked. */
	draw_seed(&d, 42);
	double u = draw_next(&d);
	draw_seed(&d, 42);
	ok(draw_next(&d) == u && u >= 0 && u < 1, "a seed repeats its draw");
	for (i = 0; i < 10000; i++) {
		draw_seed(&d, (uint64_t)i);
		innovate += strcmp(strategy_draw(&s, 0.6, draw_next(&d)), "innovate") == 0 ? 1 : 0;
	}
	note("innovate without signals: %d of 10000", innovate);
	is_int(innovate, 10000, "with no repair or optimize signal every draw innovates");
	snprintf(s.v[0].kind, sizeof s.v[0].kind, "failed");
	s.n = 1;
	for (i = 0, innovate = 0; i < 10000; i++) {
		draw_seed(&d, (uint64_t)i);
		innovate += strcmp(strategy_draw(&s, 0.6, draw_next(&d)), "innovate") == 0;
	}
	ok(innovate > 5800 && innovate < 6200, "innovate 60%% of 10000 seeded draws (%d)",
	    innovate);
	return done_testing();
}
