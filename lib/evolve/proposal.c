/* proposal: the strict reader of a model's proposed change.  Whole files only, each
 * path judged alone; links, devices, modes and paths out of the skill cannot be said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/utf8.h"
#include "evolve/proposal.h"
#include "skill/skillmd.h"

static int
pathchar(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || (!first && (c == '.' || c == '-'));
}

int
proposal_path_ok(const char *path, size_t n, const char **why)
{
	size_t i, start = 0, depth = 0;

	*why = NULL;
	if (n == 0)
		*why = "an empty path";
	else if (path[0] == '/')
		*why = "an absolute path (outside the skill)";
	else if (n > PROPOSAL_MAXPATH)
		*why = "a path over the length cap";
	for (i = 0; !*why && i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (i == start)
			*why = "an empty path component";
		else if ((i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' && path[start + 1] == '.'))
			*why = "a . or .. component (outside the skill)";
		else if (++depth > PROPOSAL_MAXDEPTH)
			*why = "a path too deep";
		else {
			size_t j;
			for (j = start; j < i && !*why; j++)
				if (!pathchar(path[j], j == start))
					*why = path[start] == '.' ? "a hidden file" :
					    "a character outside [A-Za-z0-9._-]";
		}
		start = i + 1;
	}
	return *why == NULL;
}

/* The JSON object in text: the whole of it, or the inside of one ``` fence. */
static int
object_of(const char *text, size_t len, const char **o, size_t *on)
{
	const char *p = text, *end = text + len, *nl, *close;
	char why[96];

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;              /* not strchr: it finds a NUL byte too */
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
	    || end[-1] == '\n'))
		end--;
	if (end - p >= 6 && memcmp(p, "```", 3) == 0 && memcmp(end - 3, "```", 3) == 0) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			return err_set(EX_DATAERR, "the answer is not a JSON proposal");
		close = end - 3;
		p = nl + 1;
		end = close;
	}
	if (p >= end || *p != '{')
		return err_set(EX_DATAERR, "the answer is not a JSON proposal");
	if (!json_valid(p, (size_t)(end - p), why, sizeof why))
		return err_set(EX_DATAERR, "the proposal is not valid JSON: %s", why);
	*o = p;
	*on = (size_t)(end - p);
	return 0;
}

static int
is_true(const char *o, size_t on, const char *key, int *v)
{
	const char *x;
	size_t xn;

	*v = 0;
	if (!json_member(o, on, key, &x, &xn))
		return 0;
	if (xn == 4 && memcmp(x, "true", 4) == 0)
		*v = 1;
	else if (!(xn == 5 && memcmp(x, "false", 5) == 0))
		return err_set(EX_DATAERR, "\"%s\" is not true or false", key);
	return 0;
}

static int
one_file(const char *o, size_t on, struct proposal *p)
{
	static const char *const refused[] = { "symlink", "link", "target", "mode", "device" };
	struct pfile *f = &p->v[p->n];
	struct buf path = BUF_INIT;
	const char *why = NULL, *x;
	size_t i, xn;
	int rc, t;

	if (*o != '{')
		return err_set(EX_DATAERR, "files: an entry that is not an object");
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (json_member(o, on, refused[i], &x, &xn))
			return err_set(EX_DATAERR, "files: \"%s\": %s", refused[i],
			    i < 3 ? "symbolic links are refused" : "only whole plain files");
	if ((t = json_member_text(o, on, "path", &path)) != 1 || path.oom || !path.len) {
		buf_free(&path);
		return err_set(EX_DATAERR, "files: an entry without a \"path\" string");
	}
	if (memchr(path.p, '\0', path.len) || !proposal_path_ok(path.p, path.len, &why)) {
		rc = err_set(EX_DATAERR, "%.*s: %s", (int)(path.len > 80 ? 80 : path.len),
		    path.p, why ? why : "a NUL byte");
		buf_free(&path);
		return rc;
	}
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].path, path.p) == 0) {
			rc = err_set(EX_DATAERR, "%s: named twice", path.p);
			buf_free(&path);
			return rc;
		}
	memset(f, 0, sizeof *f);
	f->path = buf_steal(&path);
	p->n++;
	if ((rc = is_true(o, on, "remove", &f->remove)) ||
	    (rc = is_true(o, on, "executable", &f->exec)))
		return rc;
	t = json_member_text(o, on, "text", &f->text);
	if (f->remove && t != 0)
		return err_set(EX_DATAERR, "%s: both \"remove\" and \"text\"", f->path);
	if (!f->remove && t != 1)
		return err_set(EX_DATAERR, "%s: no \"text\" string (whole files only)", f->path);
	if (f->text.oom)
		return err_set(EX_SOFTWARE, "out of memory");
	if (memchr(f->text.p ? f->text.p : "", '\0', f->text.len))
		return err_set(EX_DATAERR, "%s: a NUL byte (text files only)", f->path);
	return 0;
}

int
proposal_parse(const char *text, size_t len, struct proposal *p)
{
	const char *o = NULL, *files, *v;
	size_t on = 0, fn, vn, off = 0;
	struct buf b = BUF_INIT;
	int rc;

	memset(p, 0, sizeof *p);
	if (len > PROPOSAL_MAXTEXT)
		return err_set(EX_DATAERR, "the proposal is over the %u-byte cap",
		    PROPOSAL_MAXTEXT);
	if ((rc = object_of(text, len, &o, &on)))
		return rc;
	if (json_member_text(o, on, "skill", &b) != 1 || !b.p ||
	    !skill_name_valid(b.p, b.len) || strlen(b.p) != b.len) {
		buf_free(&b);
		return err_set(EX_DATAERR, "\"skill\": not a skill name ([a-z0-9][a-z0-9._-]*)");
	}
	p->skill = buf_steal(&b);
	if (json_member_text(o, on, "summary", &b) < 0) {
		buf_free(&b);
		return err_set(EX_DATAERR, "\"summary\": not a string");
	}
	p->summary = b.p ? buf_steal(&b) : strdup("");
	if (!p->summary || (p->summary[0] && !utf8_valid(p->summary, strlen(p->summary))))
		return err_set(EX_DATAERR, "\"summary\": not text");
	if (!json_member(o, on, "files", &files, &fn) || *files != '[')
		return err_set(EX_DATAERR, "\"files\": not an array");
	if (!(p->v = calloc(PROPOSAL_MAXFILES, sizeof *p->v)))
		return err_set(EX_SOFTWARE, "out of memory");
	while (json_array_next(files, fn, &off, &v, &vn)) {
		if (p->n == PROPOSAL_MAXFILES)
			return err_set(EX_DATAERR, "\"files\": over %d entries", PROPOSAL_MAXFILES);
		if ((rc = one_file(v, vn, p)))
			return rc;
	}
	if (p->n == 0)
		return err_set(EX_DATAERR, "\"files\": empty (nothing to change)");
	return 0;
}

void
proposal_free(struct proposal *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].path);
		buf_free(&p->v[i].text);
	}
	free(p->v);
	free(p->skill);
	free(p->summary);
	memset(p, 0, sizeof *p);
}
