/* run: the sandboxed run.  Nothing here trusts the skill: its output is
 * capped and checked line by line, its time is bounded twice (claw-sandbox's
 * wall clock and ours), and it sees no secret of ours. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/json.h"
#include "base/line.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/record.h"
#include "skill/grant.h"
#include "skill/attach.h"
#include "skill/run.h"
#include "skill/skillmd.h"
#include "store/config.h"

static void
emit_error(skillrun_fn *fn, void *ctx, int code, const char *msg)
{
	struct buf b = BUF_INIT;

	record_error(&b, code, 0, msg);
	if (!b.oom)
		fn(b.p, b.len, ctx);
	buf_free(&b);
}

static int
fail(skillrun_fn *fn, void *ctx, int code)
{
	emit_error(fn, ctx, code, err_msg());
	return code;
}

static void
emit_result(skillrun_fn *fn, void *ctx, const char *text, size_t n)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"type\":\"result\",\"text\":");
	buf_add_json_str(&b, text, n);
	buf_addc(&b, '}');
	if (!b.oom)
		fn(b.p, b.len, ctx);
	buf_free(&b);
}

/* An instruction skill's run is its body, with {baseDir} filled in. */
static int
run_instructions(const struct skill *k, skillrun_fn *fn, void *ctx)
{
	char path[PATH_MAX], *body;
	struct skillmd md;
	struct buf text = BUF_INIT;
	int rc;

	snprintf(path, sizeof path, "%s/SKILL.md", k->dir);
	if ((rc = file_read(path, SKILLMD_MAXFILE, &text))
	    || (rc = skillmd_parse(text.p ? text.p : "", text.len, k->name, &md))) {
		buf_free(&text);
		return fail(fn, ctx, rc);
	}
	if ((body = skillmd_body_expand(&md, k->dir)))
		emit_result(fn, ctx, body, strlen(body));
	free(body);
	skillmd_free(&md);
	buf_free(&text);
	return body ? 0 : fail(fn, ctx, err_set(EX_SOFTWARE, "out of memory"));
}

struct overrides {
	struct buf *b;
	const char *prefix;
};

/* skills.NAME.KEY from the user's config, secrets left out: a skill gets a secret
 * only through an env: grant the user made. */
static int
add_override(const char *key, const char *value, enum config_source src, int secret, void *ctx)
{
	struct overrides *o = ctx;
	size_t n = strlen(o->prefix);

	if (secret || !value || strncmp(key, o->prefix, n) || !key[n] || strchr(key + n, '.'))
		return 0;
	buf_addc(o->b, ',');
	buf_add_json_str(o->b, key + n, strlen(key + n));
	buf_addc(o->b, ':');
	if (json_valid(value, strlen(value), (char[8]){ 0 }, 8) && !strchr("\"{[", value[0]))
		buf_adds(o->b, value);       /* numbers and booleans keep their type */
	else
		buf_add_json_str(o->b, value, strlen(value));
	return 0;
}

/* {"skill","config":{defaults…, overrides…},"data_dir","grants":[…]}; a later
 * duplicate key wins in every JSON reader we hand this to. */
static void
context(sqlite3 *db, const struct skill *k, const char *extra, const char *data_dir,
    const char *grants, struct buf *b)
{
	const char *defaults;
	size_t dn = 0, start;
	char prefix[160];
	struct buf ov = BUF_INIT;
	struct overrides o = { &ov, prefix };

	buf_adds(b, "{\"skill\":");
	buf_add_json_str(b, k->name, strlen(k->name));
	buf_adds(b, ",\"config\":{");
	start = b->len;
	if (k->config && json_member(k->config, strlen(k->config), "defaults", &defaults, &dn)
	    && dn > 2 && defaults[0] == '{')
		buf_add(b, defaults + 1, dn - 2);
	while (b->len > start && strchr(" \t\r\n", b->p[b->len - 1]))
		b->len--;
	snprintf(prefix, sizeof prefix, "skills.%s.", k->name);
	config_list(db, add_override, &o);
	if (extra && *extra == '{' && strlen(extra) > 2) {
		buf_addc(&ov, ',');
		buf_add(&ov, extra + 1, strlen(extra) - 2);
	}
	/* Each override came with a leading comma: keep it only after defaults. */
	if (ov.len)
		buf_add(b, ov.p + (b->len == start), ov.len - (b->len == start));
	buf_free(&ov);
	buf_adds(b, "},\"data_dir\":");
	buf_add_json_str(b, data_dir, strlen(data_dir));
	buf_adds(b, ",\"grants\":");
	buf_add_json_lines(b, grants);
	buf_addc(b, '}');
}

/* The sandbox's flags for each granted permission. */
static int
grant_flags(const char *grants, char **argv, int n, int max, int *net)
{
	static const struct {
		const char *prefix, *flag;
	} flags[] = {
		{ "env:", "-e" }, { "fs.read:", "-r" }, { "fs.write:", "-w" }, { "exec:", "-x" },
	};
	const char *p = grants;
	char item[PATH_MAX + 16], full[PATH_MAX + 16];
	size_t i;

	while (n < max - 2 && line_next(&p, item, sizeof item)) {
		if (strcmp(item, "net") == 0) {
			*net = 1;
			continue;
		}
		if (strcmp(item, "display") == 0) {
			argv[n++] = strdup("-D");
			continue;
		}
		skill_perm_expand(item, full, sizeof full);
		for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
			if (!strncmp(full, flags[i].prefix, strlen(flags[i].prefix))) {
				argv[n++] = strdup(flags[i].flag);
				argv[n++] = strdup(full + strlen(flags[i].prefix));
				break;
			}
	}
	return n;
}

/* The programs a run may execute besides its own directory (the kernel stops
 * any other execve, claw-sandbox -X): the interpreter its program names (#!, and
 * through "#!/usr/bin/env NAME" NAME on PATH_DEFAULT, and so on for a script
 * interpreter), what its SKILL.md requires (bins, anyBins: shown at install),
 * and the interpreters of the programs granted by exec:. */
static int
exec_add(const char *prog, char **argv, int n, int max, int depth)
{
	char line[256], full[PATH_MAX + 8], *s, *name;
	int fd;
	ssize_t r;

	if (n >= max - 2 || depth > 4)
		return n;
	if (*prog != '/') {
		if (skill_program_path(prog, full, sizeof full))
			return n;       /* not here: it cannot run anyway */
		prog = full + 5;
	}
	if (depth > 0) {
		argv[n++] = strdup("-x");
		argv[n++] = strdup(prog);
	}
	if ((fd = open(prog, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return n;
	r = read(fd, line, sizeof line - 1);
	close(fd);
	if (r < 3 || line[0] != '#' || line[1] != '!')
		return n;
	line[r] = '\0';
	line[strcspn(line, "\n")] = '\0';
	s = line + 2 + strspn(line + 2, " \t");
	name = s;
	s += strcspn(s, " \t");
	if (*s)
		*s++ = '\0';
	if (!*name)
		return n;
	if (strcmp(strrchr(name, '/') ? strrchr(name, '/') + 1 : name, "env") == 0) {
		argv[n++] = strdup("-x");
		argv[n++] = strdup(name);
		s += strspn(s, " \t");
		if (*s && *s != '-') {
			s[strcspn(s, " \t")] = '\0';
			snprintf(line, sizeof line, "%s", s);
			return exec_add(line, argv, n, max, depth + 1);
		}
		return n;
	}
	snprintf(full, sizeof full, "%s", name);
	return exec_add(full, argv, n, max, depth + 1);
}

static int
exec_flags(const struct skill *k, const char *prog, const char *grants, char **argv, int n,
    int max)
{
	const char *lists[] = { k->bins, k->any_bins }, *p;
	char item[PATH_MAX + 16], full[PATH_MAX + 16];
	size_t i;

	n = exec_add(prog, argv, n, max, 0);
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
		for (p = lists[i]; line_next(&p, item, sizeof item);)
			n = exec_add(item, argv, n, max, 1);
	for (p = grants; line_next(&p, item, sizeof item);) {
		skill_perm_expand(item, full, sizeof full);
		if (!strncmp(full, "exec:", 5) && full[5] == '/')
			n = exec_add(full + 5, argv, n, max, 0);
	}
	return n;
}

/* What the skill said of its failure: its last error event's message and code. */
struct told {
	int error;
	long code;                    /* 0 when the event had none */
	struct buf msg;
};

/* Hand out each line of the child's output: events as they are, plain text
 * gathered into one result at the end. */
static int
forward(const struct buf *out, skillrun_fn *fn, void *ctx, struct told *t, int ok,
    struct buf *said, const char *dir)
{
	const char *p = out->p, *end = out->p + out->len;
	struct buf plain = BUF_INIT;
	int results = 0;
	char type[32], why[96];

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (record_check(p, &n, why, sizeof why) == RECORD_OK
		    && json_member_str(p, n, "type", type, sizeof type)) {
			results += strcmp(type, "result") == 0;
			if (strcmp(type, "error") == 0) {
				const char *v;
				size_t vn;
				t->error = 1;
				buf_reset(&t->msg);
				json_member_text(p, n, "message", &t->msg);
				t->code = json_member(p, n, "code", &v, &vn)
				    ? strtol(v, NULL, 10) : 0;
			}
			fn(p, n, ctx);
			if (ok && strcmp(type, "result") == 0)   /* its files, before dir goes */
				skill_attach_events(p, n, dir, fn, ctx);
		} else if (n || plain.len) {
			buf_add(&plain, p, n);
			buf_addc(&plain, '\n');
		}
		p = nl ? nl + 1 : end;
	}
	while (plain.len && plain.p[plain.len - 1] == '\n')
		plain.len--;
	/* Plain text is the result of a program that exited 0; otherwise it is
	 * what the program said before it failed, and goes into the error. */
	if (!results && !t->error && ok)
		emit_result(fn, ctx, plain.p ? plain.p : "", plain.len), results = 1;
	else if (!ok && plain.len && said)
		buf_printf(said, ": %.*s", (int)(plain.len > 300 ? 300 : plain.len), plain.p);
	buf_free(&plain);
	return results;
}

int
skillrun_args(int argc, char **argv, struct buf *b)
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

/* Refuse a broken skill, or one asking for a permission not granted, saying the
 * command that grants it: 0 or the exit code (the error handed out). */
static int
permitted(sqlite3 *db, const struct skill *k, const char *extra, skillrun_fn *fn, void *ctx)
{
	struct buf why = BUF_INIT, cmd = BUF_INIT;
	const char *broad;
	char *nl;
	int rc, refused;

	if (k->error)
		return err_set(EX_DATAERR, "%s: %s", k->name, k->error), fail(fn, ctx, EX_DATAERR);
	if ((rc = skill_ungranted(db, k, extra, &why)))
		return buf_free(&why), fail(fn, ctx, rc);
	if (!why.len)
		return buf_free(&why), 0;
	if ((nl = strchr(why.p, '\n')))
		*nl = '\0';
	skill_grant_command(k->name, why.p, &cmd);
	if ((broad = skill_perm_broad(why.p, &refused)))
		err_set(EX_NOPERM, "%s asks for %s, which is not granted and is broad (%s):"
		    " only if you trust it that far, run: %s", k->name, why.p, broad,
		    cmd.p ? cmd.p : "claw-skill grant");
	else
		err_set(EX_NOPERM, "%s asks for %s, which is not granted: run: %s", k->name,
		    why.p, cmd.p ? cmd.p : "claw-skill grant");
	buf_free(&why);
	buf_free(&cmd);
	return fail(fn, ctx, EX_NOPERM);
}

/* The stored grants, or the run's narrower ones (each covered by a stored grant:
 * a run is never given more than the user granted), cut to what the skill may get. */
static int
run_grants(sqlite3 *db, const struct skill *k, const char *only, char **grants)
{
	char item[PATH_MAX + 16];
	const char *p = only;
	int rc;

	if ((rc = skill_grants(db, k, grants)))
		return rc;
	while (only && line_next(&p, item, sizeof item))
		if (!skill_grant_covers(*grants, item))
			return err_set(EX_NOPERM, "%s: %s is not granted (a run may narrow its"
			    " grants, never widen them)", k->name, item);
	if (only) {
		free(*grants);
		if (!(*grants = strdup(only)))
			return err_set(EX_SOFTWARE, "out of memory");
	}
	skill_grants_cut(k, *grants);
	return 0;
}

struct launch {
	char sandbox[PATH_MAX], runner[PATH_MAX];   /* runner: for a node skill */
	char scratch[PATH_MAX], data[PATH_MAX];
	char *grants;
	char *argv[256];
	int argc;
};

/* The programs a run needs and its two directories: its data directory in
 * $CLAW_HOME and a scratch directory made for this run.  0 or an exit code. */
static int
launch_dirs(const struct skill *k, struct launch *l)
{
	const char *tmp = getenv("TMPDIR");
	char sub[PATH_MAX];
	int rc;

	if (strcmp(k->kind, "node") == 0 && path_find_prog("claw-node-runner", l->runner,
	    sizeof l->runner) < 0)
		return err_set(EX_UNAVAILABLE, "%s: claw-node-runner is not installed", k->name);
	if (path_find_prog("claw-sandbox", l->sandbox, sizeof l->sandbox) < 0)
		return err_set(EX_UNAVAILABLE,
		    "claw-sandbox is not installed: %s is not run unsandboxed",
		    k->name);
	snprintf(sub, sizeof sub, "data/%s", k->name);
	if ((rc = path_mkhome("data")) || (rc = path_mkhome(sub))
	    || (rc = path_in_home(l->data, sizeof l->data, sub)))
		return rc;
	snprintf(l->scratch, sizeof l->scratch, "%s/claw-skill.%s.XXXXXX",
	    tmp && *tmp == '/' ? tmp : "/tmp", k->name);
	if (!mkdtemp(l->scratch)) {
		rc = err_set(EX_CANTCREAT, "%s:", l->scratch);
		l->scratch[0] = '\0';
	}
	return rc;
}

/* A path of ours for claw-sandbox, which follows no symlink of a user's: resolved. */
static char *
own(const char *path)
{
	char *r = realpath(path, NULL);

	return r ? r : strdup(path);
}

/* claw-sandbox -t T -T T -d SCRATCH -X -H HOME -K DATA -K SKILLDIR -x SKILLDIR [-x RUNNER]
 * -w DATA EXECS GRANTS [-n] -- PROG */
static int
launch_argv(const struct skill *k, struct launch *l)
{
	char num[24], prog[PATH_MAX + 16];
	int net = 0, node = strcmp(k->kind, "node") == 0, i;
	char **v = l->argv;
	const char *home = path_home();

	snprintf(num, sizeof num, "%ld", k->timeout);
	v[l->argc++] = strdup(l->sandbox);
	v[l->argc++] = strdup("-t"); v[l->argc++] = strdup(num);
	v[l->argc++] = strdup("-T"); v[l->argc++] = strdup(num);
	v[l->argc++] = strdup("-d"); v[l->argc++] = strdup(l->scratch);
	/* $CLAW_HOME (the store, its key) out of sight whatever is granted, but for
	 * the skill's own data and, when installed there, its directory. */
	v[l->argc++] = strdup("-X");
	if (!home)
		return err_code();
	v[l->argc++] = strdup("-H"); v[l->argc++] = strdup(home);
	v[l->argc++] = strdup("-K"); v[l->argc++] = own(l->data);
	v[l->argc++] = strdup("-K"); v[l->argc++] = own(k->dir);
	/* The skill's own directory: read and execute, never write. */
	v[l->argc++] = strdup("-x"); v[l->argc++] = own(k->dir);
	if (node) {
		v[l->argc++] = strdup("-x");
		v[l->argc++] = own(l->runner);         /* the runner, wherever claw is installed */
	}
	v[l->argc++] = strdup("-w"); v[l->argc++] = own(l->data);
	snprintf(prog, sizeof prog, "%s/%s", k->dir, node ? "index.js" : "run");
	l->argc = exec_flags(k, node ? l->runner : prog, l->grants, v, l->argc, 160);
	l->argc = grant_flags(l->grants, v, l->argc, 248, &net);
	if (net)
		v[l->argc++] = strdup("-n");
	v[l->argc++] = strdup("--");
	if (node)
		v[l->argc++] = strdup(l->runner);
	snprintf(prog, sizeof prog, "%s/%s", k->dir, node ? "index.js" : "run");
	v[l->argc++] = strdup(prog);
	for (i = 0; i < l->argc; i++)
		if (!v[i])
			return err_set(EX_SOFTWARE, "out of memory");
	return 0;
}

/* The exit codes a skill's own status (or its error event's code) may pass on:
 * they say what claw-skill(1) says they mean; any other is EX_NORESULT. */
static int
passed_on(long code)
{
	return code == EX_DATAERR || code == EX_UNAVAILABLE || code == EX_NOPERM
	    || code == EX_TEMPFAIL || code == EX_CONFIG || code == EX_NOINPUT;
}

/* What the child's status and output mean: 0 or an exit code (err set);
 * *quiet when the skill handed out its own error event: no second one is
 * written, and err says the skill's own words. */
static int
outcome(const struct skill *k, int status, const struct buf *out, skillrun_fn *fn, void *ctx,
    int *quiet, const char *dir)
{
	struct buf said = BUF_INIT;
	struct told t = { 0, 0, BUF_INIT };
	int rc;

	if (status == PROC_NOSTART)
		return err_code();
	if (status == PROC_TOOBIG) {
		forward(out, fn, ctx, &t, 0, NULL, NULL);
		buf_free(&t.msg);
		return err_set(EX_DATAERR, "%s: output over the %u-byte cap: stopped", k->name,
		    SKILLRUN_MAXOUT);
	}
	if (status == PROC_TIMEDOUT || status == 124)
		return err_set(EX_TEMPFAIL, "%s: out of time after %ld s: stopped", k->name,
		    k->timeout);
	forward(out, fn, ctx, &t, status == 0, &said, dir);
	if (status > 128)
		rc = err_set(EX_SOFTWARE, "%s: killed by signal %d (a resource limit?)", k->name,
		    status - 128);
	else if (t.error) {
		/* It said it failed: believe it, whatever its status; the code is its
		 * status's, else its event's, else EX_NORESULT. */
		rc = passed_on(status) ? status : passed_on(t.code) ? (int)t.code : EX_NORESULT;
		err_set(rc, "%s: %s (exit %d)", k->name, t.msg.len ? t.msg.p : "error", status);
	} else if (status == 0)
		rc = 0;
	else
		rc = err_set(passed_on(status) ? status : EX_NORESULT,
		    "%s: exited with status %d%s", k->name, status, said.p ? said.p : "");
	buf_free(&said);
	buf_free(&t.msg);
	*quiet = t.error;                       /* it said why itself */
	return rc;
}

/* The bytes under the directory open as fd, each file counted at the larger of its
 * size and its blocks (a sparse file counts in full); fd is closed. */
static unsigned long long
tree_bytes(int fd, int depth)
{
	unsigned long long total = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")
		    && fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			unsigned long long blocks = (unsigned long long)st.st_blocks * 512;
			total += blocks > (unsigned long long)st.st_size ? blocks
			    : (unsigned long long)st.st_size;
			if (S_ISDIR(st.st_mode) && depth < 64) {
				int sub = openat(fd, e->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					total += tree_bytes(sub, depth + 1);
			}
		}
	closedir(d);
	return total;
}

/* 0 when k's data directory is within skills.data_max, else EX_DATAERR (err set). */
static int
data_within(sqlite3 *db, const struct skill *k, const char *dir, int after)
{
	unsigned long long max = 64ull << 20, used;
	char *v = NULL;
	enum config_source src;
	int fd;

	if (config_get(db, "skills.data_max", &v, &src) == 0 && v)
		max = strtoull(v, NULL, 10);
	free(v);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if ((used = tree_bytes(fd, 0)) <= max)
		return 0;
	return err_set(EX_DATAERR, "%s: %s %llu bytes in its data directory %s, over"
	    " skills.data_max (%llu): %s", k->name, after ? "left" : "has", used, dir, max,
	    after ? "its next run is refused until that is cleared"
	    : "refused until that is cleared");
}

/* What the skill said on stderr, passed on to ours (as it would have been had it been
 * ours), cut at the cap with a line saying so. */
static void
pass_stderr(const struct skill *k, const struct buf *err, int cut)
{
	struct buf note = BUF_INIT;
	ssize_t n = 0;

	if (err->len)
		n = write(2, err->p, err->len);
	if (cut) {
		buf_printf(&note, "%s[%s: stderr over the %u-byte cap: the rest was dropped]\n",
		    err->len && err->p[err->len - 1] != '\n' ? "\n" : "", k->name,
		    SKILLRUN_MAXERR);
		if (!note.oom)
			n = write(2, note.p, note.len);
	}
	(void)n;
	buf_free(&note);
}

int
skill_run(sqlite3 *db, const struct skill *k, const struct skillrun_opts *o, skillrun_fn *fn,
    void *ctx)
{
	struct launch l = { .argc = 0 };
	struct buf in = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	int rc, status, quiet = 0, i, cut = 0;

	if ((rc = permitted(db, k, o->grants, fn, ctx)))
		return rc;
	if (strcmp(k->kind, "instructions") == 0)
		return run_instructions(k, fn, ctx);
	if ((rc = launch_dirs(k, &l)) || (rc = data_within(db, k, l.data, 0))
	    || (rc = run_grants(db, k, o->grants, &l.grants)) || (rc = launch_argv(k, &l)))
		goto out;
	buf_adds(&in, "{\"args\":");
	buf_adds(&in, o->args);
	buf_adds(&in, ",\"context\":");
	context(db, k, o->config, l.data, l.grants, &in);
	buf_adds(&in, "}\n");
	if (in.oom) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	/* claw-sandbox keeps the wall clock; ours is the backstop. */
	status = proc_run_err(l.argv, NULL, in.p, in.len, &out, SKILLRUN_MAXOUT, &err,
	    SKILLRUN_MAXERR, &cut, (int)(k->timeout + 5) * 1000);
	pass_stderr(k, &err, cut);
	rc = outcome(k, status, &out, fn, ctx, &quiet, l.scratch);
	if (status != PROC_NOSTART && data_within(db, k, l.data, 1)) {
		if (!rc || quiet)
			rc = err_code(), quiet = 0;
	}
out:
	if (rc && !quiet)
		fail(fn, ctx, rc);
	if (l.scratch[0])
		path_rmtree(l.scratch);
	for (i = 0; i < l.argc; i++)
		free(l.argv[i]);
	free(l.grants);
	buf_free(&in);
	buf_free(&out);
	buf_free(&err);
	return rc;
}

struct each {
	sqlite3 *db;
	const struct skill *k;
	struct skillrun_opts o;
	skillrun_fn *fn;
	void *ctx;
	skillrun_done_fn *done;
	void *dctx;
	int worst;
};

static int
each_line(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	struct each *e = ctx;
	struct buf b = BUF_INIT;
	long long start = clock_mono_ms();
	int rc;

	if (!rec) {
		record_error(&b, EX_DATAERR, lineno, why);
		if (!b.oom)
			e->fn(b.p, b.len, e->ctx);
		buf_free(&b);
		e->worst = e->worst ? e->worst : EX_DATAERR;
		return 0;
	}
	buf_add(&b, rec, len);
	if (b.oom)
		return err_set(EX_SOFTWARE, "out of memory");
	e->o.args = b.p;
	rc = skill_run(e->db, e->k, &e->o, e->fn, e->ctx);
	if (e->done)
		e->done(e->k, rc, clock_mono_ms() - start, e->dctx);
	e->worst = e->worst ? e->worst : rc;
	buf_free(&b);
	return 0;
}

int
skill_run_each(sqlite3 *db, const struct skill *k, const struct skillrun_opts *o, FILE *in,
    skillrun_fn *fn, void *ctx, skillrun_done_fn *done, void *dctx)
{
	struct each e = { .db = db, .k = k, .o = *o, .fn = fn, .ctx = ctx, .done = done,
	    .dctx = dctx };
	int rc;

	if ((rc = record_each(in, RECORD_MAXLINE, each_line, &e)))
		return rc;
	return e.worst;
}
