/* tree: a skill in memory and the line diff between two of them (a longest common
 * subsequence, which is exact for the sizes a blast radius allows). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/line.h"
#include "base/path.h"
#include "evolve/tree.h"
#include "skill/install.h"

#define DIFF_MAXCELLS (16u << 20)  /* LCS table cells; beyond, a file counts as replaced */
#define DIFF_CONTEXT 3

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct tfile *)a)->path, ((const struct tfile *)b)->path);
}

static struct tfile *
add(struct tree *t, const char *path)
{
	struct tfile *f;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct tfile *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	f = &t->v[t->n];
	memset(f, 0, sizeof *f);
	if (!(f->path = strdup(path)))
		return NULL;
	t->n++;
	return f;
}

int
tree_read(const char *dir, struct tree *t)
{
	struct buf list = BUF_INIT;
	char path[PATH_MAX], item[PATH_MAX];
	const char *p;
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = skillinst_files(dir, &list)))
		return buf_free(&list), rc;
	for (p = list.p; !rc && p && line_next(&p, item, sizeof item);) {
		struct stat st;
		struct tfile *f = add(t, item);
		snprintf(path, sizeof path, "%s/%s", dir, item);
		if (!f)
			rc = err_set(EX_SOFTWARE, "out of memory");
		else if (lstat(path, &st) < 0)
			rc = err_set(EX_NOINPUT, "%s:", path);
		else if (!(rc = file_read(path, SKILLINST_MAXFILE, &f->text)))
			f->exec = (st.st_mode & 0111) != 0;
	}
	buf_free(&list);
	if (!rc)
		qsort(t->v, t->n, sizeof *t->v, by_path);
	return rc;
}

const struct tfile *
tree_find(const struct tree *t, const char *path)
{
	struct tfile key = { .path = (char *)path };

	return t->n ? bsearch(&key, t->v, t->n, sizeof *t->v, by_path) : NULL;
}

/* A file under a path that is a file, or a file where a directory is. */
static const char *
clash(const struct tree *t, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < t->n; i++) {
		size_t m = strlen(t->v[i].path);
		if (m < n && path[m] == '/' && memcmp(path, t->v[i].path, m) == 0)
			return t->v[i].path;
		if (n < m && t->v[i].path[n] == '/' && memcmp(path, t->v[i].path, n) == 0)
			return t->v[i].path;
	}
	return NULL;
}

int
tree_apply(struct tree *t, const struct proposal *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pfile *pf = &p->v[i];
		struct tfile *f = (struct tfile *)tree_find(t, pf->path);
		const char *c;
		if (pf->remove) {
			if (!f)
				return err_set(EX_DATAERR, "%s: removed but not there", pf->path);
			free(f->path);
			buf_free(&f->text);
			memmove(f, f + 1, (size_t)(t->v + t->n - f - 1) * sizeof *f);
			t->n--;
			continue;
		}
		if (!f && (c = clash(t, pf->path)))
			return err_set(EX_DATAERR, "%s: clashes with %s", pf->path, c);
		if (!f && !(f = add(t, pf->path)))
			return err_set(EX_SOFTWARE, "out of memory");
		buf_reset(&f->text);
		buf_add(&f->text, pf->text.p ? pf->text.p : "", pf->text.len);
		f->exec = pf->exec;
		if (f->text.oom)
			return err_set(EX_SOFTWARE, "out of memory");
		qsort(t->v, t->n, sizeof *t->v, by_path);
	}
	return 0;
}

int
tree_write(const struct tree *t, const char *dir)
{
	char path[PATH_MAX];
	size_t i;

	if (mkdir(dir, 0700) < 0)
		return err_set(EX_CANTCREAT, "%s:", dir);
	for (i = 0; i < t->n; i++) {
		const struct tfile *f = &t->v[i];
		char *slash;
		int fd;
		ssize_t w = 0;
		snprintf(path, sizeof path, "%s/%s", dir, f->path);
		if ((slash = strrchr(path, '/')) && slash > path + strlen(dir)) {
			*slash = '\0';
			if (path_mkdirs(path, 0755) < 0)
				return err_set(EX_CANTCREAT, "%s:", path);
			*slash = '/';
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    f->exec ? 0755 : 0644);
		if (fd < 0)
			return err_set(EX_CANTCREAT, "%s:", path);
		if (f->text.len)
			w = write(fd, f->text.p, f->text.len);
		/* fsync: a swap that follows must never expose a file not yet on disk. */
		if ((size_t)w != f->text.len || fsync(fd) < 0) {
			close(fd);
			return err_set(EX_IOERR, "%s:", path);
		}
		if (close(fd) < 0)
			return err_set(EX_IOERR, "%s:", path);
	}
	if (chmod(dir, 0755) < 0)
		return err_set(EX_IOERR, "%s:", dir);
	return 0;
}

void
tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].path);
		buf_free(&t->v[i].text);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* --- the diff --- */

struct lines {
	const char **s;
	size_t *len, n;
	int lastnl;               /* the text ends with a newline (or is empty) */
};

static int
split(const struct buf *b, struct lines *l)
{
	const char *p = b->p ? b->p : "", *end = p + b->len;
	size_t cap = 16;

	memset(l, 0, sizeof *l);
	l->lastnl = b->len == 0 || end[-1] == '\n';
	if (!(l->s = malloc(cap * sizeof *l->s)) || !(l->len = malloc(cap * sizeof *l->len)))
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l->n == cap) {
			cap *= 2;
			const char **s = realloc(l->s, cap * sizeof *s);
			if (s)
				l->s = s;
			size_t *len = realloc(l->len, cap * sizeof *len);
			if (len)
				l->len = len;
			if (!s || !len)
				return -1;
		}
		l->s[l->n] = p;
		l->len[l->n++] = n;
		p += n + (nl != NULL);
	}
	return 0;
}

static int
same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	/* The last line without its newline differs from the same text with one. */
	int anl = i + 1 < a->n || a->lastnl, bnl = j + 1 < b->n || b->lastnl;

	return a->len[i] == b->len[j] && anl == bnl && memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

/* The edit script: ops[k] is '=', '-' or '+', in order; returns how many. */
static size_t
script(const struct lines *a, const struct lines *b, char *ops)
{
	size_t n = a->n, m = b->n, i, j, k = 0;
	unsigned *t = NULL;

	if ((n + 1) * (m + 1) <= DIFF_MAXCELLS)
		t = calloc((n + 1) * (m + 1), sizeof *t);
	if (!t) {
		for (i = 0; i < n; i++)
			ops[k++] = '-';
		for (j = 0; j < m; j++)
			ops[k++] = '+';
		return k;
	}
#define T(x, y) t[(x) * (m + 1) + (y)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			T(i, j) = same(a, i, b, j) ? T(i + 1, j + 1) + 1 :
			    T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j) : T(i, j + 1);
	for (i = 0, j = 0; i < n || j < m;)
		if (i < n && j < m && same(a, i, b, j))
			ops[k++] = '=', i++, j++;
		else if (j == m || (i < n && T(i + 1, j) >= T(i, j + 1)))
			ops[k++] = '-', i++;
		else
			ops[k++] = '+', j++;
#undef T
	free(t);
	return k;
}

static void
line_out(struct buf *d, char c, const struct lines *l, size_t i)
{
	buf_addc(d, c);
	buf_add(d, l->s[i], l->len[i]);
	buf_addc(d, '\n');
	if (i + 1 == l->n && !l->lastnl)
		buf_adds(d, "\\ No newline at end of file\n");
}

/* Hunks of the script with DIFF_CONTEXT lines around each change. */
static void
hunks(struct buf *d, const struct lines *a, const struct lines *b, const char *ops, size_t k)
{
	size_t s = 0;

	while (s < k) {
		size_t e, x, i0 = 0, j0 = 0, i, j, na = 0, nb = 0, last;
		while (s < k && ops[s] == '=')
			s++;
		if (s == k)
			break;
		/* the hunk: from s back DIFF_CONTEXT, to the last change whose next change
		 * is more than 2*DIFF_CONTEXT equal lines away, plus DIFF_CONTEXT */
		for (last = s, e = s; e < k; e++)
			if (ops[e] != '=') {
				if (e - last > 2 * DIFF_CONTEXT)
					break;
				last = e;
			}
		x = s >= DIFF_CONTEXT ? s - DIFF_CONTEXT : 0;
		e = last + 1 + DIFF_CONTEXT < k ? last + 1 + DIFF_CONTEXT : k;
		for (i = 0; i < x; i++)
			ops[i] != '+' ? i0++ : 0, ops[i] != '-' ? j0++ : 0;
		for (i = x; i < e; i++)
			ops[i] != '+' ? na++ : 0, ops[i] != '-' ? nb++ : 0;
		buf_printf(d, "@@ -%zu,%zu +%zu,%zu @@\n", na ? i0 + 1 : i0, na, nb ? j0 + 1 : j0,
		    nb);
		for (i = i0, j = j0, x = x; x < e; x++)
			if (ops[x] == '=')
				line_out(d, ' ', a, i++), j++;
			else if (ops[x] == '-')
				line_out(d, '-', a, i++);
			else
				line_out(d, '+', b, j++);
		s = e;
	}
}

static void
file_diff(const struct tfile *fa, const struct tfile *fb, const char *name, long *lines,
    struct buf *d)
{
	static const struct buf empty = BUF_INIT;
	const char *path = fa ? fa->path : fb->path;
	struct lines a, b;
	char *ops = NULL;
	size_t k = 0, i;

	if (split(fa ? &fa->text : &empty, &a) < 0 || split(fb ? &fb->text : &empty, &b) < 0 ||
	    !(ops = malloc(a.n + b.n + 1)))
		d->oom = 1;
	else
		k = script(&a, &b, ops);
	for (i = 0; i < k; i++)
		*lines += ops[i] != '=';
	if (d && !d->oom) {
		buf_printf(d, "diff --git a/%s/%s b/%s/%s\n", name, path, name, path);
		if (!fa)
			buf_printf(d, "new file mode %s\n", fb->exec ? "100755" : "100644");
		else if (!fb)
			buf_printf(d, "deleted file mode %s\n", fa->exec ? "100755" : "100644");
		else if (fa->exec != fb->exec)
			buf_printf(d, "old mode %s\nnew mode %s\n", fa->exec ? "100755" : "100644",
			    fb->exec ? "100755" : "100644");
		if (k) {
			if (fa)
				buf_printf(d, "--- a/%s/%s\n", name, path);
			else
				buf_adds(d, "--- /dev/null\n");
			if (fb)
				buf_printf(d, "+++ b/%s/%s\n", name, path);
			else
				buf_adds(d, "+++ /dev/null\n");
			hunks(d, &a, &b, ops, k);
		}
	}
	free(ops);
	free(a.s); free(a.len); free(b.s); free(b.len);
}

void
tree_diff(const struct tree *a, const struct tree *b, const char *name, long *files,
    long *lines, struct buf *diff)
{
	struct buf scratch = BUF_INIT, *d = diff ? diff : &scratch;
	size_t i = 0, j = 0;

	*files = *lines = 0;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].path, b->v[j].path);
		const struct tfile *fa = c <= 0 ? &a->v[i] : NULL, *fb = c >= 0 ? &b->v[j] : NULL;
		i += c <= 0;
		j += c >= 0;
		if (fa && fb && fa->exec == fb->exec && fa->text.len == fb->text.len &&
		    memcmp(fa->text.p ? fa->text.p : "", fb->text.p ? fb->text.p : "",
		    fa->text.len) == 0)
			continue;
		++*files;
		file_diff(fa, fb, name, lines, d);
	}
	buf_free(&scratch);
}
