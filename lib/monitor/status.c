/* status: what the store holds is gathered first, in one read transaction, into the
 * facts; the sections then show them with the pidfiles, /proc and the clock, each
 * appending to the text and to the JSON object together, so the two never disagree.
 * Another program's tables are used only once sqlite_schema shows them, and their
 * columns only once table_info does.
 *
 * The facts are kept beside the store in claw.db-status, with the state of claw.db
 * and its WAL they were read in.  While both files are as they were, and no event a
 * last-hour figure counts has left the hour, the next status takes the facts from
 * there and asks config's copy and the skill list's (store/copy.h): no store
 * connection, when SQLite's open and schema parse were half of its run. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
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
#include "store/copy.h"
#include "store/sessions.h"
#include "store/store.h"
#include "store/telemetry.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define EVOLVE_EVERY_MS (20 * 60000LL)     /* the example crontab's claw-evolve cycle */
#define COPY_NAME "claw.db-status"
#define COPY_MAGIC "claw-status 1"
#define COPY_MAX (1 << 20)
#define STATE_MAX 256

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

/* --- what status reads from the store ---
 *
 * Gathered in one read transaction.  The token sums are kept by the hour from the
 * start of the week on: a later status sums the same rows over its own today and
 * week, both inside them.  The last-hour figures stand until an event they count
 * leaves the hour (until). */

static const char *const daemons[2][2] = {
	{ "gateway", "claw-gateway" }, { "node", "claw-node" },
};

/* p, n elements of size, with room for one more, grown by doubling: the array,
 * maybe moved, for the caller to keep; or NULL (p untouched) with the facts
 * partial. */
static void *
more(struct status_facts *f, void *p, size_t n, size_t size)
{
	if (n && (n < 8 || (n & (n - 1))))
		return p;
	if (n > SIZE_MAX / 2 / size || !(p = realloc(p, (n ? 2 * n : 8) * size)))
		f->partial = 1;
	return p;
}

static char *
col_dup(struct status_facts *f, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	char *v = strdup(s ? s : "");

	f->partial |= !v;
	return v;
}

/* The gathering's statements: one that fails to prepare or to step leaves the facts
 * partial (shown, never copied). */
static int
prep(sqlite3 *db, struct status_facts *f, sqlite3_stmt **st, const char *sql)
{
	if (store_prepare(db, st, sql))
		return f->partial = 1, -1;
	return 0;
}

static int
step(struct status_facts *f, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	f->partial |= rc != SQLITE_ROW && rc != SQLITE_DONE;
	return rc;
}

/* An event at column i that leaves the hour before until does: until is then. */
static void
first_ts(struct status_facts *f, sqlite3_stmt *st, int i)
{
	long long ts;

	if (sqlite3_column_type(st, i) != SQLITE_NULL
	    && (ts = sqlite3_column_int64(st, i)) < LLONG_MAX - HOUR_MS && ts + HOUR_MS < f->until)
		f->until = ts + HOUR_MS;
}

/* The daemon's requests and failed ones since since.  Each "request" row is one,
 * counted in events_kind; the gateway counts /healthz (and refusals) a minute at a
 * time in one "requests" row, read whole; failures come from events_failed. */
static void
hour_counts(sqlite3 *db, struct status_facts *f, int d, long long since)
{
	sqlite3_stmt *st;

	if (prep(db, f, &st, "SELECT (SELECT count(*) FROM events WHERE program = ?1"
	    " AND kind = 'request' AND ts >= ?2) + (SELECT total(coalesce(json_extract(detail,"
	    " '$.count'), json_extract(detail, '$.refused'), 1)) FROM events WHERE program = ?1"
	    " AND kind = 'requests' AND ts >= ?2), (SELECT count(*) FROM events"
	    " INDEXED BY events_failed WHERE ts >= ?2"
	    " AND ok = 0 AND program = ?1 AND kind IN ('request', 'requests')),"
	    " (SELECT min(ts) FROM events WHERE program = ?1 AND kind = 'request' AND ts >= ?2),"
	    " (SELECT min(ts) FROM events WHERE program = ?1 AND kind = 'requests'"
	    " AND ts >= ?2)"))
		return;
	sqlite3_bind_text(st, 1, daemons[d][1], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	if (step(f, st) == SQLITE_ROW) {
		f->req[d] = (long long)sqlite3_column_double(st, 0);
		f->errs[d] = sqlite3_column_int64(st, 1);
		first_ts(f, st, 3);
		first_ts(f, st, 4);
	}
	sqlite3_finalize(st);
}

static void
g_hours(sqlite3 *db, struct status_facts *f)
{
	sqlite3_stmt *st;

	/* The rows summed in C, not by total(): the week is ~170 rows, and eight
	 * aggregates over them cost twice what reading them does. */
	if (prep(db, f, &st, status_has_column(db, "token_hours", "tokens_cached")
	    ? "SELECT hour, turns, tokens_in, tokens_out, tokens_cached FROM token_hours"
	    " WHERE hour >= ?"
	    : "SELECT hour, turns, tokens_in, tokens_out, 0 FROM token_hours WHERE hour >= ?"))
		return;
	sqlite3_bind_int64(st, 1, (f->at - 7 * DAY_MS) / HOUR_MS);
	while (step(f, st) == SQLITE_ROW) {
		struct status_hour *h = more(f, f->hour, f->nhour, sizeof *h);
		if (!h)
			break;
		f->hour = h;
		h[f->nhour++] = (struct status_hour){ sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) };
	}
	sqlite3_finalize(st);
}

static void
g_peers(sqlite3 *db, struct status_facts *f)
{
	sqlite3_stmt *st;
	char sql[256];

	if (!(f->peers = status_has_table(db, "peers") && status_has_column(db, "peers", "name")))
		return;
	snprintf(sql, sizeof sql, "SELECT name, %s, %s FROM peers ORDER BY name",
	    status_has_column(db, "peers", "healthy") ? "healthy" : "NULL",
	    status_has_column(db, "peers", "last_seen") ? "last_seen" : "NULL");
	if (prep(db, f, &st, sql))
		return;
	while (step(f, st) == SQLITE_ROW) {
		struct status_peer *p = more(f, f->peer, f->npeer, sizeof *p);
		if (!p)
			break;
		f->peer = p;
		p = &p[f->npeer++];
		p->name = sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL : col_dup(f, st, 0);
		p->health = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1
		    : sqlite3_column_int(st, 1) != 0;
		p->seen = sqlite3_column_type(st, 2) != SQLITE_NULL;
		p->last_seen = p->seen ? sqlite3_column_int64(st, 2) : 0;
	}
	sqlite3_finalize(st);
}

/* claw-evolve's last cycle: the newest row (ids grow as cycles start). */
static void
g_cycle(sqlite3 *db, struct status_facts *f)
{
	sqlite3_stmt *st;

	if (!(f->cycles = status_has_table(db, "cycles")
	    && status_has_column(db, "cycles", "started")))
		return;
	if (prep(db, f, &st, status_has_column(db, "cycles", "outcome") ?
	    "SELECT started, outcome FROM cycles ORDER BY id DESC LIMIT 1" :
	    "SELECT started, NULL FROM cycles ORDER BY id DESC LIMIT 1"))
		return;
	if (step(f, st) == SQLITE_ROW) {
		f->started = sqlite3_column_int64(st, 0);
		f->outcome = col_dup(f, st, 1);
	}
	sqlite3_finalize(st);
}

static void
g_faults(sqlite3 *db, struct status_facts *f)
{
	sqlite3_stmt *st;

	/* events_failed holds these alone, the table never read (without INDEXED BY
	 * the grouping tempts the planner into a whole scan of events_kind). */
	if (prep(db, f, &st, "SELECT program, kind, count(*) AS c, min(ts) FROM events"
	    " INDEXED BY events_failed WHERE ts >= ? AND ok = 0"
	    " GROUP BY program, kind ORDER BY c DESC"))
		return;
	f->faults = 1;
	sqlite3_bind_int64(st, 1, f->at - HOUR_MS);
	while (step(f, st) == SQLITE_ROW) {
		struct status_fault *e = more(f, f->fault, f->nfault, sizeof *e);
		if (!e)
			break;
		f->fault = e;
		e = &e[f->nfault++];
		e->program = col_dup(f, st, 0);
		e->kind = col_dup(f, st, 1);
		e->count = sqlite3_column_int64(st, 2);
		first_ts(f, st, 3);
	}
	sqlite3_finalize(st);
}

static void
gather(sqlite3 *db, long long now, const int running[2], struct status_facts *f)
{
	sqlite3_stmt *st;
	int d;

	memset(f, 0, sizeof *f);
	f->at = now;
	f->until = LLONG_MAX;
	f->req[0] = f->req[1] = f->errs[0] = f->errs[1] = -1;
	/* One read transaction: its locks and WAL look-ups once, and one state. */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	f->tokened = store_token(db, &f->token) == 0;
	f->schema = store_int(db, "PRAGMA user_version", "store");
	f->sessions = sessions_count(db);
	f->partial |= f->schema < 0 || f->sessions < 0;
	if (prep(db, f, &st, "SELECT name, updated FROM sessions ORDER BY updated DESC "
	    "LIMIT 1") == 0) {
		if (step(f, st) == SQLITE_ROW) {
			f->last_session = col_dup(f, st, 0);
			f->last_turn = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	g_hours(db, f);
	for (d = 0; d < 2; d++)
		if (running[d])
			hour_counts(db, f, d, now - HOUR_MS);
	g_peers(db, f);
	g_cycle(db, f);
	g_faults(db, f);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

void
status_facts_free(struct status_facts *f)
{
	size_t i;

	free(f->last_session);
	free(f->hour);
	for (i = 0; i < f->npeer; i++)
		free(f->peer[i].name);
	free(f->peer);
	free(f->outcome);
	for (i = 0; i < f->nfault; i++) {
		free(f->fault[i].program);
		free(f->fault[i].kind);
	}
	free(f->fault);
	memset(f, 0, sizeof *f);
}

/* --- the copy: $CLAW_HOME/claw.db-status (store/copy.h) ---
 *
 * The body is netstrings: the store's state as it was read (store_copy_state), then
 * the facts in the order of struct status_facts, numbers in decimal, each list after
 * its length.  A peer's name is "=" and the name, or "-" for none. */

/* v as a netstring of its decimal digits, by hand: snprintf for each of the
 * week's ~850 was most of writing the copy. */
static void
put_num(struct buf *b, long long v)
{
	char d[32];
	size_t i = sizeof d, n;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	d[--i] = ',';
	do
		d[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		d[--i] = '-';
	n = sizeof d - 1 - i;            /* at most 20 */
	d[--i] = ':';
	d[--i] = (char)('0' + n % 10);
	if (n >= 10)
		d[--i] = (char)('0' + n / 10);
	buf_add(b, d + i, sizeof d - i);
}

static void
put_str(struct buf *b, const char *s)
{
	buf_add_netstring(b, s ? s : "", s ? strlen(s) : 0);
}

void
status_facts_write(struct buf *b, const char *state, const struct status_facts *f)
{
	size_t i;
	int d;

	put_str(b, state);
	put_num(b, f->at);
	put_num(b, f->until);
	put_num(b, f->schema);
	put_num(b, f->sessions);
	put_num(b, f->last_turn);
	put_str(b, f->last_session);
	put_num(b, (long long)f->nhour);
	for (i = 0; i < f->nhour; i++) {
		const struct status_hour *h = &f->hour[i];
		put_num(b, h->hour);
		put_num(b, h->turns);
		put_num(b, h->in);
		put_num(b, h->out);
		put_num(b, h->cached);
	}
	for (d = 0; d < 2; d++) {
		put_num(b, f->req[d]);
		put_num(b, f->errs[d]);
	}
	put_num(b, f->peers);
	put_num(b, (long long)f->npeer);
	for (i = 0; i < f->npeer; i++) {
		const struct status_peer *p = &f->peer[i];
		size_t n = p->name ? strlen(p->name) : 0;
		buf_printf(b, "%zu:%c", n + 1, p->name ? '=' : '-');   /* the netstring by hand */
		buf_add(b, p->name ? p->name : "", n);
		buf_addc(b, ',');
		put_num(b, p->health);
		put_num(b, p->seen);
		put_num(b, p->last_seen);
	}
	put_num(b, f->cycles);
	put_num(b, f->started);
	put_str(b, f->outcome);
	put_num(b, f->faults);
	put_num(b, (long long)f->nfault);
	for (i = 0; i < f->nfault; i++) {
		put_str(b, f->fault[i].program);
		put_str(b, f->fault[i].kind);
		put_num(b, f->fault[i].count);
	}
}

struct rd {
	const char *p, *end;
	int bad;
};

static const char *
rd_field(struct rd *r, size_t *n)
{
	const char *s;

	if (r->bad || netstring_next(&r->p, r->end, &s, n) || memchr(s, '\0', *n))
		return r->bad = 1, NULL;
	return s;
}

/* A number as put_num writes it and no other way: "-" only before a digit that is
 * not 0, no leading 0, in range; by hand, as put_num writes it (strtoll was half of
 * a status from the copy).  lo: the least it may be. */
static long long
rd_num(struct rd *r, long long lo)
{
	unsigned long long u = 0;
	const char *s;
	size_t n, i, neg;
	long long v;

	if (!(s = rd_field(r, &n)))
		return 0;
	neg = n && s[0] == '-';
	if (n == neg || n - neg > 19 || (s[neg] == '0' && (neg || n > 1)))
		return r->bad = 1, 0;
	for (i = neg; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return r->bad = 1, 0;
		u = u * 10 + (unsigned)(s[i] - '0');      /* 19 digits: no wrap */
	}
	if (u > (unsigned long long)LLONG_MAX + neg)
		return r->bad = 1, 0;
	v = neg ? -(long long)(u - 1) - 1 : (long long)u;        /* neg: u >= 1 */
	if (v < lo)
		return r->bad = 1, 0;
	return v;
}

static char *
rd_str(struct rd *r)
{
	const char *s;
	size_t n;
	char *v;

	if (!(s = rd_field(r, &n)))
		return NULL;
	if (!(v = strndup(s, n)))
		r->bad = 1;
	return v;
}

/* The length of a list whose elements each take at least min bytes. */
static size_t
rd_len(struct rd *r, size_t min)
{
	long long n = rd_num(r, 0);

	if (!r->bad && (unsigned long long)n > (size_t)(r->end - r->p) / min)
		r->bad = 1;
	return r->bad ? 0 : (size_t)n;
}

int
status_facts_parse(const char *body, size_t len, char **state, struct status_facts *f)
{
	struct rd r = { body, body + len, 0 };
	size_t i, n;
	int d;

	memset(f, 0, sizeof *f);
	*state = rd_str(&r);
	f->at = rd_num(&r, 0);
	f->until = rd_num(&r, LLONG_MIN);
	f->schema = rd_num(&r, -1);
	f->sessions = rd_num(&r, -1);
	f->last_turn = rd_num(&r, LLONG_MIN);
	f->last_session = rd_str(&r);
	n = rd_len(&r, 5 * 3);
	if (n && !(f->hour = calloc(n, sizeof *f->hour)))
		r.bad = 1;
	for (i = 0; i < n && !r.bad; i++, f->nhour++) {
		struct status_hour *h = &f->hour[i];
		h->hour = rd_num(&r, LLONG_MIN);
		h->turns = rd_num(&r, LLONG_MIN);
		h->in = rd_num(&r, LLONG_MIN);
		h->out = rd_num(&r, LLONG_MIN);
		h->cached = rd_num(&r, LLONG_MIN);
	}
	for (d = 0; d < 2; d++) {
		f->req[d] = rd_num(&r, -1);
		f->errs[d] = rd_num(&r, -1);
	}
	f->peers = (int)rd_num(&r, 0);
	n = rd_len(&r, 4 * 3);
	if (n && !(f->peer = calloc(n, sizeof *f->peer)))
		r.bad = 1;
	for (i = 0; i < n && !r.bad; i++, f->npeer++) {
		struct status_peer *p = &f->peer[i];
		size_t sn;
		const char *s = rd_field(&r, &sn);
		if (s && sn == 1 && *s == '-')
			p->name = NULL;
		else if (s && sn && *s == '=')
			r.bad |= !(p->name = strndup(s + 1, sn - 1));
		else
			r.bad = 1;
		p->health = (int)rd_num(&r, -1);
		p->seen = (int)rd_num(&r, 0);
		p->last_seen = rd_num(&r, LLONG_MIN);
		if (p->health > 1 || p->seen > 1)
			r.bad = 1;
	}
	f->cycles = (int)rd_num(&r, 0);
	f->started = rd_num(&r, LLONG_MIN);
	f->outcome = rd_str(&r);
	f->faults = (int)rd_num(&r, 0);
	n = rd_len(&r, 3 * 3);
	if (n && !(f->fault = calloc(n, sizeof *f->fault)))
		r.bad = 1;
	for (i = 0; i < n && !r.bad; i++, f->nfault++) {
		struct status_fault *e = &f->fault[i];
		e->program = rd_str(&r);
		e->kind = rd_str(&r);
		e->count = rd_num(&r, 0);
	}
	if (r.bad || r.p != r.end || f->peers > 1 || f->cycles > 1 || f->faults > 1) {
		free(*state);
		*state = NULL;
		status_facts_free(f);
		return -1;
	}
	return 0;
}

/* Whether the copy's text has state as the first netstring of its body: what
 * differs after a write to the store, compared before the hash and the parse. */
static int
copy_of(const struct buf *text, const char *state)
{
	const char *p = memchr(text->p, '\n', text->len), *s;
	size_t n;

	if (!p++)
		return 0;
	return netstring_next(&p, text->p + text->len, &s, &n) == 0 && n == strlen(state)
	    && memcmp(s, state, n) == 0;
}

/* The facts from the copy, while the store is as it was when they were read and
 * they still hold at now: 0, else -1. */
static int
copy_read(const char *state, long long now, struct status_facts *f)
{
	struct buf text = BUF_INIT;
	const char *body;
	char *was = NULL;
	size_t len;
	int token, rc = -1;

	/* (the state parsed, whole and hashing right, is the one copy_of compared) */
	if (store_copy_read(COPY_NAME, COPY_MAX + 128, &text) == 0 && copy_of(&text, state)
	    && store_copy_parse(text.p, text.len, COPY_MAGIC, &token, &body, &len) == 0
	    && status_facts_parse(body, len, &was, f) == 0) {
		if (now >= f->at && now <= f->until) {
			f->token = token;
			f->tokened = 1;
			rc = 0;
		} else
			status_facts_free(f);
	}
	free(was);
	buf_free(&text);
	return rc;
}

/* --- the report --- */

struct out {
	struct buf *t, *j;
	long long now;
	const struct status_facts *f;
	sqlite3 *db;             /* the store, once something had to ask it */
	int rc;
};

/* The store, opened on the first need: 0, or -1 with o->rc. */
static int
need_db(struct out *o)
{
	if (!o->db && !o->rc)
		o->rc = store_open(&o->db);
	return o->db ? 0 : -1;
}

/* config's value for key: from the store when it is open, else from config's copy
 * while the token says it is current, else from the store opened for it. */
static int
cfg(struct out *o, const char *key, char **value, enum config_source *src)
{
	int rc;

	if (!o->db && o->f && o->f->tokened
	    && (rc = config_get_copy(key, o->f->token, value, src)) >= 0)
		return rc;
	if (need_db(o))
		return o->rc;
	return config_get(o->db, key, value, src);
}

/* Whether key is stored, as cfg asks: 1 or 0, or -1. */
static int
cfg_stored(struct out *o, const char *key)
{
	int r;

	if (!o->db && o->f && o->f->tokened && (r = config_stored_copy(key, o->f->token)) >= 0)
		return r;
	return need_db(o) ? -1 : config_stored(o->db, key);
}

/* Whether the configured provider has a key: where it is, never what. */
static const char *
key_source(struct out *o, const char *prov, int *local)
{
	static const struct { const char *name, *env; } envs[] = {
		{ "openai", "OPENAI_API_KEY" }, { "anthropic", "ANTHROPIC_API_KEY" },
		{ "deepseek", "DEEPSEEK_API_KEY" },
	};
	char key[160], env[200], *url = NULL;
	size_t i;

	snprintf(key, sizeof key, "providers.%s.base_url", prov);
	*local = cfg(o, key, &url, NULL) == 0 && (strstr(url, "://127.")
	    || strstr(url, "://localhost") || strstr(url, "://[::1]"));
	free(url);
	snprintf(key, sizeof key, "providers.%s.api_key", prov);
	config_env_name(key, env, sizeof env);
	if (getenv(env) && *getenv(env))
		return "env";
	if (cfg_stored(o, key) > 0)
		return "store";
	for (i = 0; i < sizeof envs / sizeof envs[0]; i++)
		if (!strcmp(prov, envs[i].name) && getenv(envs[i].env) && *getenv(envs[i].env))
			return "env";
	if (getenv("CLAW_API_KEY") && *getenv("CLAW_API_KEY"))
		return "env";
	return NULL;
}

const char *
status_key_source(sqlite3 *db, const char *prov, int *local)
{
	struct out o = { .db = db };

	return key_source(&o, prov, local);
}

static void
s_store(struct out *o, const char *path)
{
	char wal[PATH_MAX + 8];
	long long v = o->f->schema, bytes = file_size(path), wb;

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

static void
s_model(struct out *o)
{
	char *model = NULL, prov[64];
	enum config_source src = CONFIG_DEFAULT;
	const char *ks, *slash;
	int local = 0;

	if (cfg(o, "model", &model, &src) || !model)
		model = strdup("");
	slash = model ? strchr(model, '/') : NULL;
	snprintf(prov, sizeof prov, "%.*s", slash ? (int)(slash - model) : 0, model ? model : "");
	ks = *prov ? key_source(o, prov, &local) : NULL;
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
s_sessions(struct out *o)
{
	long long n = o->f->sessions, last = o->f->last_turn;
	const char *name = o->f->last_session ? o->f->last_session : "";

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

/* The turns' tokens since day and since week (ms), from the hours (local midnight
 * is taken as the hour it falls in).  cached: of in, what the provider read from
 * its prompt cache (a store from before it: 0). */
struct tokens {
	long long in, out, turns, cached;
};

static void
tokens(const struct status_facts *f, long long day, long long week, struct tokens *d,
    struct tokens *w)
{
	size_t i;

	memset(d, 0, sizeof *d);
	memset(w, 0, sizeof *w);
	for (i = 0; i < f->nhour; i++) {
		const struct status_hour *h = &f->hour[i];
		if (h->hour >= week / HOUR_MS)
			w->in += h->in, w->out += h->out, w->turns += h->turns,
			    w->cached += h->cached;
		if (h->hour >= day / HOUR_MS)
			d->in += h->in, d->out += h->out, d->turns += h->turns,
			    d->cached += h->cached;
	}
}

/* The cached share of in, in whole per cent. */
static long long
cached_pct(const struct tokens *t)
{
	return t->in > 0 ? t->cached * 100 / t->in : 0;
}

static void
s_tokens(struct out *o)
{
	struct tokens d, w;
	time_t now = (time_t)(o->now / 1000);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tokens(o->f, (long long)mktime(&tm) * 1000, o->now - 7 * DAY_MS, &d, &w);
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
s_skills(struct out *o)
{
	struct skills all = { 0 };
	struct buf why = BUF_INIT, jt = BUF_INIT, tt = BUF_INIT;
	unsigned char *ev = NULL;
	size_t i, ok = 0, no = 0;
	int token, copy;

	if ((copy = listcopy_read(o->f->tokened ? &o->f->token : NULL, &token, &all, &ev) == 0))
		free(ev);
	else if (need_db(o) == 0 && listcopy_index(o->db, &all, &ev) == 0)
		free(ev);
	else {
		if (o->rc)
			return;
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
			if (need_db(o))
				break;
			skill_missing(o->db, &all.v[i], &why);
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

/* A daemon as its pidfile and /proc show it. */
struct live {
	int running;
	pid_t pid;
	char info[256];
	long long start;         /* its RSS when it wrote the pidfile (-1: not said) */
	struct pidstat ps;
};

static void
s_daemon(struct out *o, int d, const struct live *l)
{
	const char *name = daemons[d][0];
	struct buf b = BUF_INIT;
	long long rss, req = o->f->req[d], errs = o->f->errs[d];
	double up;

	buf_printf(o->t, "%-9s ", name);
	buf_printf(o->j, ",\"%s\":", name);
	if (!l->running) {
		buf_adds(o->t, "not running\n");
		buf_adds(o->j, "{\"running\":false}");
		return;
	}
	if (req < 0) {           /* not counted with the rest: it was not running then */
		struct status_facts c = { .at = o->now, .until = LLONG_MAX,
		    .req = { -1, -1 }, .errs = { -1, -1 } };
		if (need_db(o))
			return;
		hour_counts(o->db, &c, d, o->now - HOUR_MS);
		req = c.req[d] < 0 ? 0 : c.req[d];
		errs = c.errs[d] < 0 ? 0 : c.errs[d];
	}
	up = procfs_read("uptime", &b) == 0 && procfs_uptime_parse(b.p, b.len, &up) == 0 ?
	    up - (double)l->ps.starttime / (double)procfs_hz() : -1;
	buf_free(&b);
	rss = status_rss_kb(l->pid);
	buf_printf(o->t, "pid %ld on %s, up ", (long)l->pid, *l->info ? l->info : "?");
	ago(o->t, (long long)(up * 1000));
	buf_printf(o->t, ", RSS %.1f MB", (double)rss / 1024);
	if (l->start >= 0 && rss >= 0)    /* the pidfile says what it had at start */
		buf_printf(o->t, " (%+.1f MB since start)", (double)(rss - l->start) / 1024);
	buf_printf(o->t, ", last hour %lld requests, %lld errors\n", req, errs);
	buf_printf(o->j, "{\"running\":true,\"pid\":%ld,\"address\":", (long)l->pid);
	jstr(o->j, l->info);
	buf_printf(o->j, ",\"uptime_s\":%.0f,\"rss_kb\":%lld,\"rss_growth_kb\":", up, rss);
	if (l->start >= 0 && rss >= 0)
		buf_printf(o->j, "%lld", rss - l->start);
	else
		buf_adds(o->j, "null");
	buf_printf(o->j, ",\"requests_hour\":%lld,\"errors_hour\":%lld}", req, errs);
}

/* claw-node's peers: name, and health when the table says it. */
static void
s_peers(struct out *o)
{
	const struct status_facts *f = o->f;
	size_t i;
	int bad = 0;

	if (!f->peers) {
		buf_adds(o->t, "peers     not set up (claw-node)\n");
		buf_adds(o->j, ",\"peers\":null");
		return;
	}
	buf_adds(o->j, ",\"peers\":[");
	buf_adds(o->t, "peers     ");
	for (i = 0; i < f->npeer; i++) {
		const struct status_peer *p = &f->peer[i];
		buf_printf(o->t, "%s%s%s", i ? ", " : "", p->name ? p->name : "",
		    p->health == 0 ? " (down)" : p->health == 1 ? " (healthy)" : "");
		buf_adds(o->j, i ? ",{\"name\":" : "{\"name\":");
		jstr(o->j, p->name);
		buf_printf(o->j, ",\"healthy\":%s", p->health < 0 ? "null"
		    : p->health ? "true" : "false");
		if (p->seen)
			buf_printf(o->j, ",\"last_seen\":%lld", p->last_seen);
		buf_addc(o->j, '}');
		bad += p->health == 0;
	}
	if (!f->npeer)
		buf_adds(o->t, "none");
	else if (bad)
		buf_printf(o->t, "; %d down", bad);
	buf_addc(o->t, '\n');
	buf_addc(o->j, ']');
}

/* claw-evolve's last cycle and when cron starts the next. */
static void
s_evolution(struct out *o)
{
	const struct status_facts *f = o->f;
	const char *outcome = f->outcome ? f->outcome : "";
	long long next;

	if (!f->cycles) {
		buf_adds(o->t, "evolution not set up (claw-evolve)\n");
		buf_adds(o->j, ",\"evolution\":null");
		return;
	}
	if (!f->started) {
		buf_adds(o->t, "evolution no cycle yet\n");
		buf_adds(o->j, ",\"evolution\":{\"last\":null}");
		return;
	}
	next = (f->started / EVOLVE_EVERY_MS + 1) * EVOLVE_EVERY_MS;
	while (next < o->now)
		next += EVOLVE_EVERY_MS;
	buf_adds(o->t, "evolution last cycle ");
	ago(o->t, o->now - f->started);
	buf_printf(o->t, " ago%s%s, next due ", *outcome ? ": " : "", outcome);
	when(o->t, next);
	buf_adds(o->t, " (cron, every 20 min)\n");
	buf_printf(o->j, ",\"evolution\":{\"last\":%lld,\"outcome\":", f->started);
	jstr(o->j, *outcome ? outcome : NULL);
	buf_printf(o->j, ",\"next_due\":%lld}", next);
}

static void
s_errors(struct out *o)
{
	const struct status_facts *f = o->f;
	struct buf t = BUF_INIT;
	long long total = 0;
	size_t i;

	buf_adds(o->j, ",\"errors\":{\"by\":[");
	for (i = 0; i < f->nfault; i++) {
		const struct status_fault *e = &f->fault[i];
		total += e->count;
		if (i < 5)
			buf_printf(&t, "%s%s %s %lld", i ? ", " : "", e->program, e->kind,
			    e->count);
		buf_adds(o->j, i ? ",{\"program\":" : "{\"program\":");
		jstr(o->j, e->program);
		buf_adds(o->j, ",\"kind\":");
		jstr(o->j, e->kind);
		buf_printf(o->j, ",\"count\":%lld}", e->count);
	}
	if (f->faults)
		buf_printf(o->t, "errors    %lld in the last hour%s%s\n", total, i ? ": " : "",
		    i ? t.p : "");
	buf_free(&t);
	buf_printf(o->j, "],\"last_hour\":%lld}", total);
}

/* The facts: from the copy while it holds, else from the store, and then the copy
 * written for the next status when the store's state allows (store/copy.h). */
static int
facts(struct out *o, const struct live l[2], struct status_facts *f)
{
	struct store_copy_out cw;
	struct timespec newest;
	struct buf b = BUF_INIT;
	char state[STATE_MAX];
	int running[2] = { l[0].running, l[1].running }, stated;

	memset(f, 0, sizeof *f);
	/* Rows spooled by an inetd gateway are the store's too: whoever opens it folds
	 * them in. */
	if (path_mkhome(NULL) == 0 && !telemetry_spooled()
	    && store_copy_state(state, sizeof state, &newest) == 0
	    && copy_read(state, o->now, f) == 0)
		return 0;
	/* The copy's moment first; the state any time after it and before the read
	 * (here after the open, which makes a WAL the sqlite3 shell removed).  A copy
	 * that could not be begun, or is ended, is one store_copy_drop leaves be. */
	store_copy_begin(&cw, COPY_NAME);
	if (need_db(o)) {
		store_copy_drop(&cw);
		return o->rc;
	}
	stated = store_copy_state(state, sizeof state, &newest) == 0;
	gather(o->db, o->now, running, f);
	if (stated && f->tokened && !f->partial) {
		status_facts_write(&b, state, f);
		if (!b.oom && b.len <= COPY_MAX)
			store_copy_end(&cw, COPY_MAGIC, f->token, b.p, b.len, &newest);
		buf_free(&b);
	}
	store_copy_drop(&cw);
	return 0;
}

int
status_report(struct buf *text, struct buf *json)
{
	struct status_facts f;
	struct out o = { text, json, clock_wall_ms(), &f, NULL, 0 };
	struct live l[2] = { { 0 } };
	char path[PATH_MAX];
	const char *home = path_home();
	int d, rc;

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
	for (d = 0; d < 2; d++)
		l[d].running = daemon_running_rss(daemons[d][0], &l[d].pid, l[d].info,
		    sizeof l[d].info, &l[d].start) == 0 && procfs_pid(l[d].pid, &l[d].ps) == 0;
	if ((rc = facts(&o, l, &f)))
		return rc;
	s_store(&o, path);
	s_model(&o);
	s_sessions(&o);
	s_tokens(&o);
	s_skills(&o);
	for (d = 0; d < 2 && !o.rc; d++)
		s_daemon(&o, d, &l[d]);
	s_peers(&o);
	s_evolution(&o);
	s_errors(&o);
	buf_adds(json, "}\n");
	status_facts_free(&f);
	store_close(o.db);
	if (o.rc)
		return o.rc;
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
