/* doctor: checks[] in the order a person fixes things — files and modes before the
 * store is opened (opening it tightens $CLAW_HOME quietly), then the store, the
 * config and secrets, the kernel's sandbox layers, skills, cron, gateway, provider,
 * and last the optional local media engines. */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "base/proc.h"
#include "monitor/doctor.h"
#include "monitor/status.h"
#include "sandbox/sandbox.h"
#include "skill/index.h"
#include "skill/test.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

#define WAL_BIG (4LL << 20)           /* a log SQLite's auto-checkpoint should have cut */

struct doc {
	int fix, errors;
	doctor_fn *fn;
	void *ctx;
	sqlite3 *db;                  /* NULL when there is no store or it is unreadable */
	char home[PATH_MAX];
};

static void __attribute__((format(printf, 5, 6)))
say(struct doc *d, const char *check, const char *sev, int ok, const char *fmt, ...)
{
	struct finding f;
	va_list ap;

	memset(&f, 0, sizeof f);
	f.check = check;
	f.severity = sev;
	f.ok = ok;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof f.message, fmt, ap);
	va_end(ap);
	d->fn(&f, d->ctx);
	d->errors += !ok && !strcmp(sev, "error");
}

/* A finding that has a remedy: fixed (and then ok) when --fix could apply it. */
static void
say_fix(struct doc *d, const char *check, const char *sev, const char *msg, const char *fix,
    int (*apply)(struct doc *, const char *), const char *arg, const char *did)
{
	struct finding f;

	memset(&f, 0, sizeof f);
	f.check = check;
	f.severity = sev;
	snprintf(f.message, sizeof f.message, "%s", msg);
	snprintf(f.fix, sizeof f.fix, "%s", fix);
	if (d->fix && apply) {
		if (apply(d, arg) == 0) {
			f.ok = 1;
			snprintf(f.fixed, sizeof f.fixed, "%s", did);
		} else
			snprintf(f.message, sizeof f.message, "%s (fix failed: %s)", msg,
			    err_msg());
	}
	d->fn(&f, d->ctx);
	d->errors += !f.ok && !strcmp(sev, "error");
}

static int
fix_chmod700(struct doc *d, const char *path)
{
	return chmod(path, 0700) ? err_set(EX_NOPERM, "chmod %s:", path) : 0;
}

static int
fix_chmod600(struct doc *d, const char *path)
{
	return chmod(path, 0600) ? err_set(EX_NOPERM, "chmod %s:", path) : 0;
}

static int
fix_keydir(struct doc *d, const char *arg)
{
	return path_mkhome("keys");
}

static int
fix_checkpoint(struct doc *d, const char *arg)
{
	return d->db ? store_exec(d->db, "PRAGMA wal_checkpoint(TRUNCATE)") : -1;
}

static void
c_programs(struct doc *d)
{
	static const struct { const char *prog, *sev, *why; } progs[] = {
		{ "claw-chat", "error", "talks to the model" },
		{ "claw-skill", "error", "runs skills" },
		{ "claw-sandbox", "error", "isolates every skill run" },
		{ "claw-gateway", "warning", "serves the HTTP API" },
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof progs / sizeof progs[0]; i++) {
		if (path_find_prog(progs[i].prog, path, sizeof path) == 0)
			say(d, "deps.programs", progs[i].sev, 1, "%s: %s", progs[i].prog, path);
		else
			say(d, "deps.programs", progs[i].sev, 0,
			    "%s not found (it %s): run make install", progs[i].prog, progs[i].why);
	}
	say(d, "deps.sqlite", "info", 1, "SQLite %s", sqlite3_libversion());
}

/* A directory that must be ours and 0700; a file that must be ours and 0600. */
static void
c_mode(struct doc *d, const char *check, const char *path, int dir)
{
	struct stat st;
	char msg[PATH_MAX + 64], fix[PATH_MAX + 32], did[PATH_MAX + 32];

	if (lstat(path, &st) != 0)
		return;
	if (st.st_uid != getuid()) {
		say(d, check, "error", 0, "%s belongs to uid %ld, not to you", path,
		    (long)st.st_uid);
		return;
	}
	if (!(st.st_mode & 077)) {
		say(d, check, "error", 1, "%s is %o", path, (unsigned)(st.st_mode & 0777));
		return;
	}
	snprintf(msg, sizeof msg, "%s is %o: group and others may %s it", path,
	    (unsigned)(st.st_mode & 0777), dir ? "enter" : "read");
	snprintf(fix, sizeof fix, "chmod %s %s", dir ? "700" : "600", path);
	snprintf(did, sizeof did, "%s is now %s", path, dir ? "0700" : "0600");
	say_fix(d, check, "error", msg, fix, dir ? fix_chmod700 : fix_chmod600, path, did);
}

static void
c_files(struct doc *d)
{
	static const char *const store_files[] = { "claw.db", "claw.db-wal", "claw.db-shm" };
	char path[PATH_MAX + 300];
	struct dirent *e;
	size_t i;
	DIR *k;

	if (access(d->home, F_OK) != 0) {
		say(d, "home.mode", "info", 1, "%s does not exist yet (the first claw command "
		    "makes it)", d->home);
		return;
	}
	c_mode(d, "home.mode", d->home, 1);
	snprintf(path, sizeof path, "%s/keys", d->home);
	if (access(path, F_OK) != 0)
		say_fix(d, "keys.dir", "warning", "no key directory ($CLAW_HOME/keys)",
		    "mkdir -m 700 $CLAW_HOME/keys", fix_keydir, NULL, "made $CLAW_HOME/keys, 0700");
	else {
		c_mode(d, "keys.dir", path, 1);
		if ((k = opendir(path))) {
			while ((e = readdir(k))) {
				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "%s/keys/%s", d->home, e->d_name);
				c_mode(d, "keys.file", path, 0);
			}
			closedir(k);
		}
	}
	for (i = 0; i < sizeof store_files / sizeof store_files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", d->home, store_files[i]);
		c_mode(d, "store.mode", path, 0);
	}
}

static void
c_store(struct doc *d)
{
	char path[PATH_MAX + 8], wal[PATH_MAX + 16], msg[128];
	sqlite3_stmt *st;
	struct stat sb;
	long long v;

	snprintf(path, sizeof path, "%s/claw.db", d->home);
	if (access(path, F_OK) != 0) {
		say(d, "store.open", "info", 1, "no store yet: claw config set makes it");
		return;
	}
	/* Not store_open: it would make $CLAW_HOME private quietly, which is --fix's job. */
	if (store_open_path(&d->db, path)) {
		say(d, "store.open", "error", 0, "%s", err_msg());
		d->db = NULL;
		return;
	}
	say(d, "store.open", "error", 1, "%s opens", path);
	if (store_prepare(d->db, &st, "PRAGMA quick_check") == 0) {
		int r = sqlite3_step(st);
		const char *t = r == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (t && !strcmp(t, "ok"))
			say(d, "store.quick_check", "error", 1, "quick_check: ok");
		else
			say(d, "store.quick_check", "error", 0, "quick_check: %s: restore claw.db "
			    "from a backup", t ? t : sqlite3_errmsg(d->db));
		sqlite3_finalize(st);
	}
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > WAL_BIG) {
		snprintf(msg, sizeof msg, "the write-ahead log is %lld MB: a reader kept "
		    "checkpoints from finishing", (long long)sb.st_size >> 20);
		say_fix(d, "store.wal", "warning", msg, "claw doctor --fix (a checkpoint)",
		    fix_checkpoint, NULL, "checkpointed: the log is empty again");
	} else
		say(d, "store.wal", "warning", 1, "write-ahead log %lld kB",
		    stat(wal, &sb) == 0 ? (long long)sb.st_size >> 10 : 0LL);
	v = store_int(d->db, "PRAGMA user_version", "store");
	say(d, "store.schema", "error", v == store_version(), "schema version %lld (this claw: "
	    "%d)", v, store_version());
}

struct cfg { struct doc *d; int bad; };

static int
cfg_one(const char *key, const char *value, enum config_source src, int secret, void *ctx)
{
	struct cfg *c = ctx;

	if (secret || src == CONFIG_DEFAULT || !value)
		return 0;
	if (config_check(key, value)) {
		say(c->d, "config.values", "error", 0, "%s (%s): %s", key, config_source_name(src),
		    err_msg());
		c->bad++;
	}
	return 0;
}

static void
c_config(struct doc *d)
{
	struct cfg c = { d, 0 };
	sqlite3_stmt *st;
	int n = 0, bad = 0;

	if (!d->db)
		return;
	config_list(d->db, cfg_one, &c);
	if (!c.bad)
		say(d, "config.values", "error", 1, "every key set is known and valid");
	if (store_prepare(d->db, &st, "SELECT key, value FROM config WHERE secret = 1"))
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *plain = NULL;
		n++;
		if (secret_open((const char *)sqlite3_column_text(st, 1), &plain)) {
			say(d, "secrets.unseal", "error", 0, "%s cannot be unsealed (%s): set it "
			    "again with claw config set", sqlite3_column_text(st, 0), err_msg());
			bad++;
		}
		secret_free(plain);
	}
	sqlite3_finalize(st);
	if (!bad)
		say(d, "secrets.unseal", "error", 1, "%d sealed secret%s open with the store key",
		    n, n == 1 ? "" : "s");
}

static void
c_sandbox(struct doc *d)
{
	struct sandbox_layer l[16];
	size_t i, n = sandbox_check(l, 16);
	char check[64];

	for (i = 0; i < n; i++) {
		snprintf(check, sizeof check, "sandbox.%s", l[i].name);
		say(d, check, "warning", l[i].active, "%s%s", l[i].active ? "" : "unavailable: ",
		    l[i].detail);
	}
}

struct tally { int n; };

static void
case_seen(const struct skill_case *c, void *ctx)
{
}

static void
c_skills(struct doc *d)
{
	struct skills all = { 0 };
	char mine[PATH_MAX + 16], tests[PATH_MAX + 16];
	size_t i;
	int pass, fail, ran = 0;

	if (!d->db)
		return;
	if (skill_index(d->db, &all)) {
		say(d, "skills.tests", "warning", 0, "the skills cannot be listed: %s", err_msg());
		return;
	}
	snprintf(mine, sizeof mine, "%s/skills/", d->home);
	for (i = 0; i < all.n; i++) {
		struct skill *k = &all.v[i];
		snprintf(tests, sizeof tests, "%s/tests", k->dir);
		if (!strncmp(k->dir, mine, strlen(mine)) || access(tests, R_OK) || k->error)
			continue;         /* installed by the user, or without tests */
		pass = fail = 0;
		if (skill_test_dir(d->db, k, NULL, case_seen, NULL, &pass, &fail)) {
			say(d, "skills.tests", "warning", 0, "%s: %s", k->name, err_msg());
			continue;
		}
		ran++;
		if (fail)
			say(d, "skills.tests", "warning", 0,
			    "%s: %d of %d cases failed (claw-skill test %s says which)", k->name,
			    fail, pass + fail, k->name);
		else
			say(d, "skills.tests", "warning", 1, "%s: %d cases pass", k->name, pass);
	}
	if (!ran)
		say(d, "skills.tests", "info", 1, "no built-in skill with tests found");
	skills_free(&all);
}

static void
c_cron(struct doc *d)
{
	static const char *const jobs[] = { "claw-evolve", "claw-monitor prune", "heartbeat" };
	char *argv[] = { "crontab", "-l", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	size_t i;
	int rc = proc_run_err(argv, NULL, NULL, 0, &out, 1 << 20, &err, 4096, NULL, 10000);

	if (rc == PROC_NOSTART)
		say(d, "cron.entries", "info", 1, "no crontab program: periodic jobs need cron "
		    "or systemd timers (pipelines/)");
	else if (rc != 0 || !strstr(out.p ? out.p : "", "claw"))
		say(d, "cron.entries", "warning", 0, "no claw job in your crontab: crontab -l | "
		    "cat - $PREFIX/share/claw/pipelines/crontab | crontab - installs the example");
	else
		for (i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
			say(d, "cron.entries", "info", strstr(out.p, jobs[i]) != NULL, "%s: %s",
			    jobs[i], strstr(out.p, jobs[i]) ? "installed" : "not in the crontab");
	buf_free(&out);
	buf_free(&err);
}

static void
c_gateway(struct doc *d)
{
	char *v = NULL;
	int set = (getenv("JWT_SECRET") && *getenv("JWT_SECRET"))
	    || (d->db && config_get(d->db, "gateway.jwt_secret", &v, NULL) == 0 && v && *v);

	free(v);
	say(d, "gateway.secret", "warning", set, set ? "gateway.jwt_secret is set" :
	    "gateway.jwt_secret is not set: claw config set gateway.jwt_secret=… (or "
	    "JWT_SECRET) before claw gateway start");
}

static void
c_provider(struct doc *d)
{
	char *model = NULL, prov[64];
	const char *slash, *ks;
	int local = 0;

	if (!d->db || config_get(d->db, "model", &model, NULL) || !model) {
		free(model);
		return;
	}
	slash = strchr(model, '/');
	snprintf(prov, sizeof prov, "%.*s", slash ? (int)(slash - model) : 0, model);
	ks = status_key_source(d->db, prov, &local);
	if (ks || local)
		say(d, "provider.configured", "error", 1, "%s: %s", model, ks ? "API key set" :
		    "a local server, no key needed");
	else
		say(d, "provider.configured", "error", 0, "%s: no API key: claw config set "
		    "providers.%s.api_key=KEY (or its environment variable)", model, prov);
	free(model);
}

/* The local engines of voice and images (claw-chat's stt/tts=local, the ocr, screenshot
 * and audio-info skills): optional, so warnings, each with the Debian package. */
static void
c_media(struct doc *d)
{
	static const struct { const char *prog, *pkg, *why; } engines[] = {
		{ "tesseract", "tesseract-ocr", "ocr: text in images" },
		{ "pocketsphinx_continuous", "pocketsphinx", "stt=local: speech to text" },
		{ "flite", "flite", "tts=local: text to speech" },
		{ "espeak-ng", "espeak-ng", "tts=local when flite is missing" },
		{ "sox", "sox libsox-fmt-all", "audio decoding and audio-info" },
		{ "ffmpeg", "ffmpeg", "Opus, WebM and M4A audio: voice notes" },
	};
	/* where Debian's pocketsphinx-en-us puts it: the path lib/media/local.c reads */
	static const char model[] = "/usr/share/pocketsphinx/model/en-us";
	char path[PATH_MAX], msg[256], fix[128];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof engines / sizeof engines[0]; i++) {
		if (path_find_prog(engines[i].prog, path, sizeof path) == 0) {
			say(d, "media.engines", "warning", 1, "%s: %s", engines[i].prog, path);
			continue;
		}
		snprintf(msg, sizeof msg, "%s not found (%s)", engines[i].prog, engines[i].why);
		snprintf(fix, sizeof fix, "apt-get install %s", engines[i].pkg);
		say_fix(d, "media.engines", "warning", msg, fix, NULL, NULL, NULL);
	}
	if (stat(model, &st) == 0 && S_ISDIR(st.st_mode))
		say(d, "media.engines", "warning", 1, "pocketsphinx en-us model: %s", model);
	else
		say_fix(d, "media.engines", "warning", "no pocketsphinx en-us model (stt=local)",
		    "apt-get install pocketsphinx-en-us", NULL, NULL, NULL);
}

int
doctor_run(int fix, doctor_fn *fn, void *ctx, int *errors)
{
	struct doc d = { .fix = fix, .fn = fn, .ctx = ctx };
	const char *home = path_home();

	if (!home)
		return err_code();
	snprintf(d.home, sizeof d.home, "%s", home);
	c_programs(&d);
	c_files(&d);
	c_store(&d);
	c_config(&d);
	c_sandbox(&d);
	c_skills(&d);
	c_cron(&d);
	c_gateway(&d);
	c_provider(&d);
	c_media(&d);
	store_close(d.db);
	*errors = d.errors;
	return 0;
}
