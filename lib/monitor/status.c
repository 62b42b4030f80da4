/* status: each section appends to the text and to the JSON object together, so the
 * two never disagree; another program's tables are used only once sqlite_schema
 * shows them, and their columns only once table_info does. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/clock.h"
#include "base/daemon.h"
#include "base/err.h"
#include "base/path.h"
#include "monitor/procfs.h"
#include "monitor/status.h"
#include "skill/eligible.h"
#include "skill/index.h"
#include "skill/listcopy.h"
#include "store/config.h"
#include "store/sessions.h"
#include "store/store.h"
#include "store/telemetry.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define EVOLVE_EVERY_MS (20 * 60000LL)     /* the example crontab's claw-evolve cycle */

struct out {
	struct buf *t, *j;
	long long now;
};

/* From the schema SQLite has parsed already: no statement to prepare. */
int
status_has_table(sqlite3 *db, const char *name)
{
	return sqlite3_table_column_metadata(db, "main", name, NULL, NULL, NULL, NULL, NULL,
	    NULL) == SQLITE_OK;
}

int
status_has_column(sqlite3 *db, const char *table, const char *col)
{
	return sqlite3_table_column_metadata(db, "main", table, col, NULL, NULL, NULL, NULL,
	    NULL) == SQLITE_OK;
}

long long
status_rss_kb(long pid)
{
	struct pidstat s;

	if (procfs_pid(pid, &s))
		return -1;
	return (long long)procfs_rss_kb(&s);
}

/* "3 min ago", "2 h ago", "5 d ago" for a person. */
static void
ago(struct buf *b, long long ms)
{
	long long s = ms / 1000;

	if (s < 0)
		s = 0;
	if (s < 120)
		buf_printf(b, "%lld s", s);
	else if (s < 7200)
		buf_printf(b, "%lld min", s / 60);
	else if (s < 172800)
		buf_printf(b, "%lld h", s / 3600);
	else
		buf_printf(b, "%lld d", s / 86400);
}

static void
when(struct buf *b, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	localtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M", &tm);
	buf_adds(b, s);
}

static void
size_h(struct buf *b, long long n)
{
	if (n < 10240)
		buf_printf(b, "%lld B", n);
	else if (n < 10485760)
		buf_printf(b, "%.1f kB", (double)n / 1024);
	else
		buf_printf(b, "%.1f MB", (double)n / 1048576);
}

static void
jstr(struct buf *j, const char *s)
{
	if (s)
		buf_add_json_str(j, s, strlen(s));
	else
		buf_adds(j, "null");
}

static long long
file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void
s_store(struct out *o, sqlite3 *db, const char *path)
{
	char wal[PATH_MAX + 8];
	long long v = store_int(db, "PRAGMA user_version", "store");
	long long bytes = file_size(path), wb;

	snprintf(wal, sizeof wal, "%s-wal", path);
	wb = file_size(wal);
	buf_adds(o->t, "store     ");
	size_h(o->t, bytes);
	buf_adds(o->t, ", WAL ");
	size_h(o->t, wb);
	buf_printf(o->t, ", schema %lld%s\n", v, v == store_version() ? "" : " (not this claw's)");
	buf_adds(o->j, ",\"store\":{\"path\":");
	jstr(o->j, path);
	buf_printf(o->j, ",\"bytes\":%lld,\"wal_bytes\":%lld,\"schema\":%lld,\"schema_latest\":%d}",
	    bytes, wb, v, store_version());
}

/* Whether the configured provider has a key: where it is, never what. */
const char *
status_key_source(sqlite3 *db, const char *prov, int *local)
{
	static const struct { const char *name, *env; } envs[] = {
		{ "openai", "OPENAI_API_KEY" }, { "anthropic", "ANTHROPIC_API_KEY" },
		{ "deepseek", "DEEPSEEK_API_KEY" },
	};
	char key[160], env[200], *url = NULL;
	sqlite3_stmt *st;
	size_t i;
	int stored = 0;

	snprintf(key, sizeof key, "providers.%s.base_url", prov);
	*local = config_get(db, key, &url, NULL) == 0 && (strstr(url, "://127.")
	    || strstr(url, "://localhost") || strstr(url, "://[::1]"));
	free(url);
	snprintf(key, sizeof key, "providers.%s.api_key", prov);
	config_env_name(key, env, sizeof env);
	if (getenv(env) && *getenv(env))
		return "env";
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM config WHERE key = ?", -1, &st, NULL)
	    == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		stored = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (stored)
		return "store";
	for (i = 0; i < sizeof envs / sizeof envs[0]; i++)
		if (!strcmp(prov, envs[i].name) && getenv(envs[i].env) && *getenv(envs[i].env))
			return "env";
	if (getenv("CLAW_API_KEY") && *getenv("CLAW_API_KEY"))
		return "env";
	return NULL;
}

static void
s_model(struct out *o, sqlite3 *db)
{
	char *model = NULL, prov[64];
	enum config_source src = CONFIG_DEFAULT;
	const char *ks, *slash;
	int local = 0;

	if (config_get(db, "model", &model, &src) || !model)
		model = strdup("");
	slash = model ? strchr(model, '/') : NULL;
	snprintf(prov, sizeof prov, "%.*s", slash ? (int)(slash - model) : 0, model ? model : "");
	ks = *prov ? status_key_source(db, prov, &local) : NULL;
	buf_printf(o->t, "model     %s (%s), provider %s: key %s\n", model ? model : "",
	    config_source_name(src), *prov ? prov : "none",
	    ks ? (strcmp(ks, "env") ? "set (sealed in the store)" : "set (environment)")
	    : local ? "not needed (local)" : "not set");
	buf_adds(o->j, ",\"model\":{\"name\":");
	jstr(o->j, model);
	buf_adds(o->j, ",\"source\":");
	jstr(o->j, config_source_name(src));
	buf_adds(o->j, ",\"provider\":");
	jstr(o->j, prov);
	buf_printf(o->j, ",\"key\":%s%s%s,\"local\":%s}", ks ? "\"" : "", ks ? ks : "null",
	    ks ? "\"" : "", local ? "true" : "false");
	free(model);
}

static void
s_sessions(struct out *o, sqlite3 *db)
{
	sqlite3_stmt *st;
	long long n = sessions_count(db), last = 0;
	char name[128] = "";

	if (store_prepare(db, &st, "SELECT name, updated FROM sessions ORDER BY updated DESC "
	    "LIMIT 1") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
			last = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	buf_printf(o->t, "sessions  %lld", n < 0 ? 0 : n);
	if (last) {
		buf_adds(o->t, ", last turn ");
		ago(o->t, o->now - last);
		buf_printf(o->t, " ago in \"%s\"", name);
	}
	buf_addc(o->t, '\n');
	buf_printf(o->j, ",\"sessions\":{\"count\":%lld,\"last_turn\":", n < 0 ? 0 : n);
	if (last) {
		buf_printf(o->j, "%lld,\"last_session\":", last);
		jstr(o->j, name);
	} else
		buf_adds(o->j, "null,\"last_session\":null");
	buf_addc(o->j, '}');
}

/* Tokens of the turns since day and since week (ms), by the hour, in one scan:
 * token_hours, which a trigger on events keeps (local midnight is taken as the hour
 * it falls in).  cached: of in, what the provider read from its prompt cache (a
 * store from before it: 0). */
struct tokens {
	long long in, out, turns, cached;
};

static void
tokens(sqlite3 *db, long long day, long long week, struct tokens *d, struct tokens *w)
{
	sqlite3_stmt *st;
	long long from = (week < day ? week : day) / HOUR_MS;

	memset(d, 0, sizeof *d);
	memset(w, 0, sizeof *w);
	/* The rows summed here, not by total(): the week is ~170 rows, and eight
	 * aggregates over them cost twice what reading them does. */
	if (store_prepare(db, &st, status_has_column(db, "token_hours", "tokens_cached")
	    ? "SELECT hour, turns, tokens_in, tokens_out, tokens_cached FROM token_hours"
	    " WHERE hour >= ?"
	    : "SELECT hour, turns, tokens_in, tokens_out, 0 FROM token_hours WHERE hour >= ?"))
		return;
	sqlite3_bind_int64(st, 1, from);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tokens r = { sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 4) };
		long long hour = sqlite3_column_int64(st, 0);
		if (hour >= week / HOUR_MS)
			w->in += r.in, w->out += r.out, w->turns += r.turns, w->cached += r.cached;
		if (hour >= day / HOUR_MS)
			d->in += r.in, d->out += r.out, d->turns += r.turns, d->cached += r.cached;
	}
	sqlite3_finalize(st);
}

/* The cached share of in, in whole per cent. */
static long long
cached_pct(const struct tokens *t)
{
	return t->in > 0 ? t->cached * 100 / t->in : 0;
}

static void
s_tokens(struct out *o, sqlite3 *db)
{
	struct tokens d, w;
	time_t now = (time_t)(o->now / 1000);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tokens(db, (long long)mktime(&tm) * 1000, o->now - 7 * DAY_MS, &d, &w);
	buf_printf(o->t, "tokens    today %lld in, %lld out (%lld turns); 7 days %lld in, "
	    "%lld out (%lld turns)\n", d.in, d.out, d.turns, w.in, w.out, w.turns);
	buf_printf(o->t, "cached    today %lld of %lld in (%lld%%); 7 days %lld of %lld in "
	    "(%lld%%)\n", d.cached, d.in, cached_pct(&d), w.cached, w.in, cached_pct(&w));
	buf_printf(o->j, ",\"tokens\":{\"today\":{\"in\":%lld,\"out\":%lld,\"turns\":%lld,"
	    "\"cached\":%lld},\"week\":{\"in\":%lld,\"out\":%lld,\"turns\":%lld,"
	    "\"cached\":%lld}}", d.in, d.out, d.turns, d.cached, w.in, w.out, w.turns, w.cached);
}

/* Skills from the list's copy when it is current (no index read), else from the
 * store, which writes the copy for the next. */
static void
s_skills(struct out *o, sqlite3 *db)
{
	struct skills all = { 0 };
	struct buf why = BUF_INIT, jt = BUF_INIT, tt = BUF_INIT;
	unsigned char *ev = NULL;
	size_t i, ok = 0, no = 0;
	int token, copy;

	if ((copy = listcopy_read(&token, &all, &ev) == 0))
		free(ev);
	else if (listcopy_index(db, &all, &ev) == 0)
		free(ev);
	else {
		buf_printf(o->t, "skills    unreadable: %s\n", err_msg());
		buf_adds(o->j, ",\"skills\":{\"error\":");
		jstr(o->j, err_msg());
		buf_addc(o->j, '}');
		return;
	}
	for (i = 0; i < all.n; i++) {
		buf_reset(&why);
		if (!copy || skill_missing_copy(token, &all.v[i], &why) < 0) {
			buf_reset(&why);
			skill_missing(db, &all.v[i], &why);
		}
		if (!why.len) {
			ok++;
			continue;
		}
		buf_printf(&tt, "%s%s (%s)", no ? ", " : "", all.v[i].name, why.p);
		buf_adds(&jt, no ? ",{\"name\":" : "{\"name\":");
		jstr(&jt, all.v[i].name);
		buf_adds(&jt, ",\"why\":");
		jstr(&jt, why.p);
		buf_addc(&jt, '}');
		no++;
	}
	buf_printf(o->t, "skills    %zu eligible, %zu not%s%s\n", ok, no, no ? ": " : "",
	    no ? tt.p : "");
	buf_printf(o->j, ",\"skills\":{\"eligible\":%zu,\"not_eligible\":[%s]}", ok,
	    jt.p ? jt.p : "");
	buf_free(&why);
	buf_free(&jt);
	buf_free(&tt);
	skills_free(&all);
}

/* The program's requests and failed ones since since.  Each "request" row is one,
 * counted in events_kind; the gateway counts /healthz (and refusals) a minute at a
 * time in one "requests" row, read whole; failures come from events_failed. */
static void
hour_counts(sqlite3 *db, const char *program, long long since, long long *req, long long *errs)
{
	sqlite3_stmt *st;

	*req = *errs = 0;
	if (store_prepare(db, &st, "SELECT (SELECT count(*) FROM events WHERE program = ?1"
	    " AND kind = 'request' AND ts >= ?2) + (SELECT total(coalesce(json_extract(detail,"
	    " '$.count'), json_extract(detail, '$.refused'), 1)) FROM events WHERE program = ?1"
	    " AND kind = 'requests' AND ts >= ?2), (SELECT count(*) FROM events"
	    " INDEXED BY events_failed WHERE ts >= ?2"
	    " AND ok = 0 AND program = ?1 AND kind IN ('request', 'requests'))"))
		return;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*req = (long long)sqlite3_column_double(st, 0);
		*errs = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void
s_daemon(struct out *o, sqlite3 *db, const char *name, const char *program)
{
	char info[256] = "";
	pid_t pid;
	struct pidstat ps;
	double up;
	struct buf b = BUF_INIT;
	long long rss, start, req, errs;

	buf_printf(o->t, "%-9s ", name);
	buf_printf(o->j, ",\"%s\":", name);
	if (daemon_running_rss(name, &pid, info, sizeof info, &start)
	    || procfs_pid(pid, &ps)) {
		buf_adds(o->t, "not running\n");
		buf_adds(o->j, "{\"running\":false}");
		return;
	}
	up = procfs_read("uptime", &b) == 0 && procfs_uptime_parse(b.p, b.len, &up) == 0 ?
	    up - (double)ps.starttime / (double)procfs_hz() : -1;
	buf_free(&b);
	rss = status_rss_kb(pid);
	hour_counts(db, program, o->now - HOUR_MS, &req, &errs);
	buf_printf(o->t, "pid %ld on %s, up ", (long)pid, *info ? info : "?");
	ago(o->t, (long long)(up * 1000));
	buf_printf(o->t, ", RSS %.1f MB", (double)rss / 1024);
	if (start >= 0 && rss >= 0)       /* the pidfile says what it had at start */
		buf_printf(o->t, " (%+.1f MB since start)", (double)(rss - start) / 1024);
	buf_printf(o->t, ", last hour %lld requests, %lld errors\n", req, errs);
	buf_printf(o->j, "{\"running\":true,\"pid\":%ld,\"address\":", (long)pid);
	jstr(o->j, info);
	buf_printf(o->j, ",\"uptime_s\":%.0f,\"rss_kb\":%lld,\"rss_growth_kb\":", up, rss);
	if (start >= 0 && rss >= 0)
		buf_printf(o->j, "%lld", rss - start);
	else
		buf_adds(o->j, "null");
	buf_printf(o->j, ",\"requests_hour\":%lld,\"errors_hour\":%lld}", req, errs);
}

/* claw-node's peers: name, and health when the table says it. */
static void
s_peers(struct out *o, sqlite3 *db)
{
	sqlite3_stmt *st;
	int health, seen, n = 0, bad = 0;
	char sql[256];

	if (!status_has_table(db, "peers") || !status_has_column(db, "peers", "name")) {
		buf_adds(o->t, "peers     not set up (claw-node)\n");
		buf_adds(o->j, ",\"peers\":null");
		return;
	}
	health = status_has_column(db, "peers", "healthy");
	seen = status_has_column(db, "peers", "last_seen");
	snprintf(sql, sizeof sql, "SELECT name, %s, %s FROM peers ORDER BY name",
	    health ? "healthy" : "NULL", seen ? "last_seen" : "NULL");
	buf_adds(o->j, ",\"peers\":[");
	buf_adds(o->t, "peers     ");
	if (store_prepare(db, &st, sql) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			int h = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1
			    : sqlite3_column_int(st, 1);
			buf_printf(o->t, "%s%s%s", n ? ", " : "", name ? name : "",
			    h == 0 ? " (down)" : h == 1 ? " (healthy)" : "");
			buf_adds(o->j, n ? ",{\"name\":" : "{\"name\":");
			jstr(o->j, name);
			buf_printf(o->j, ",\"healthy\":%s", h < 0 ? "null" : h ? "true" : "false");
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				buf_printf(o->j, ",\"last_seen\":%lld",
				    sqlite3_column_int64(st, 2));
			buf_addc(o->j, '}');
			bad += h == 0;
			n++;
		}
		sqlite3_finalize(st);
	}
	if (!n)
		buf_adds(o->t, "none");
	else if (bad)
		buf_printf(o->t, "; %d down", bad);
	buf_addc(o->t, '\n');
	buf_addc(o->j, ']');
}

/* claw-evolve's last cycle (the newest row: ids grow as cycles start) and when
 * cron starts the next. */
static void
s_evolution(struct out *o, sqlite3 *db)
{
	sqlite3_stmt *st;
	long long started = 0, next;
	char outcome[64] = "";

	if (!status_has_table(db, "cycles") || !status_has_column(db, "cycles", "started")) {
		buf_adds(o->t, "evolution not set up (claw-evolve)\n");
		buf_adds(o->j, ",\"evolution\":null");
		return;
	}
	if (store_prepare(db, &st, status_has_column(db, "cycles", "outcome") ?
	    "SELECT started, outcome FROM cycles ORDER BY id DESC LIMIT 1" :
	    "SELECT started, NULL FROM cycles ORDER BY id DESC LIMIT 1") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			started = sqlite3_column_int64(st, 0);
			if (sqlite3_column_type(st, 1) != SQLITE_NULL)
				snprintf(outcome, sizeof outcome, "%s", sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
	}
	if (!started) {
		buf_adds(o->t, "evolution no cycle yet\n");
		buf_adds(o->j, ",\"evolution\":{\"last\":null}");
		return;
	}
	next = (started / EVOLVE_EVERY_MS + 1) * EVOLVE_EVERY_MS;
	while (next < o->now)
		next += EVOLVE_EVERY_MS;
	buf_adds(o->t, "evolution last cycle ");
	ago(o->t, o->now - started);
	buf_printf(o->t, " ago%s%s, next due ", *outcome ? ": " : "", outcome);
	when(o->t, next);
	buf_adds(o->t, " (cron, every 20 min)\n");
	buf_printf(o->j, ",\"evolution\":{\"last\":%lld,\"outcome\":", started);
	jstr(o->j, *outcome ? outcome : NULL);
	buf_printf(o->j, ",\"next_due\":%lld}", next);
}

static void
s_errors(struct out *o, sqlite3 *db)
{
	sqlite3_stmt *st;
	long long total = 0;
	int n = 0;

	buf_adds(o->j, ",\"errors\":{\"by\":[");
	/* events_failed holds these alone, the table never read (without INDEXED BY
	 * the grouping tempts the planner into a whole scan of events_kind). */
	if (store_prepare(db, &st, "SELECT program, kind, count(*) AS c FROM events"
	    " INDEXED BY events_failed WHERE ts >= ? AND ok = 0"
	    " GROUP BY program, kind ORDER BY c DESC") == 0) {
		struct buf t = BUF_INIT;
		sqlite3_bind_int64(st, 1, o->now - HOUR_MS);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(st, 0);
			const char *k = (const char *)sqlite3_column_text(st, 1);
			long long c = sqlite3_column_int64(st, 2);
			total += c;
			if (n < 5)
				buf_printf(&t, "%s%s %s %lld", n ? ", " : "", p, k, c);
			buf_adds(o->j, n ? ",{\"program\":" : "{\"program\":");
			jstr(o->j, p);
			buf_adds(o->j, ",\"kind\":");
			jstr(o->j, k);
			buf_printf(o->j, ",\"count\":%lld}", c);
			n++;
		}
		sqlite3_finalize(st);
		buf_printf(o->t, "errors    %lld in the last hour%s%s\n", total, n ? ": " : "",
		    n ? t.p : "");
		buf_free(&t);
	}
	buf_printf(o->j, "],\"last_hour\":%lld}", total);
}

int
status_report(struct buf *text, struct buf *json)
{
	struct out o = { text, json, clock_wall_ms() };
	char path[PATH_MAX];
	const char *home = path_home();
	sqlite3 *db = NULL;
	int rc;

	if (!home)
		return err_code();
	buf_printf(text, "claw %s  home %s\n", CLAW_VERSION, home);
	buf_printf(json, "{\"type\":\"status\",\"version\":\"%s\",\"home\":", CLAW_VERSION);
	jstr(json, home);
	if ((rc = path_in_home(path, sizeof path, "claw.db")))
		return rc;
	if (access(path, F_OK) != 0) {
		buf_adds(text, "store     none yet: run claw config set model=PROVIDER/MODEL\n");
		buf_adds(json, ",\"store\":null}\n");
		return 0;
	}
	if ((rc = store_open(&db)))
		return rc;
	/* Each run of reads in one read transaction, not one per statement (its locks
	 * and WAL look-ups once); the skill index may write, so it stands between. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	s_store(&o, db, path);
	s_model(&o, db);
	s_sessions(&o, db);
	s_tokens(&o, db);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	s_skills(&o, db);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	s_daemon(&o, db, "gateway", "claw-gateway");
	s_daemon(&o, db, "node", "claw-node");
	s_peers(&o, db);
	s_evolution(&o, db);
	s_errors(&o, db);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	buf_adds(json, "}\n");
	store_close(db);
	return text->oom || json->oom ? err_set(EX_SOFTWARE, "status: out of memory") : 0;
}

int
status_main(int argc, char **argv, const char *usage)
{
	struct buf t = BUF_INIT, j = BUF_INIT, *b;
	int i, json = 0, rc;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return fputs(usage, stdout), out_finish();
		else {
			diag("status: unknown argument '%s'", argv[i]);
			return cli_usage_error(usage);
		}
	b = json ? &j : &t;
	if ((rc = status_report(&t, &j)))
		rc = diag_err();
	else if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len && errno != EPIPE)
		rc = (diag("stdout:"), EX_IOERR);
	else
		rc = out_finish();
	buf_free(&t);
	buf_free(&j);
	return rc;
}
