/* claw-skill: find, check, install and run skills.  Discovery and the index are
 * lib/skill.c, a run is lib/skillrun.c (under claw-sandbox), installing is
 * lib/skillinst.c; this file is the verbs and their output. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/line.h"
#include "base/record.h"
#include "base/path.h"
#include "skill/index.h"
#include "skill/install.h"
#include "skill/run.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw-skill list [--json]\n"
    "       claw-skill info NAME\n"
    "       claw-skill match [-n N] TEXT...\n"
    "       claw-skill run NAME [JSON | KEY=VALUE...]\n"
    "       claw-skill new NAME\n"
    "       claw-skill test NAME\n"
    "       claw-skill install DIR|TARBALL\n"
    "       claw-skill verify NAME\n"
    "       claw-skill remove NAME\n"
    "       claw-skill grant NAME PERM\n"
    "       claw-skill revoke NAME PERM\n"
    "       claw-skill grants [NAME]\n"
    "       claw-skill check [--sandbox]\n";

static int
usage_error(void)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

static int
print_skill(sqlite3 *db, const struct skill *k, int json)
{
	struct buf b = BUF_INIT, why = BUF_INIT;

	if (!json) {
		skill_missing(db, k, &why);
		printf("%s\t%s\t%s\t%s\n", k->name, k->kind, why.len ? why.p : "ok", k->description);
		buf_free(&why);
		return 0;
	}
	skill_json(db, k, &b);
	buf_addc(&b, '\n');
	if (!b.oom)
		fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}

static int
cmd_list(sqlite3 *db, struct skills *all, int argc, char **argv)
{
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;
	size_t i;

	if (argc > 2 || (argc == 2 && !json))
		return usage_error();
	for (i = 0; i < all->n; i++)
		print_skill(db, &all->v[i], json);
	return out_finish();
}

/* One "key<TAB>item" line per item of a line list. */
static void
print_lines(const char *key, const char *lines)
{
	const char *p = lines;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		printf("%s\t%.*s\n", key, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static int
cmd_info(sqlite3 *db, struct skills *all, const char *name)
{
	struct skill *k = skill_find(all, name);
	struct buf why = BUF_INIT, un = BUF_INIT;
	char *granted = NULL;

	if (!k)
		return err_set(EX_NOINPUT, "%s: no such skill (claw-skill list shows them)", name), diag_err();
	skill_missing(db, k, &why);
	skill_ungranted(db, k, NULL, &un);
	skill_grants(db, name, &granted);
	printf("name\t%s\ndir\t%s\nkind\t%s\ndescription\t%s\ntimeout\t%ld\n", k->name, k->dir, k->kind,
	    k->description, k->timeout);
	printf("eligible\t%s\n", why.len ? why.p : "yes");
	print_lines("permission", k->permissions);
	print_lines("not granted", un.p);
	print_lines("granted", granted);
	print_lines("shadows", k->shadows);
	if (k->meta)
		printf("meta\t%s\n", k->meta);
	buf_free(&why);
	buf_free(&un);
	free(granted);
	return out_finish();
}

/* --- match: trigger words and description, scored --- */

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
has_word(const char *hay, const char *word)
{
	size_t n = strlen(word);
	const char *p = hay;

	while ((p = strstr(p, word))) {
		int before = p == hay || !isalnum((unsigned char)p[-1]);
		int after = !isalnum((unsigned char)p[n]);
		if (before && after)
			return 1;
		p++;
	}
	return 0;
}

static int
score(const struct skill *k, const char *text, char words[][64], int nwords)
{
	char desc[4096], item[256], name[128];
	const char *p;
	int s = 0, i;

	snprintf(name, sizeof name, "%s", k->name);
	lower(name);
	if (has_word(text, name))
		s += 5;
	for (p = k->triggers; p && *p;) {
		size_t n = strcspn(p, "\n");
		snprintf(item, sizeof item, "%.*s", (int)n, p);
		lower(item);
		if (*item && has_word(text, item))
			s += 3;
		p += n + (p[n] == '\n');
	}
	snprintf(desc, sizeof desc, "%s", k->description);
	lower(desc);
	for (i = 0; i < nwords; i++)
		if (has_word(desc, words[i]))
			s += 1;
	return s;
}

struct ranked {
	int score;
	size_t i;
};

static int
by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->score != y->score ? y->score - x->score : (x->i > y->i) - (x->i < y->i);
}

static int
cmd_match(struct skills *all, int argc, char **argv)
{
	static const char *const stop[] = { "the", "and", "for", "with", "what", "how", "can", "you",
	    "this", "that", "from", "are", "is", "me", "please", "about", "into", "your", "use" };
	struct buf text = BUF_INIT;
	char words[64][64];
	struct ranked *r;
	int i = 1, nwords = 0, limit = 5, shown = 0;
	size_t j;
	char *p, *w, *save;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		limit = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || limit <= 0)
		return usage_error();
	for (; i < argc; i++)
		buf_printf(&text, "%s%s", text.len ? " " : "", argv[i]);
	if (text.oom)
		return err_set(EX_SOFTWARE, "out of memory"), diag_err();
	lower(text.p);
	{
		char *copy = strdup(text.p);
		for (p = copy, save = NULL; copy && (w = strtok_r(p, " \t\n.,;:!?()\"'", &save)) && nwords < 64; p = NULL) {
			size_t s;
			if (strlen(w) < 3 || strlen(w) >= 64)
				continue;
			for (s = 0; s < sizeof stop / sizeof stop[0] && strcmp(stop[s], w); s++)
				;
			if (s == sizeof stop / sizeof stop[0])
				snprintf(words[nwords++], 64, "%s", w);
		}
		free(copy);
	}
	if (!(r = calloc(all->n + 1, sizeof *r))) {
		buf_free(&text);
		return err_set(EX_SOFTWARE, "out of memory"), diag_err();
	}
	for (j = 0; j < all->n; j++) {
		r[j].score = all->v[j].error ? 0 : score(&all->v[j], text.p, words, nwords);
		r[j].i = j;
	}
	qsort(r, all->n, sizeof *r, by_score);
	for (j = 0; j < all->n && shown < limit && r[j].score > 0; j++, shown++)
		printf("%s\t%d\t%s\n", all->v[r[j].i].name, r[j].score, all->v[r[j].i].description);
	free(r);
	buf_free(&text);
	if (out_finish())
		return EX_IOERR;
	return shown ? 0 : EX_NORESULT;
}

/* --- run --- */

static void
print_line(const char *line, size_t n, void *ctx)
{
	(void)ctx;
	fwrite(line, 1, n, stdout);
	putchar('\n');
	fflush(stdout);
}

/* KEY=VALUE… as a JSON object: a value that is itself JSON (a number, true,
 * an array) keeps its type, anything else is a string. */
static int
args_object(int argc, char **argv, struct buf *b)
{
	char why[96];
	int i;

	if (argc == 1 && argv[0][0] == '{') {
		if (!json_valid(argv[0], strlen(argv[0]), why, sizeof why))
			return err_set(EX_DATAERR, "arguments: %s", why);
		buf_adds(b, argv[0]);
		return 0;
	}
	buf_addc(b, '{');
	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i])
			return err_set(EX_USAGE, "%s: want KEY=VALUE or one JSON object", argv[i]);
		if (i)
			buf_addc(b, ',');
		buf_add_json_str(b, argv[i], (size_t)(eq - argv[i]));
		buf_addc(b, ':');
		if (json_valid(eq + 1, strlen(eq + 1), why, sizeof why) && !strchr("\"{", eq[1]))
			buf_adds(b, eq + 1);
		else
			buf_add_json_str(b, eq + 1, strlen(eq + 1));
	}
	buf_addc(b, '}');
	return b->oom ? err_set(EX_SOFTWARE, "out of memory") : 0;
}

static int
cmd_run(sqlite3 *db, struct skills *all, int argc, char **argv)
{
	struct skill *k;
	struct buf args = BUF_INIT;
	struct skillrun_opts o = { 0 };
	int rc;

	if (argc < 2)
		return usage_error();
	if (!(k = skill_find(all, argv[1])))
		return err_set(EX_NOINPUT, "%s: no such skill (claw-skill list shows them)", argv[1]), diag_err();
	if (argc == 2 && !isatty(0)) {
		/* NDJSON requests: one args object per line, each run in turn. */
		char *line = NULL, why[96];
		size_t len, cap = 0;
		int toolong, r, worst = 0;
		long lineno = 0;
		while ((r = line_read(stdin, RECORD_MAXLINE, &line, &len, &cap, &toolong)) > 0) {
			lineno++;
			if (!len)
				continue;
			if (toolong || !json_valid(line, len, why, sizeof why) || *line != '{') {
				struct buf e = BUF_INIT;
				buf_printf(&e, "{\"type\":\"error\",\"code\":65,\"line\":%ld,\"message\":", lineno);
				buf_add_json_str(&e, toolong ? "line too long" : "not a JSON object", toolong ? 13 : 17);
				buf_adds(&e, "}");
				print_line(e.p, e.len, NULL);
				buf_free(&e);
				worst = worst ? worst : EX_DATAERR;
				continue;
			}
			o.args = line;
			if ((rc = skill_run(db, k, &o, print_line, NULL)) && !worst)
				worst = rc;
		}
		free(line);
		if (lineno > 0)
			return worst ? worst : out_finish();
		/* Nothing on stdin (cron, </dev/null): one run with no arguments. */
	}
	if ((rc = args_object(argc - 2, argv + 2, &args))) {
		buf_free(&args);
		return rc == EX_USAGE ? (diag_err(), usage_error()) : diag_err();
	}
	o.args = args.p;
	rc = skill_run(db, k, &o, print_line, NULL);
	buf_free(&args);
	if (rc)
		diag("%s", err_msg());
	return rc ? rc : out_finish();
}

/* --- grants --- */

static int
cmd_grants(sqlite3 *db, int argc, char **argv)
{
	sqlite3_stmt *st;
	int rc;

	if (argc > 2)
		return usage_error();
	if ((rc = store_prepare(db, &st, argc == 2 ? "SELECT skill, perm FROM grants WHERE skill = ? ORDER BY 1, 2"
	    : "SELECT skill, perm FROM grants ORDER BY 1, 2")))
		return diag_err();
	if (argc == 2)
		sqlite3_bind_text(st, 1, argv[1], -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return out_finish();
}

/* --- new and test --- */

static int
write_file(const char *dir, const char *name, const char *text, int mode)
{
	char path[PATH_MAX];
	int fd;
	size_t n = strlen(text);

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0)
		return err_set(EX_CANTCREAT, "%s:", path);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return err_set(EX_IOERR, "%s:", path);
	}
	return close(fd) < 0 ? err_set(EX_IOERR, "%s:", path) : 0;
}

static int
cmd_new(const char *name)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	struct buf md = BUF_INIT, run = BUF_INIT;
	int rc;

	if (!*name || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", *name)
	    || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name) || strlen(name) > 64)
		return err_set(EX_USAGE, "%s: a skill name is [a-z0-9][a-z0-9._-]*, at most 64 bytes", name), diag_err();
	if ((rc = path_mkhome("skills")) || (rc = path_in_home(dir, sizeof dir, "skills")))
		return diag_err();
	snprintf(sub, sizeof sub, "%s/%s", dir, name);
	if (mkdir(sub, 0755) < 0)
		return err_set(EX_CANTCREAT, "%s:", sub), diag_err();
	buf_printf(&md, "---\nname: %s\ndescription: Says hello to someone (replace with what %s does, in one line).\n"
	    "triggers:\n  - hello\npermissions: []\ntimeout: 10\nversion: \"0.1.0\"\n---\n"
	    "Call %s with a name to greet.\n", name, name, name);
	buf_printf(&run, "#!/bin/sh\n# %s: reads {\"args\",\"context\"} on stdin, writes NDJSON events.\nset -eu\n"
	    "who=$(jq -r '.args.who // \"world\"')\n"
	    "jq -cn --arg t \"hello, $who\" '{type: \"result\", text: $t}'\n", name);
	snprintf(dir, sizeof dir, "%s/tests", sub);
	if ((rc = write_file(sub, "SKILL.md", md.p, 0644)) || (rc = write_file(sub, "run", run.p, 0755))
	    || (rc = write_file(sub, "config.json", "{\"defaults\": {}, \"parameters\": {\"type\": \"object\","
	    " \"properties\": {\"who\": {\"type\": \"string\", \"description\": \"whom to greet\"}}}}\n", 0644))
	    || (mkdir(dir, 0755) < 0 && (rc = err_set(EX_CANTCREAT, "%s:", dir)))
	    || (rc = write_file(dir, "hello.json", "{\"args\": {\"who\": \"claw\"}, \"expect\": {\"equals\": \"hello, claw\"}}\n", 0644)))
		diag_err();
	else
		printf("%s\n", sub);
	buf_free(&md);
	buf_free(&run);
	return rc ? rc : out_finish();
}

struct outcome {
	struct buf text;
	int errors;
};

static void
collect(const char *line, size_t n, void *ctx)
{
	struct outcome *o = ctx;
	char type[32];

	if (!json_member_str(line, n, "type", type, sizeof type))
		return;
	if (strcmp(type, "error") == 0)
		o->errors++;
	if (strcmp(type, "result") == 0)
		json_member_text(line, n, "text", &o->text);
	else if (strcmp(type, "error") == 0)
		json_member_text(line, n, "message", &o->text);
}

static char *
member_text(const char *obj, const char *key)
{
	const char *v;
	size_t vn;
	struct buf b = BUF_INIT;

	if (!json_member(obj, strlen(obj), key, &v, &vn))
		return NULL;
	if (*v == '"') {
		json_str_decode(v, vn, &b);
		return buf_steal(&b);
	}
	buf_add(&b, v, vn);
	return buf_steal(&b);
}

static int
run_case(sqlite3 *db, const struct skill *k, const char *path, const char *text, int n)
{
	char *args = member_text(text, "args"), *config = member_text(text, "config");
	char *expect = member_text(text, "expect"), *grants_json = member_text(text, "grants");
	char *want_err = member_text(text, "error"), *what = NULL, *why = NULL;
	struct buf grants = BUF_INIT;
	struct outcome out = { BUF_INIT, 0 };
	struct skillrun_opts o = { args ? args : "{}", config, NULL };
	int rc, pass = 1, expect_error = want_err && strcmp(want_err, "true") == 0;

	/* "grants": ["net", "fs.read:/x"] become lines */
	if (grants_json && *grants_json == '[') {
		const char *p = grants_json + 1;
		while (*p && *p != ']') {
			const char *q;
			if (*p == '"' && (q = strchr(p + 1, '"'))) {
				buf_printf(&grants, "%s%.*s", grants.len ? "\n" : "", (int)(q - p - 1), p + 1);
				p = q + 1;
			} else
				p++;
		}
		o.grants = grants.p;
	}
	rc = skill_run(db, k, &o, collect, &out);
	if (expect_error != (rc != 0 || out.errors > 0)) {
		pass = 0;
		why = strdup(expect_error ? "expected an error, got none" : "an unexpected error");
	} else if (expect && !expect_error) {
		const char *got = out.text.p ? out.text.p : "";
		if ((what = member_text(expect, "equals")) && strcmp(got, what))
			pass = 0;
		else if (!what && (what = member_text(expect, "contains")) && !strstr(got, what))
			pass = 0;
		else if (!what && (what = member_text(expect, "matches"))) {
			regex_t re;
			if (regcomp(&re, what, REG_EXTENDED | REG_NOSUB))
				pass = 0;
			else {
				pass = regexec(&re, got, 0, NULL, 0) == 0;
				regfree(&re);
			}
		}
	} else if (expect && expect_error && (what = member_text(expect, "contains"))) {
		pass = out.text.p && strstr(out.text.p, what);
	}
	printf("%s %d - %s\n", pass ? "ok" : "not ok", n, path);
	if (!pass)
		printf("#   %s\n#   got: %.500s\n", why ? why : what ? what : "", out.text.p ? out.text.p : "");
	free(args); free(config); free(expect); free(grants_json); free(want_err); free(what); free(why);
	buf_free(&grants);
	buf_free(&out.text);
	return pass;
}

static int
cmd_test(sqlite3 *db, struct skills *all, const char *name)
{
	struct skill *k = skill_find(all, name);
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **list;
	int n, i, failed = 0, cases = 0;

	if (!k)
		return err_set(EX_NOINPUT, "%s: no such skill", name), diag_err();
	snprintf(dir, sizeof dir, "%s/tests", k->dir);
	if ((n = scandir(dir, &list, NULL, alphasort)) < 0) {
		printf("1..0 # SKIP %s has no tests\n", name);
		return out_finish();
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		if (len > 5 && strcmp(list[i]->d_name + len - 5, ".json") == 0) {
			int fd;
			struct buf text = BUF_INIT;
			char chunk[8192], why[96];
			ssize_t r;
			snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
				while ((r = read(fd, chunk, sizeof chunk)) > 0)
					buf_add(&text, chunk, (size_t)r);
				close(fd);
			}
			cases++;
			if (!text.p || !json_valid(text.p, text.len, why, sizeof why)) {
				printf("not ok %d - %s\n#   %s\n", cases, list[i]->d_name, text.p ? why : "unreadable");
				failed++;
			} else
				failed += !run_case(db, k, list[i]->d_name, text.p, cases);
			buf_free(&text);
		}
		free(list[i]);
	}
	free(list);
	printf("1..%d\n", cases);
	if (out_finish())
		return EX_IOERR;
	return failed ? EX_NORESULT : 0;
}

/* --- check --- */

static int
cmd_check(sqlite3 *db, struct skills *all, int argc, char **argv)
{
	size_t i;
	int broken = 0;

	if (argc == 2 && strcmp(argv[1], "--sandbox") == 0) {
		char sandbox[PATH_MAX];
		if (path_find_prog("claw-sandbox", sandbox, sizeof sandbox) < 0)
			return err_set(EX_UNAVAILABLE, "claw-sandbox is not installed: no skill can run"), diag_err();
		fflush(stdout);
		execl(sandbox, "claw-sandbox", "--check", (char *)NULL);
		return err_set(EX_UNAVAILABLE, "%s:", sandbox), diag_err();
	}
	if (argc != 1)
		return usage_error();
	for (i = 0; i < all->n; i++) {
		struct buf why = BUF_INIT;
		skill_missing(db, &all->v[i], &why);
		if (all->v[i].error) {
			broken++;
			printf("%s\tbroken\t%s\n", all->v[i].name, all->v[i].error);
		} else
			printf("%s\t%s\t%s\n", all->v[i].name, why.len ? "missing" : "ok", why.len ? why.p : "");
		buf_free(&why);
	}
	if (out_finish())
		return EX_IOERR;
	return broken ? EX_DATAERR : 0;
}

int
main(int argc, char **argv)
{
	const char *verb;
	struct skills all = { 0 };
	sqlite3 *db = NULL;
	char *name = NULL;
	int rc;

	diag_init(argv[0]);
	if (argc < 2)
		return usage_error();
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
		fputs(usage, stdout);
		return out_finish();
	}
	if (strcmp(verb, "--version") == 0) {
		puts("claw-skill " CLAW_VERSION);
		return out_finish();
	}
	argc--;
	argv++;
	if (strcmp(verb, "new") == 0)
		return argc == 2 ? cmd_new(argv[1]) : usage_error();
	if ((rc = store_open(&db)))
		return diag_err();
	if (strcmp(verb, "grant") == 0 || strcmp(verb, "revoke") == 0) {
		if (argc != 3)
			rc = usage_error();
		else if ((rc = skill_grant(db, argv[1], argv[2], strcmp(verb, "grant") == 0)))
			diag_err();
	} else if (strcmp(verb, "grants") == 0) {
		rc = cmd_grants(db, argc, argv);
	} else if (strcmp(verb, "install") == 0) {
		if (argc != 2)
			rc = usage_error();
		else if ((rc = skillinst_install(db, argv[1], &name)))
			diag_err();
		else {
			printf("%s\n", name);
			rc = out_finish();
		}
	} else if (strcmp(verb, "verify") == 0 || strcmp(verb, "remove") == 0) {
		if (argc != 2)
			rc = usage_error();
		else if ((rc = (*verb == 'v' ? skillinst_verify : skillinst_remove)(db, argv[1])))
			diag_err();
	} else if (strcmp(verb, "list") && strcmp(verb, "info") && strcmp(verb, "match") && strcmp(verb, "run")
	    && strcmp(verb, "test") && strcmp(verb, "check")) {
		diag("%s: unknown command", verb);
		rc = usage_error();
	} else if ((rc = skill_index(db, &all))) {
		diag_err();
	} else if (strcmp(verb, "list") == 0) {
		rc = cmd_list(db, &all, argc, argv);
	} else if (strcmp(verb, "info") == 0) {
		rc = argc == 2 ? cmd_info(db, &all, argv[1]) : usage_error();
	} else if (strcmp(verb, "match") == 0) {
		rc = cmd_match(&all, argc, argv);
	} else if (strcmp(verb, "run") == 0) {
		rc = cmd_run(db, &all, argc, argv);
	} else if (strcmp(verb, "test") == 0) {
		rc = argc == 2 ? cmd_test(db, &all, argv[1]) : usage_error();
	} else {
		rc = cmd_check(db, &all, argc, argv);
	}
	free(name);
	skills_free(&all);
	store_close(db);
	return rc;
}
