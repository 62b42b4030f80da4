/* skillmd: read a SKILL.md's YAML front matter with libyaml's document loader and
 * check every field claw acts on; anything it does not know is left alone. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/utf8.h"
#include "skill/grant.h"
#include "skill/skillmd.h"

#define LINE0    2     /* the front matter starts on the file's second line */
#define MAXDEPTH 64    /* nesting inside install */

typedef yaml_document_t doc_t;
typedef yaml_node_t node_t;

static size_t lineof(const node_t *n) { return n->start_mark.line + LINE0; }

/* A name fit for an error message: short, and no terminal control bytes. */
static const char *
shown(const char *s, size_t n, char *dst, size_t dstlen)
{
	size_t i;

	for (i = 0; i < n && i + 4 < dstlen; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (i < n)
		memcpy(dst + i, "...", 3), i += 3;
	dst[i] = '\0';
	return dst;
}

/* A delimiter line: "---", maybe with a CR or blanks after it. */
static int
delim(const char *s, const char *e)
{
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e - s == 3 && !memcmp(s, "---", 3);
}

static int
front(const char *t, size_t len, const char **fm, size_t *fmlen, const char **body)
{
	const char *p = t, *end = t + len, *nl, *ls;
	size_t line = 1;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!delim(p, nl ? nl : end))
		return err_set(EX_DATAERR, "no front matter: line 1 is not ---");
	if (!nl)
		return err_set(EX_DATAERR, "unterminated front matter: no --- after line 1");
	*fm = ls = nl + 1;
	for (;;) {
		line++;
		/* Stop at the cap rather than read a whole large file looking for the end. */
		if ((size_t)(ls - *fm) > SKILLMD_MAXFRONT)
			return err_set(EX_DATAERR, "front matter: over %d bytes, line %zu",
			    SKILLMD_MAXFRONT, line);
		nl = memchr(ls, '\n', (size_t)(end - ls));
		if (delim(ls, nl ? nl : end))
			break;
		if (!nl)
			return err_set(EX_DATAERR,
			    "unterminated front matter: no --- after line 1");
		ls = nl + 1;
	}
	*fmlen = (size_t)(ls - *fm);
	*body = nl ? nl + 1 : end;
	return 0;
}

static int
is_scalar(const node_t *n, const char *s)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	    !memcmp(n->data.scalar.value, s, n->data.scalar.length);
}

/* YAML's null, written or left empty; a quoted "" is a string. */
static int
is_null(const node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (is_scalar(n, nulls[i]))
			return 1;
	return 0;
}

/* The value of key in map (NULL when absent or null).  A key given twice is an
 * error: a reader would see one value and claw might act on the other. */
static int
get(doc_t *d, const node_t *map, const char *what, const char *key, node_t **out)
{
	yaml_node_pair_t *pr;
	node_t *k, *v, *found = NULL;

	*out = NULL;
	if (!map)
		return 0;
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(d, pr->key);
		v = yaml_document_get_node(d, pr->value);
		if (!k || !v || !is_scalar(k, key))
			continue;
		if (found)
			return err_set(EX_DATAERR, "%s%s: given twice, line %zu", what, key,
			    lineof(k));
		found = v;
	}
	if (found && !is_null(found))
		*out = found;
	return 0;
}

/* A mapping or nothing. */
static int
get_map(doc_t *d, const node_t *map, const char *what, const char *key, node_t **out)
{
	int r;

	if ((r = get(d, map, what, key, out)))
		return r;
	if (*out && (*out)->type != YAML_MAPPING_NODE)
		return err_set(EX_DATAERR, "%s%s: not a mapping, line %zu", what, key,
		    lineof(*out));
	return 0;
}

static int
strval(const node_t *n, const char *what, const char *key, char **out)
{
	const char *s;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return err_set(EX_DATAERR, "%s%s: not a string, line %zu", what, key, lineof(n));
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	if (len > SKILLMD_MAXSTR)
		return err_set(EX_DATAERR, "%s%s: over %d bytes, line %zu", what, key,
		    SKILLMD_MAXSTR, lineof(n));
	/* "\0" is a valid YAML escape, but C strings would cut the value short. */
	if (memchr(s, '\0', len) || !utf8_valid(s, len))
		return err_set(EX_DATAERR, "%s%s: a NUL or bad UTF-8, line %zu", what, key,
		    lineof(n));
	if (!(*out = strndup(s, len)))
		return err_set(EX_SOFTWARE, "%s%s:", what, key);
	return 0;
}

static int
get_str(doc_t *d, const node_t *map, const char *what, const char *key, char **out)
{
	node_t *n;
	int r;

	if ((r = get(d, map, what, key, &n)) || !n)
		return r;
	free(*out);
	*out = NULL;
	return strval(n, what, key, out);
}

/* The check of a list whose items have a form (permissions): 1, or 0 and why. */
typedef int item_ok(const char *item, const char **why);

/* One item of a list, checked by ok when there is one. */
static int
item(const node_t *n, const char *what, const char *key, item_ok *ok, struct skillmd_list *l)
{
	const char *why;
	char q[72];
	int r;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return err_set(EX_DATAERR, "%s%s: an item is not a string, line %zu", what, key,
		    lineof(n));
	if ((r = strval(n, what, key, &l->v[l->n])))
		return r;
	l->n++;
	if (ok && !ok(l->v[l->n - 1], &why))
		return err_set(EX_DATAERR, "%s%s: \"%s\": %s, line %zu", what, key,
		    shown(l->v[l->n - 1], strlen(l->v[l->n - 1]), q, sizeof q), why, lineof(n));
	return 0;
}

/* A sequence of strings, or one string standing for a list of one. */
static int
get_list(doc_t *d, const node_t *map, const char *what, const char *key, item_ok *ok,
    struct skillmd_list *l)
{
	yaml_node_item_t *it;
	node_t *n, *v;
	size_t cnt = 1;
	int r;

	if ((r = get(d, map, what, key, &n)) || !n)
		return r;
	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	else if (n->type != YAML_SCALAR_NODE)
		return err_set(EX_DATAERR, "%s%s: not a list of strings, line %zu", what, key,
		    lineof(n));
	if (cnt > SKILLMD_MAXITEMS)
		return err_set(EX_DATAERR, "%s%s: over %d items, line %zu", what, key,
		    SKILLMD_MAXITEMS, lineof(n));
	if (cnt && !(l->v = calloc(cnt, sizeof *l->v)))
		return err_set(EX_SOFTWARE, "%s%s:", what, key);
	if (n->type == YAML_SCALAR_NODE)
		return item(n, what, key, ok, l);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
		if ((v = yaml_document_get_node(d, *it)) && (r = item(v, what, key, ok, l)))
			return r;
	return 0;
}

int
skill_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > SKILLMD_MAXNAME)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i == 0 || !strchr("._-", s[i]) || !s[i])
			return 0;
	}
	return 1;
}

static int
get_timeout(doc_t *d, const node_t *map, long *out)
{
	const char *s;
	char q[72];
	node_t *n;
	size_t i, len;
	long v = 0;
	int r;

	if ((r = get(d, map, "", "timeout", &n)) || !n)
		return r;
	if (n->type != YAML_SCALAR_NODE)
		return err_set(EX_DATAERR, "timeout: not a number, line %zu", lineof(n));
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	/* Plain decimal only: a leading 0 is octal to YAML 1.1 and decimal to 1.2. */
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9' && v <= SKILLMD_MAXTIMEOUT; i++)
		v = v * 10 + (s[i] - '0');
	if (len == 0 || i < len || s[0] == '0' || v < 1 || v > SKILLMD_MAXTIMEOUT)
		return err_set(EX_DATAERR, "timeout: \"%s\" is not a whole number of seconds "
		    "from 1 to %d, line %zu", shown(s, len, q, sizeof q), SKILLMD_MAXTIMEOUT,
		    lineof(n));
	*out = v;
	return 0;
}

static int
get_bool(doc_t *d, const node_t *map, const char *what, const char *key, int *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	node_t *n;
	size_t i;
	int r;

	if ((r = get(d, map, what, key, &n)) || !n)
		return r;
	for (i = 0; i < 3; i++) {
		if (is_scalar(n, t[i]))
			return *out = 1, 0;
		if (is_scalar(n, f[i]))
			return *out = 0, 0;
	}
	return err_set(EX_DATAERR, "%s%s: not true or false, line %zu", what, key, lineof(n));
}

/* A plain scalar that JSON would read as a number. */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* The YAML value as compact JSON.  An alias may point back at its own
 * collection, so depth and output size are both capped. */
static int
tojson(doc_t *d, const node_t *n, struct buf *b, int depth)
{
	const char *s;
	yaml_node_item_t *it;
	yaml_node_pair_t *pr;
	node_t *k, *v;
	size_t len;
	int r, first = 1;

	if (b->oom)
		return err_set(EX_SOFTWARE, "metadata.openclaw.install: out of memory");
	if (depth > MAXDEPTH)
		return err_set(EX_DATAERR, "metadata.openclaw.install: nested too deep, line %zu",
		    lineof(n));
	if (b->len > SKILLMD_MAXFRONT)
		return err_set(EX_DATAERR, "metadata.openclaw.install: over %d bytes as JSON",
		    SKILLMD_MAXFRONT);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		s = (const char *)n->data.scalar.value;
		len = n->data.scalar.length;
		if (!utf8_valid(s, len))
			return err_set(EX_DATAERR, "metadata.openclaw.install: bad UTF-8, line %zu",
			    lineof(n));
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			buf_add_json_str(b, s, len);
		else if (is_null(n))
			buf_adds(b, "null");
		else if (is_scalar(n, "true") || is_scalar(n, "True") || is_scalar(n, "TRUE"))
			buf_adds(b, "true");
		else if (is_scalar(n, "false") || is_scalar(n, "False") || is_scalar(n, "FALSE"))
			buf_adds(b, "false");
		else if (json_number(s, len))
			buf_add(b, s, len);
		else
			buf_add_json_str(b, s, len);
		return 0;
	case YAML_SEQUENCE_NODE:
		buf_addc(b, '[');
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			if (!(v = yaml_document_get_node(d, *it)))
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			if ((r = tojson(d, v, b, depth + 1)))
				return r;
		}
		buf_addc(b, ']');
		return 0;
	case YAML_MAPPING_NODE:
		buf_addc(b, '{');
		for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
			k = yaml_document_get_node(d, pr->key);
			v = yaml_document_get_node(d, pr->value);
			if (!k || !v)
				continue;
			if (k->type != YAML_SCALAR_NODE)
				return err_set(EX_DATAERR, "metadata.openclaw.install: a key is "
				    "not a string, line %zu", lineof(k));
			if (!utf8_valid((const char *)k->data.scalar.value, k->data.scalar.length))
				return err_set(EX_DATAERR, "metadata.openclaw.install: bad UTF-8, "
				    "line %zu", lineof(k));
			if (!first)
				buf_addc(b, ',');
			first = 0;
			buf_add_json_str(b, (const char *)k->data.scalar.value,
			    k->data.scalar.length);
			buf_addc(b, ':');
			if ((r = tojson(d, v, b, depth + 1)))
				return r;
		}
		buf_addc(b, '}');
		return 0;
	default:
		return err_set(EX_DATAERR, "metadata.openclaw.install: an empty node");
	}
}

static int
openclaw(doc_t *d, const node_t *oc, struct skillmd *s)
{
	static const char w[] = "metadata.openclaw.", wr[] = "metadata.openclaw.requires.";
	struct buf b = BUF_INIT;
	node_t *req, *inst;
	int r;

	if ((r = get_map(d, oc, w, "requires", &req)) ||
	    (r = get_list(d, req, wr, "bins", NULL, &s->bins)) ||
	    (r = get_list(d, req, wr, "anyBins", NULL, &s->any_bins)) ||
	    (r = get_list(d, req, wr, "env", NULL, &s->env)) ||
	    (r = get_list(d, req, wr, "config", NULL, &s->config)) ||
	    (r = get_list(d, oc, w, "os", NULL, &s->os)) ||
	    (r = get_bool(d, oc, w, "always", &s->always)) ||
	    (r = get_str(d, oc, w, "emoji", &s->emoji)) ||
	    (r = get_str(d, oc, w, "homepage", &s->homepage)) ||
	    (r = get(d, oc, w, "install", &inst)) || !inst)
		return r;
	if ((r = tojson(d, inst, &b, 0))) {
		buf_free(&b);
		return r;
	}
	if (!(s->install = buf_steal(&b)))
		return err_set(EX_SOFTWARE, "metadata.openclaw.install:");
	return 0;
}

static int
fields(doc_t *d, const node_t *root, const char *dirname, struct skillmd *s)
{
	const char *base;
	char q[72];
	node_t *meta, *oc, *n;
	size_t len;
	int r;

	if ((r = get_str(d, root, "", "name", &s->name)) ||
	    (r = get_str(d, root, "", "description", &s->description)) ||
	    (r = get_list(d, root, "", "triggers", NULL, &s->triggers)) ||
	    (r = get_list(d, root, "", "permissions", skill_perm_valid, &s->permissions)) ||
	    (r = get_timeout(d, root, &s->timeout)) ||
	    (r = get_str(d, root, "", "version", &s->version)) ||
	    (r = get_str(d, root, "", "homepage", &s->homepage)) ||
	    (r = get_map(d, root, "", "metadata", &meta)) ||
	    (r = get_map(d, meta, "metadata.", "openclaw", &oc)) ||
	    (oc && (r = openclaw(d, oc, s))))
		return r;

	if (!s->name && dirname) {
		/* The directory's own name, whatever path leads to it. */
		for (len = strlen(dirname); len > 1 && dirname[len - 1] == '/'; len--)
			;
		for (base = dirname + len; base > dirname && base[-1] != '/'; base--)
			;
		if (!(s->name = strndup(base, (size_t)(dirname + len - base))))
			return err_set(EX_SOFTWARE, "name:");
		if (!skill_name_valid(s->name, strlen(s->name)))
			return err_set(EX_DATAERR, "name: none given, and the directory name "
			    "\"%s\" is not one: use [a-z0-9][a-z0-9._-]{0,63}",
			    shown(s->name, strlen(s->name), q, sizeof q));
	}
	if (!s->name)
		return err_set(EX_DATAERR, "name: missing");
	if (!skill_name_valid(s->name, strlen(s->name))) {
		get(d, root, "", "name", &n);
		return err_set(EX_DATAERR, "name: \"%s\" is not [a-z0-9][a-z0-9._-]{0,63}, "
		    "line %zu", shown(s->name, strlen(s->name), q, sizeof q), lineof(n));
	}
	if (!s->description || !s->description[0])
		return err_set(EX_DATAERR, "description: missing");
	return 0;
}

static int
yaml_fail(yaml_parser_t *p, const char *fm, size_t fmlen)
{
	size_t line, i;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(EX_SOFTWARE, "front matter: out of memory");
	if (p->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset, not a mark. */
		for (line = LINE0, i = 0; i < p->problem_offset && i < fmlen; i++)
			line += fm[i] == '\n';
	} else
		line = p->problem_mark.line + LINE0;
	return err_set(EX_DATAERR, "front matter: %s, line %zu",
	    p->problem ? p->problem : "bad YAML", line);
}

int
skillmd_parse(const char *text, size_t len, const char *dirname, struct skillmd *out)
{
	yaml_parser_t p;
	doc_t d, d2;
	const char *fm = NULL, *body = NULL;
	node_t *root;
	size_t fmlen = 0;
	int r;

	memset(out, 0, sizeof *out);
	out->timeout = SKILLMD_TIMEOUT;
	if ((r = front(text, len, &fm, &fmlen, &body)))
		return r;
	if (!yaml_parser_initialize(&p))
		return err_set(EX_SOFTWARE, "front matter: out of memory");
	/* Fixed, so that no leading bytes can switch libyaml to UTF-16. */
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)fm, fmlen);
	if (!yaml_parser_load(&p, &d)) {
		r = yaml_fail(&p, fm, fmlen);
		yaml_parser_delete(&p);
		return r;
	}
	/* A "--- x" line is not our delimiter but would start a second document, one
	 * that nobody reads and a reviewer might take for part of the first. */
	if (!yaml_parser_load(&p, &d2))
		r = yaml_fail(&p, fm, fmlen);
	else {
		if ((root = yaml_document_get_root_node(&d2)))
			r = err_set(EX_DATAERR, "front matter: a second YAML document, line %zu",
			    lineof(root));
		yaml_document_delete(&d2);
	}
	yaml_parser_delete(&p);
	root = yaml_document_get_root_node(&d);
	if (!r && root && root->type != YAML_MAPPING_NODE && !is_null(root))
		r = err_set(EX_DATAERR, "front matter: not a mapping of keys, line %zu",
		    lineof(root));
	if (!r)
		r = fields(&d, root && root->type == YAML_MAPPING_NODE ? root : NULL,
		    dirname, out);
	yaml_document_delete(&d);
	if (r) {
		skillmd_free(out);
		return r;
	}
	out->body = body;
	out->bodylen = (size_t)(text + len - body);
	return 0;
}

static void
list_free(struct skillmd_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void
skillmd_free(struct skillmd *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->description);
	list_free(&s->triggers);
	list_free(&s->permissions);
	free(s->version);
	list_free(&s->bins);
	list_free(&s->any_bins);
	list_free(&s->env);
	list_free(&s->config);
	list_free(&s->os);
	free(s->emoji);
	free(s->homepage);
	free(s->install);
	memset(s, 0, sizeof *s);
	s->timeout = SKILLMD_TIMEOUT;
}

char *
skillmd_body_expand(const struct skillmd *s, const char *basedir)
{
	static const char key[] = "{baseDir}";
	struct buf b = BUF_INIT;
	const char *p = s->body, *end = s->body + s->bodylen, *hit;

	buf_grow(&b, s->bodylen);
	while (p < end && (hit = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_adds(&b, basedir ? basedir : "");
		p = hit + sizeof key - 1;
	}
	buf_add(&b, p, (size_t)(end - p));
	return buf_steal(&b);
}

static void
json_strv(struct buf *b, const char *v)
{
	if (v)
		buf_add_json_str(b, v, strlen(v));
	else
		buf_adds(b, "null");
}

static void
json_list(struct buf *b, const struct skillmd_list *l)
{
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < l->n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_add_json_str(b, l->v[i], strlen(l->v[i]));
	}
	buf_addc(b, ']');
}

char *
skillmd_to_json(const struct skillmd *s)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"name\":");
	json_strv(&b, s->name);
	buf_adds(&b, ",\"description\":");
	json_strv(&b, s->description);
	buf_adds(&b, ",\"triggers\":");
	json_list(&b, &s->triggers);
	buf_adds(&b, ",\"permissions\":");
	json_list(&b, &s->permissions);
	buf_printf(&b, ",\"timeout\":%ld,\"version\":", s->timeout);
	json_strv(&b, s->version);
	buf_adds(&b, ",\"requires\":{\"bins\":");
	json_list(&b, &s->bins);
	buf_adds(&b, ",\"anyBins\":");
	json_list(&b, &s->any_bins);
	buf_adds(&b, ",\"env\":");
	json_list(&b, &s->env);
	buf_adds(&b, ",\"config\":");
	json_list(&b, &s->config);
	buf_adds(&b, "},\"os\":");
	json_list(&b, &s->os);
	buf_printf(&b, ",\"always\":%s,\"emoji\":", s->always ? "true" : "false");
	json_strv(&b, s->emoji);
	buf_adds(&b, ",\"homepage\":");
	json_strv(&b, s->homepage);
	buf_printf(&b, ",\"install\":%s}", s->install ? s->install : "null");
	return buf_steal(&b);
}
