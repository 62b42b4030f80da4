/* store: open, configure and migrate the shared SQLite store.  Schema changes are
 * appended to migrations[]; whichever process opens an older store first applies
 * them inside one BEGIN IMMEDIATE, so concurrent first runs are safe.
 *
 * A new table or migration: one string appended at the END of migrations[], never an
 * edit of an old one, with IF NOT EXISTS where a store set back (tests do) would meet
 * it twice.  Nothing else to do: claw_config_touch() is on every connection before the
 * migrations run, so one may write config; none may drop the config_touch_* triggers
 * (config_get_cached() trusts the token they keep).  The schema is parsed by every
 * process's first statement, a few microseconds an object: keep it lean. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "store/mem.h"
#include "store/store.h"
#include "store/telemetry.h"
#include "store/wal.h"

#define BUSY_MS 10000       /* how long store_open's connections wait for a lock */

/* What a damaged store's message tells the user to do. */
#define DAMAGED "restore claw.db from a backup or move it aside"

static const char *const migrations[] = {
	/* 1: config and telemetry */
	"CREATE TABLE config("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  secret INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL) STRICT;"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  program TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  ms INTEGER,"
	"  ok INTEGER NOT NULL,"
	"  detail TEXT) STRICT;"
	"CREATE INDEX events_ts ON events(ts);"
	"CREATE INDEX events_kind ON events(program, kind, ts);",

	/* 2: chat sessions, the full history, summaries and the answer cache */
	"CREATE TABLE sessions("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL) STRICT;"
	"CREATE TABLE messages("
	"  id INTEGER PRIMARY KEY,"
	"  session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL,"
	"  role TEXT NOT NULL,"
	/* body: JSON of text, tool_calls, tool_call_id, name, attachments */
	"  body TEXT NOT NULL,"
	"  model TEXT,"
	"  tokens INTEGER NOT NULL DEFAULT 0,"
	"  incomplete INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX messages_session ON messages(session, id);"
	"CREATE TABLE summaries("
	"  id INTEGER PRIMARY KEY,"
	"  session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	"  upto INTEGER NOT NULL,"       /* the last message id the summary covers */
	"  ts INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  tokens INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE INDEX summaries_session ON summaries(session, upto);"
	"CREATE TABLE cache("
	"  key TEXT PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  answer TEXT NOT NULL) STRICT;",

	/* 3: the skill index (refreshed per skill when its files change), grants, installs */
	"CREATE TABLE skills("
	"  dir TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  sig TEXT NOT NULL,"           /* mtime and size of the files that define it */
	"  kind TEXT NOT NULL,"          /* program, node or instructions */
	"  description TEXT NOT NULL DEFAULT '',"
	"  triggers TEXT NOT NULL DEFAULT '',"      /* lists: one item per line */
	"  permissions TEXT NOT NULL DEFAULT '',"
	"  bins TEXT NOT NULL DEFAULT '',"
	"  any_bins TEXT NOT NULL DEFAULT '',"
	"  env TEXT NOT NULL DEFAULT '',"
	"  config_keys TEXT NOT NULL DEFAULT '',"
	"  os TEXT NOT NULL DEFAULT '',"
	"  timeout INTEGER NOT NULL DEFAULT 30,"
	"  meta TEXT,"                   /* SKILL.md front matter as JSON */
	"  config TEXT,"                 /* config.json as it is */
	"  error TEXT) STRICT;"          /* why it does not parse, or NULL */
	"CREATE TABLE grants("
	"  skill TEXT NOT NULL,"
	"  perm TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  PRIMARY KEY(skill, perm)) STRICT;"
	"CREATE TABLE installs("
	"  name TEXT PRIMARY KEY,"
	"  dir TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  source TEXT,"
	"  ts INTEGER NOT NULL) STRICT;",

	/* 4: the gateway's per-token request counts under inetd (start keeps them in memory) */
	"CREATE TABLE gateway_rate("
	"  key BLOB PRIMARY KEY,"         /* BLAKE2b-128 of the token: never the token */
	"  window INTEGER NOT NULL,"      /* Unix minute */
	"  count INTEGER NOT NULL) STRICT;",

	/* 5: grants kept by the skill's name and directory, so a same-named skill installed
	 * elsewhere starts with none; a row's dir is the installed skill's when the name
	 * is an installed one, else '' until claw-skill places it (skill_grants_claim) */
	"CREATE TABLE grants_dir("
	"  skill TEXT NOT NULL,"
	"  dir TEXT NOT NULL,"
	"  perm TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  PRIMARY KEY(skill, dir, perm)) STRICT;"
	"INSERT INTO grants_dir SELECT g.skill,"
	"  COALESCE((SELECT i.dir FROM installs i WHERE i.name = g.skill), ''), g.perm, g.ts"
	"  FROM grants g;"
	"DROP TABLE grants;"
	"ALTER TABLE grants_dir RENAME TO grants;",

	/* channels (claw-channel): the channels added (cursor: Telegram's next offset),
	 * every inbound update stored before it is acknowledged (one row per service id),
	 * the answers' parts queued for sending and dead letters, pairing codes, the
	 * senders let in or kept out, and per chat its session generation, model and
	 * last inbound message (WhatsApp's 24-hour window).  IF NOT EXISTS: a store whose
	 * user_version was set back (tests do) runs it again */
	"CREATE TABLE IF NOT EXISTS channels("
	"  name TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  cursor TEXT NOT NULL DEFAULT '',"
	"  bot TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS channel_ingress("
	"  id INTEGER PRIMARY KEY,"
	"  channel TEXT NOT NULL,"
	"  ext TEXT NOT NULL,"
	"  peer TEXT NOT NULL DEFAULT '',"
	"  sender TEXT NOT NULL DEFAULT '',"
	"  name TEXT NOT NULL DEFAULT '',"
	"  msgid TEXT NOT NULL DEFAULT '',"
	"  flags INTEGER NOT NULL DEFAULT 0,"      /* 1 group, 2 addressed to the bot */
	"  text TEXT NOT NULL DEFAULT '',"
	"  media TEXT NOT NULL DEFAULT '[]',"
	"  state TEXT NOT NULL,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT NOT NULL DEFAULT '',"
	"  received INTEGER NOT NULL,"
	"  done INTEGER,"
	"  UNIQUE(channel, ext)) STRICT;"
	"CREATE INDEX IF NOT EXISTS channel_ingress_todo"
	"  ON channel_ingress(channel, peer, state, id);"
	"CREATE INDEX IF NOT EXISTS channel_ingress_state ON channel_ingress(channel, state);"
	"CREATE TABLE IF NOT EXISTS channel_egress("
	"  id INTEGER PRIMARY KEY,"
	"  channel TEXT NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  ingress INTEGER,"
	"  text TEXT NOT NULL,"
	"  reply_to TEXT NOT NULL DEFAULT '',"
	"  edit TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'queued',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '',"
	"  ext TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  sent INTEGER) STRICT;"
	"CREATE INDEX IF NOT EXISTS channel_egress_todo"
	"  ON channel_egress(channel, peer, state, id);"
	"CREATE INDEX IF NOT EXISTS channel_egress_state"
	"  ON channel_egress(channel, state, next_at);"
	"CREATE TABLE IF NOT EXISTS channel_pairing("
	"  channel TEXT NOT NULL,"
	"  code TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  PRIMARY KEY(channel, code)) STRICT;"
	"CREATE TABLE IF NOT EXISTS channel_senders("
	"  channel TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY(channel, sender)) STRICT;"
	"CREATE TABLE IF NOT EXISTS channel_chats("
	"  channel TEXT NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  generation INTEGER NOT NULL DEFAULT 0,"
	"  model TEXT NOT NULL DEFAULT '',"
	"  last_inbound INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(channel, peer)) STRICT;",

	/* evolve: the gene pool (seeded as REFERENCE.md §8's stock genes), each gene's
	 * priority history, the user's wishes, and one row per cycle */
	"CREATE TABLE IF NOT EXISTS genes("
	"  id TEXT PRIMARY KEY,"
	"  category TEXT NOT NULL CHECK(category IN ('repair','optimize','innovate')),"
	"  signals TEXT NOT NULL,"          /* the signal kinds it matches, one per line */
	"  priority REAL NOT NULL CHECK(priority >= 0 AND priority <= 1),"
	"  max_files INTEGER,"              /* NULL: evolve.max_files alone */
	"  max_lines INTEGER,"
	"  protected TEXT NOT NULL DEFAULT '',"   /* paths in the skill it may not touch */
	"  validation TEXT NOT NULL DEFAULT 'tests canary',"
	"  updated INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS gene_history("
	"  id INTEGER PRIMARY KEY,"
	"  gene TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  cycle INTEGER,"
	"  priority REAL NOT NULL,"
	"  why TEXT NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS suggest("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  text TEXT NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS cycles("
	"  id INTEGER PRIMARY KEY,"
	"  parent INTEGER,"
	"  started INTEGER NOT NULL,"
	"  ended INTEGER,"
	"  upto_event INTEGER NOT NULL,"    /* the signals it saw: events and wishes up to */
	"  upto_suggest INTEGER NOT NULL,"
	"  signals TEXT NOT NULL DEFAULT '[]',"
	"  strategy TEXT, gene TEXT, skill TEXT,"
	"  base TEXT,"                      /* home, builtin or new: what the change started from */
	"  files INTEGER, lines INTEGER,"
	"  report TEXT,"
	"  outcome TEXT NOT NULL,"
	"  reason TEXT,"
	"  priority REAL,"
	"  diff TEXT,"
	"  new_hash TEXT) STRICT;"
	"CREATE INDEX IF NOT EXISTS cycles_skill ON cycles(skill, id);"
	"INSERT OR IGNORE INTO genes VALUES"
	"  ('gene_gep_repair_from_errors','repair','failed\ntimeout\nerror',0.5,NULL,NULL,'',"
	"   'tests canary',0),"
	"  ('gene_gep_optimize_prompt_and_assets','optimize','slow',0.5,NULL,NULL,'',"
	"   'tests canary',0),"
	"  ('gene_gep_innovate_from_opportunity','innovate',"
	"   'wish\nmissing_skill\nerror\nfailed\ntimeout\nslow',0.984,NULL,NULL,'',"
	"   'tests canary',0);",

	/* node (claw-node): pinned peers with their health, one-time pairing invites,
	 * and the round-robin counter every process shares (IF NOT EXISTS: a store
	 * whose user_version was set back, as tests do, migrates forward again) */
	"CREATE TABLE IF NOT EXISTS peers("
	"  name TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL DEFAULT '',"   /* HOST:PORT, or ssh:[USER@]HOST */
	"  key BLOB UNIQUE,"                 /* Ed25519, 32 bytes; NULL until pinned */
	"  weight INTEGER NOT NULL DEFAULT 1,"
	"  allow TEXT,"                      /* what it may run here, one a line; NULL: default */
	"  added INTEGER NOT NULL,"
	"  healthy INTEGER NOT NULL DEFAULT 1,"
	"  fails INTEGER NOT NULL DEFAULT 0,"
	"  down_until INTEGER NOT NULL DEFAULT 0,"
	"  last_seen INTEGER,"
	"  load REAL,"
	"  jobs INTEGER,"
	"  rtt_ms INTEGER,"
	"  last_error TEXT) STRICT;"
	"CREATE TABLE IF NOT EXISTS invites("
	"  id BLOB PRIMARY KEY,"             /* 8 bytes derived from the code */
	"  key BLOB NOT NULL,"               /* the proof key derived from the code */
	"  expires INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  used INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE TABLE IF NOT EXISTS cluster_rr("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  next INTEGER NOT NULL) STRICT;",

	/* monitor (claw-monitor prune): what pruned events counted, per program, kind
	 * and histogram bucket, so the exported counters never go down */
	"CREATE TABLE IF NOT EXISTS events_pruned("
	"  program TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  ms_sum REAL NOT NULL,"
	"  errors INTEGER NOT NULL,"
	"  tokens_in INTEGER NOT NULL,"
	"  tokens_out INTEGER NOT NULL,"
	"  PRIMARY KEY(program, kind, bucket)) STRICT;"
	/* and the chat turns' tokens per hour, kept by a trigger, so that claw status
	 * reads a few rows instead of a week of events */
	"CREATE TABLE IF NOT EXISTS token_hours("
	"  hour INTEGER PRIMARY KEY,"     /* ts / 3600000 */
	"  turns INTEGER NOT NULL,"
	"  tokens_in INTEGER NOT NULL,"
	"  tokens_out INTEGER NOT NULL) STRICT;"
	"INSERT OR IGNORE INTO token_hours SELECT ts / 3600000, count(*),"
	"  coalesce(sum(json_extract(detail, '$.tokens_in')), 0),"
	"  coalesce(sum(json_extract(detail, '$.tokens_out')), 0)"
	"  FROM events WHERE program = 'claw-chat' AND kind = 'turn' GROUP BY 1;"
	"CREATE TRIGGER IF NOT EXISTS token_hours_add AFTER INSERT ON events"
	"  WHEN NEW.program = 'claw-chat' AND NEW.kind = 'turn' BEGIN"
	"  INSERT INTO token_hours VALUES(NEW.ts / 3600000, 1,"
	"    coalesce(json_extract(NEW.detail, '$.tokens_in'), 0),"
	"    coalesce(json_extract(NEW.detail, '$.tokens_out'), 0))"
	"  ON CONFLICT(hour) DO UPDATE SET turns = turns + 1,"
	"    tokens_in = tokens_in + excluded.tokens_in,"
	"    tokens_out = tokens_out + excluded.tokens_out;"
	"  END;",

	/* channels II (claw-channel: Discord, Signal): why the last poll could not reach
	 * the service ('' when it could), for claw channel status */
	"ALTER TABLE channels ADD COLUMN error TEXT NOT NULL DEFAULT '';",

	/* channels and voice (voice_reply): a part to send as a voice note of its text */
	"ALTER TABLE channel_egress ADD COLUMN voice INTEGER NOT NULL DEFAULT 0;",

	/* config's token (store_token): every change to the config table, whoever makes it,
	 * gives the store's header a new application_id in the same transaction, so a
	 * copy of config tagged with the token it was read under is current exactly while
	 * the header still says that token (config_get_cached).  A connection that is not
	 * claw's has no claw_config_touch() and cannot change config behind the copy */
	"CREATE TRIGGER IF NOT EXISTS config_touch_insert AFTER INSERT ON config"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS config_touch_update AFTER UPDATE ON config"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS config_touch_delete AFTER DELETE ON config"
	"  BEGIN SELECT claw_config_touch(); END;",

	/* prompt caching: of the chat turns' input tokens, those the provider read from
	 * its prompt cache (tokens_cached) and wrote to it (Anthropic), in the hourly sums
	 * and in what prune keeps of the events it drops */
	"ALTER TABLE token_hours ADD COLUMN tokens_cached INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE token_hours ADD COLUMN tokens_cache_write INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events_pruned ADD COLUMN tokens_cached INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events_pruned ADD COLUMN tokens_cache_write INTEGER NOT NULL DEFAULT 0;"
	"DROP TRIGGER IF EXISTS token_hours_add;"
	"CREATE TRIGGER token_hours_add AFTER INSERT ON events"
	"  WHEN NEW.program = 'claw-chat' AND NEW.kind = 'turn' BEGIN"
	"  INSERT INTO token_hours(hour, turns, tokens_in, tokens_out, tokens_cached,"
	"    tokens_cache_write) VALUES(NEW.ts / 3600000, 1,"
	"    coalesce(json_extract(NEW.detail, '$.tokens_in'), 0),"
	"    coalesce(json_extract(NEW.detail, '$.tokens_out'), 0),"
	"    coalesce(json_extract(NEW.detail, '$.tokens_cached'), 0),"
	"    coalesce(json_extract(NEW.detail, '$.tokens_cache_write'), 0))"
	"  ON CONFLICT(hour) DO UPDATE SET turns = turns + 1,"
	"    tokens_in = tokens_in + excluded.tokens_in,"
	"    tokens_out = tokens_out + excluded.tokens_out,"
	"    tokens_cached = tokens_cached + excluded.tokens_cached,"
	"    tokens_cache_write = tokens_cache_write + excluded.tokens_cache_write;"
	"  END;",

	/* monitor II: the failed events alone, for the errors of the last hour that claw
	 * status and /metrics count (2 % of the rows, read without the table); and what
	 * each event's process spent (user+sys CPU ms since its previous event, peak RSS
	 * kB), so claw-monitor profile has CPU and memory for any past window */
	"CREATE INDEX IF NOT EXISTS events_failed ON events(ts, program, kind, ok) WHERE ok = 0;"
	"ALTER TABLE events ADD COLUMN cpu_ms INTEGER;"
	"ALTER TABLE events ADD COLUMN rss_kb INTEGER;",

	/* status II: the session used last, read from the end of an index rather than by
	 * sorting every session (0.7M instructions, a fifth of claw status, at 1,000) */
	"CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated);",

	/* the skills copy (claw.db-skills): the skill index, and claw-evolve's applied
	 * changes to skills, give the store a new token as config does, so a copy of
	 * what `claw-skill list` shows answers while neither changed.  claw-evolve
	 * inserts a cycle as running and applies it by an update; a foreign insert of
	 * an applied cycle (a test's) needs no claw function */
	"CREATE TRIGGER IF NOT EXISTS skills_touch_insert AFTER INSERT ON skills"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS skills_touch_update AFTER UPDATE ON skills"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS skills_touch_delete AFTER DELETE ON skills"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS cycles_touch_update AFTER UPDATE OF outcome, skill ON cycles"
	"  WHEN OLD.outcome = 'applied' OR NEW.outcome = 'applied'"
	"  BEGIN SELECT claw_config_touch(); END;"
	"CREATE TRIGGER IF NOT EXISTS cycles_touch_delete AFTER DELETE ON cycles"
	"  WHEN OLD.outcome = 'applied' BEGIN SELECT claw_config_touch(); END;",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_version(void) { return NMIGRATIONS; }

int
store_fail(sqlite3 *db, const char *what)
{
	int rc = db ? sqlite3_errcode(db) & 0xff : SQLITE_CANTOPEN;
	const char *why = db ? sqlite3_errmsg(db) : "out of memory";
	int code;

	switch (rc) {
	case SQLITE_CANTOPEN: case SQLITE_READONLY: case SQLITE_PERM:
		code = EX_CANTCREAT; break;
	case SQLITE_BUSY: case SQLITE_LOCKED:
		code = EX_TEMPFAIL; break;
	case SQLITE_NOTADB: case SQLITE_CORRUPT:
		return err_set(EX_SOFTWARE, "%s: %s: the store is damaged: " DAMAGED, what, why);
	case SQLITE_IOERR: case SQLITE_FULL:
		code = EX_IOERR; break;
	default:
		code = EX_SOFTWARE;
	}
	return err_set(code, "%s: %s", what, why);
}

int
store_step_done(sqlite3 *db, int step, const char *what)
{
	return step == SQLITE_DONE || step == SQLITE_ROW ? 0 : store_fail(db, what);
}

int
store_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(db, "store");
	return 0;
}

int
store_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return store_fail(db, "store");
	return 0;
}

int store_begin_write(sqlite3 *db) { return store_exec(db, "BEGIN IMMEDIATE"); }
int store_commit(sqlite3 *db) { return store_exec(db, "COMMIT"); }
void store_rollback(sqlite3 *db) { sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); }

int
store_end(sqlite3 *db, int rc)
{
	if (rc) {
		store_rollback(db);
		return rc;
	}
	if ((rc = store_commit(db)))
		store_rollback(db);
	return rc;
}

/* Before SQLite starts, once per process: no memory statistics.  With them on (the
 * default) every allocation takes a global mutex and counts, and Debian's SQLite is
 * built without lookaside, so parsing the schema on the first statement makes some
 * thousands of allocations: a sixth of `claw config get`'s instructions.  Nothing
 * here reads sqlite3_memory_used() or sets a soft heap limit.  And no mutex around
 * each call on a connection (multi-thread mode, a tenth of a long read's time): a
 * connection is only ever used by the thread that opened it (requests.c's workers
 * open their own) -- the rule store.h states.  And SQLite's memory from mem.c. */
static pthread_once_t configured = PTHREAD_ONCE_INIT;

static void
configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
#ifndef CLAW_SYSTEM_MALLOC
	sqlite3_config(SQLITE_CONFIG_MALLOC, &mem_methods);
#endif
}

int
store_token(sqlite3 *db, int *token)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(db, &st, "PRAGMA application_id")))
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*token = sqlite3_column_int(st, 0);
	rc = rc == SQLITE_ROW ? 0 : store_fail(db, "store");
	sqlite3_finalize(st);
	return rc;
}

/* claw_config_touch(), run by config's triggers inside the changing transaction: a
 * new token, never 0 (a store that never had one) and never the one it replaces.
 * Random, not counted: a change lost to a power cut must not hand its successor the
 * token a copy of the lost state may carry.  Two states share a token with a chance
 * of 2^-32 per change. */
static void
config_touch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	char sql[48];
	int old, t = 0;

	if (store_token(db, &old)) {
		sqlite3_result_error(ctx, err_msg(), -1);
		return;
	}
	if (getrandom(&t, sizeof t, 0) != sizeof t)
		t = (int)((unsigned)clock() ^ (unsigned)getpid() << 16);
	if (t == 0 || t == old)
		t = old + 1 ? old + 1 : 1;
	snprintf(sql, sizeof sql, "PRAGMA application_id=%d", t);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
	else
		sqlite3_result_null(ctx);
}

/* What every claw connection has before it may write. */
static int
functions(sqlite3 *db)
{
	return sqlite3_create_function(db, "claw_config_touch", 0, SQLITE_UTF8, NULL,
	    config_touch, NULL, NULL) == SQLITE_OK ? 0 : store_fail(db, "store");
}

/* The token as a reader would see it, from the files alone: no SQLite connection
 * and none of its locks.  The WAL is read as SQLite's recovery reads it
 * (store/wal.h); its last committed image of page 1 holds the token.  With none
 * (no WAL, an empty one, or no committed frame of page 1) the store file's header
 * is current: in WAL mode (header bytes 18 and 19 are 2) that file holds only
 * pages a checkpoint copied, all committed, and a checkpoint copies page 1 only
 * from a WAL that has it.  Whatever commits while this reads is a commit the
 * reader came before.  The WAL's header is read again after its frames: a WAL
 * started over meanwhile (new salts, frames overwritten) is not believed.  0, or
 * -1 to ask SQLite (a WAL over 1 MiB, or one it cannot read; rollback mode). */
#define WAL_READ_MAX (1 << 20)

static int
file_token(const char *path, int *token)
{
	char wal[PATH_MAX + 8];
	unsigned char h[100], again[32], *w = NULL;
	struct stat st;
	int fd, r = 0;
	ssize_t n;

	if (snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal)
		return -1;
	/* r: 1 the WAL's token, 0 the file's header, -1 ask SQLite. */
	if ((fd = file_open_regular(wal, &st)) >= 0) {
		r = st.st_size > WAL_READ_MAX ? -1 : st.st_size == 0 ? 0
		    : !(w = malloc((size_t)st.st_size))
		    || (n = pread(fd, w, (size_t)st.st_size, 0)) < 32
		    || pread(fd, again, sizeof again, 0) != (ssize_t)sizeof again
		    || memcmp(w, again, sizeof again) ? -1 : wal_token(w, (size_t)n, token);
		free(w);
		close(fd);
		if (r)
			return r > 0 ? 0 : -1;
	} else if (errno != ENOENT)
		return -1;
	if ((fd = file_open_regular(path, &st)) < 0)
		return -1;
	n = pread(fd, h, sizeof h, 0);
	close(fd);
	return n == (ssize_t)sizeof h ? wal_file_token(h, token) : -1;
}

int
store_peek_token(const char *path, int *token)
{
	sqlite3 *db = NULL;
	int rc = -1;

	if (file_token(path, token) == 0)
		return 0;
	pthread_once(&configured, configure);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL)
	    == SQLITE_OK) {
		sqlite3_extended_result_codes(db, 0);
		sqlite3_busy_timeout(db, BUSY_MS);
		sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		rc = store_token(db, token) ? -1 : 0;
	}
	sqlite3_close(db);
	return rc;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
migrate(sqlite3 *db, const char *path)
{
	char sql[64];
	int v, i;

	if (user_version(db, &v) < 0)
		return store_fail(db, path);
	if (v == NMIGRATIONS)
		return 0;
	if (store_begin_write(db))
		return store_fail(db, path);
	if (user_version(db, &v) < 0)
		goto fail;
	if (v > NMIGRATIONS)
		return store_end(db, err_set(EX_CONFIG,
		    "%s: schema version %d is newer than this claw (%d): upgrade claw",
		    path, v, NMIGRATIONS));
	for (i = v; i < NMIGRATIONS; i++)
		if (sqlite3_exec(db, migrations[i], NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", NMIGRATIONS);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (store_commit(db) == 0)
		return 0;
fail:
	return store_end(db, store_fail(db, path));
}

/* What is at path: 1 when nothing is (create it), 0 when it begins like a SQLite
 * database, else an exit code with err set.  An empty or foreign file is refused,
 * never created over: it is a store that was damaged, and its secrets with it. */
static int
inspect(const char *path)
{
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 1 : err_set(EX_CANTCREAT, "%s:", path);
	n = read(fd, head, sizeof head);
	close(fd);
	if (n < 0)
		return err_set(EX_IOERR, "%s:", path);
	if (n == 0)
		return err_set(EX_SOFTWARE, "%s: empty, not a store: " DAMAGED, path);
	if (n != sizeof head || memcmp(head, "SQLite format 3", sizeof head) != 0)
		return err_set(EX_SOFTWARE, "%s: not a SQLite store: " DAMAGED, path);
	return 0;
}

/* Create the store whole under a private name, then link() it into place, so
 * claw.db is never seen empty: of many first runs one link wins and the others
 * open the winner's.  We create the file ourselves, 0600: SQLite would use 0644,
 * and its -wal/-shm files copy the database's mode. */
static int
create(const char *path)
{
	char tmp[PATH_MAX + 32];
	sqlite3 *db = NULL;
	int fd, rc;

	if (snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return err_set(EX_CANTCREAT, "%s: path too long", path);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return err_set(errno == ENOSPC ? EX_IOERR : EX_CANTCREAT, "%s:", tmp);
	close(fd);
	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL)
	    != SQLITE_OK || (sqlite3_extended_result_codes(db, 0),
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) != SQLITE_OK) {
		rc = store_fail(db, tmp);
		goto out;
	}
	if ((rc = functions(db)))
		goto out;
	if ((rc = migrate(db, tmp)))
		goto out;
	/* The last close checkpoints the WAL into the file and removes it. */
	if (sqlite3_close(db) != SQLITE_OK) {
		rc = store_fail(db, tmp);
		goto out;
	}
	db = NULL;
	if (link(tmp, path) < 0 && errno != EEXIST)
		rc = err_set(errno == ENOSPC ? EX_IOERR : EX_CANTCREAT, "%s:", path);
out:
	sqlite3_close(db);
	unlink(tmp);
	return rc;
}

/* A process that opens the store alone replays the whole WAL (its index in -shm is
 * rebuilt), and so forgets what was checkpointed: SQLite's auto-checkpoint copies
 * every frame again at each commit past its mark, and the WAL starts over only
 * when the same connection writes once more after a checkpoint -- which processes
 * that commit once (config set, every telemetry flush) never do.  So the WAL grew
 * without end (1.2 MB, 300 frames read by every open after 150 sets).  Instead,
 * past WAL_FRAMES frames a commit checkpoints the whole WAL and truncates it,
 * never waiting for a reader (one busy now is checkpointed by a later commit). */
#define WAL_FRAMES 32

static void
truncate_wal(sqlite3 *db, const char *name, int busy_ms)
{
	sqlite3_busy_timeout(db, 0);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(db, busy_ms);
}

static int
wal_hook(void *busy_ms, sqlite3 *db, const char *name, int frames)
{
	if (frames >= WAL_FRAMES)
		truncate_wal(db, name, (int)(intptr_t)busy_ms);
	return SQLITE_OK;
}

void
store_checkpoint(sqlite3 *db)
{
	truncate_wal(db, NULL, BUSY_MS);
}

void
store_busy(sqlite3 *db, int ms)
{
	sqlite3_busy_timeout(db, ms);
	sqlite3_wal_hook(db, wal_hook, (void *)(intptr_t)ms);
}

int
store_open_path(sqlite3 **dbp, const char *path)
{
	sqlite3 *db = NULL;
	int rc, tries, v, wal;

	*dbp = NULL;
	pthread_once(&configured, configure);
	if ((rc = inspect(path)) == 1 && (rc = create(path)) == 0)
		rc = inspect(path);
	if (rc)
		return rc;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		rc = store_fail(db, path);
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, BUSY_MS);
	/* Leave checkpoints to SQLite's auto-checkpoint: a short-lived process
	 * should not pay a checkpoint and two fsyncs at every close. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (functions(db))
		goto fail;

	/* Read before anything may write: a garbage file fails here, untouched.  A
	 * store at this version was put in WAL mode by its migration (the mode is
	 * persistent), so the common open is this one read. */
	if (user_version(db, &v) < 0)
		goto fail;
	for (tries = 0; v != NMIGRATIONS; tries++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		rc = sqlite3_step(st);
		wal = rc == SQLITE_ROW &&
		    sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			goto fail;
		if (wal)
			break;
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if (rc == SQLITE_BUSY && tries < 100) {
			usleep(10000);
			continue;
		}
		if (rc != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
	    NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	store_busy(db, BUSY_MS);
	if ((rc = migrate(db, path))) {
		sqlite3_close(db);
		return rc;
	}
	*dbp = db;
	return 0;
fail:
	rc = store_fail(db, path);
	sqlite3_close(db);
	return rc;
}

int
store_open(sqlite3 **dbp)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = path_mkhome(NULL)) || (rc = path_in_home(path, sizeof path, "claw.db")))
		return rc;
	if ((rc = store_open_path(dbp, path)))
		return rc;
	/* Whoever opens the store folds in the rows that processes without it (an inetd
	 * gateway) spooled; a busy store leaves them for the next one. */
	if (telemetry_spooled()) {
		struct telemetry t;
		telemetry_init(&t, "claw");
		telemetry_flush(&t, *dbp);
		telemetry_free(&t);
	}
	return 0;
}

void
store_close(sqlite3 *db)
{
	sqlite3_close(db);
}

long long
store_int(sqlite3 *db, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (store_prepare(db, &st, sql))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		store_fail(db, what);
	sqlite3_finalize(st);
	return n;
}
