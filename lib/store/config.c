/* config: key validation, defaults, the CLAW_<KEY> override, and the config table. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"
#include "store/config.h"
#include "store/copy.h"
#include "store/secret.h"
#include "store/store.h"

enum type { T_STRING, T_MODEL, T_ONOFF, T_UINT, T_FRACTION, T_ADDR, T_URL, T_KIND, T_SECRET,
    T_POLICY, T_STREAM, T_SPEECH, T_STRATEGY, T_DISPATCH, T_VOICE, T_TOOLS, NTYPES };

/* The values a key of a choice type may take, separated by '|'. */
static const char *const choices[NTYPES] = {
	[T_POLICY] = "pairing|allowlist|open",
	[T_STREAM] = "off|edit",
	[T_STRATEGY] = "round-robin|least-loaded|random|weighted",
	[T_DISPATCH] = "local|cluster",
	[T_VOICE] = "auto|always|never",
	[T_TOOLS] = "auto|all|none",
};

static const struct key {
	const char *name;     /* '*' stands for one segment, e.g. a provider name */
	const char *dflt;
	enum type type;
} keys[] = {
	{ "cache.ttl", "0", T_UINT },
	/* channels (claw-channel): NAME is the channel, telegram or whatsapp */
	{ "channels.*.allow", NULL, T_STRING },
	{ "channels.*.api_version", "v23.0", T_STRING },
	{ "channels.*.app_secret", NULL, T_SECRET },
	{ "channels.*.base_url", NULL, T_URL },
	{ "channels.*.dm_policy", "pairing", T_POLICY },
	{ "channels.*.max_attempts", "5", T_UINT },
	{ "channels.*.media_max", "20971520", T_UINT },
	{ "channels.*.parallel", "8", T_UINT },
	{ "channels.*.phone_number_id", NULL, T_STRING },
	{ "channels.*.poll_timeout", "25", T_UINT },
	{ "channels.*.stream", "off", T_STREAM },
	{ "channels.*.token", NULL, T_SECRET },
	{ "channels.*.verify_token", NULL, T_SECRET },
	{ "channels.*.webhook_secret", NULL, T_SECRET },
	{ "channels.*.account", NULL, T_STRING },
	{ "channels.*.application_id", NULL, T_STRING },
	{ "channels.*.attachments", NULL, T_STRING },
	{ "channels.*.gateway_url", NULL, T_STRING },
	{ "channels.*.public_key", NULL, T_STRING },
	{ "channels.*.rpc", NULL, T_STRING },
	{ "channels.*.voice_reply", "auto", T_VOICE },    /* channels and voice */
	{ "chat.chain_limit", "8", T_UINT },
	{ "chat.idle_timeout", "120", T_UINT },
	{ "chat.max_tokens", NULL, T_UINT },      /* chat: unset = the provider's own */
	{ "chat.retries", "3", T_UINT },
	{ "cluster.strategy", "round-robin", T_STRATEGY },
	{ "context.keep_recent", "2000", T_UINT },
	{ "context.max_tokens", NULL, T_UINT },
	{ "evolve.innovation", "0.6", T_FRACTION },
	{ "evolve.max_files", "25", T_UINT },
	{ "evolve.max_lines", "2000", T_UINT },
	{ "evolve.slow_ms", "10000", T_UINT },
	{ "gateway.body_timeout", "30", T_UINT },
	{ "gateway.dispatch", "local", T_DISPATCH },
	{ "gateway.head_timeout", "10", T_UINT },
	{ "gateway.jwt_secret", NULL, T_SECRET },
	{ "gateway.listen", "127.0.0.1:3000", T_ADDR },
	{ "gateway.max_body", "1048576", T_UINT },
	{ "gateway.max_children", "32", T_UINT },
	{ "gateway.max_per_peer", "64", T_UINT },
	{ "gateway.rate", "60", T_UINT },
	{ "model", "ollama/llama3.2", T_MODEL },
	{ "node.listen", "127.0.0.1:7077", T_ADDR },
	{ "node.max_children", "32", T_UINT },
	{ "node.name", NULL, T_STRING },
	{ "node.timeout", "10", T_UINT },
	/* monitor (claw-monitor prune): how long events are kept; 0 keeps them */
	{ "monitor.retention_days", "30", T_UINT },
	{ "providers.*.api_key", NULL, T_SECRET },
	{ "providers.*.base_url", NULL, T_URL },
	{ "providers.*.kind", "openai", T_KIND },
	{ "skills.data_max", "67108864", T_UINT },
	/* voice (media): off, local[/ENGINE[:VOICE]], or provider/model[:voice] */
	{ "stt", "off", T_SPEECH },
	{ "tts", "off", T_SPEECH },
	{ "thinking", "off", T_ONOFF },
	/* tools (claw-chat): which skills a turn offers, and how many */
	{ "tools.always", NULL, T_STRING },   /* skill names offered every turn */
	{ "tools.max", "6", T_UINT },
	{ "tools.max_chars", "3000", T_UINT },
	{ "tools.mode", "auto", T_TOOLS },
	{ "tools.recent", "3", T_UINT },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Namespaces whose other keys are accepted as free-form strings. */
static const char *const open_prefixes[] = {
	"providers.", "skills.", "channels.", "gateway.", "evolve.", "context.", "cache.",
};

/* The built-in providers' public endpoints and wire formats. */
static const struct provider {
	const char *name, *base_url, *kind;
} providers[] = {
	{ "anthropic", "https://api.anthropic.com/v1", "anthropic" },
	{ "deepseek", "https://api.deepseek.com/v1", "openai" },
	{ "elevenlabs", "https://api.elevenlabs.io/v1", "openai" },   /* tts only */
	{ "ollama", "http://127.0.0.1:11434/v1", "openai" },
	{ "openai", "https://api.openai.com/v1", "openai" },
};

/* Does key match pattern, with '*' standing for exactly one non-empty segment? */
static int
key_match(const char *pat, const char *key)
{
	while (*pat && *key) {
		if (*pat == '*') {
			const char *dot = strchr(key, '.');
			if (!dot || dot == key)
				return 0;
			key = dot;
			pat++;
			continue;
		}
		if (*pat++ != *key++)
			return 0;
	}
	return *pat == '\0' && *key == '\0';
}

static const struct key *
find_key(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (key_match(keys[i].name, key))
			return &keys[i];
	return NULL;
}

static int
valid_name(const char *key)
{
	const char *s;

	if (!*key || *key == '.' || strlen(key) > 200)
		return 0;
	for (s = key; *s; s++) {
		if (*s == '.' && (s[1] == '.' || s[1] == '\0'))
			return 0;
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("._-", *s))
			return 0;
	}
	return 1;
}

static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[256];

	if (la > 200 || lb > 200)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best) best = up + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The known key nearest to key, with a pattern's '*' filled from key when it can be. */
static void
nearest(const char *key, char *dst, size_t n)
{
	size_t i, best = (size_t)-1;
	const char *seg = strchr(key, '.');
	char mid[64] = "NAME";

	if (seg && strchr(seg + 1, '.')) {
		size_t len = (size_t)(strchr(seg + 1, '.') - seg - 1);
		if (len > 0 && len < sizeof mid)
			snprintf(mid, sizeof mid, "%.*s", (int)len, seg + 1);
	}
	dst[0] = '\0';
	for (i = 0; i < NKEYS; i++) {
		char cand[256];
		const char *star = strchr(keys[i].name, '*');
		size_t d;
		if (star)
			snprintf(cand, sizeof cand, "%.*s%s%s", (int)(star - keys[i].name),
			    keys[i].name, mid, star + 1);
		else
			snprintf(cand, sizeof cand, "%s", keys[i].name);
		if ((d = distance(key, cand)) < best) {
			best = d;
			snprintf(dst, n, "%s", cand);
		}
	}
}

int
config_check_key(const char *key)
{
	char near[256];
	size_t i;

	if (valid_name(key)) {
		if (find_key(key))
			return 0;
		for (i = 0; i < sizeof open_prefixes / sizeof open_prefixes[0]; i++)
			if (strncmp(key, open_prefixes[i], strlen(open_prefixes[i])) == 0)
				return 0;
	}
	nearest(key, near, sizeof near);
	return err_set(EX_CONFIG, "%.200s: unknown key (did you mean '%s'?)", key, near);
}

int
config_is_secret(const char *key)
{
	const struct key *k = find_key(key);
	const char *last = strrchr(key, '.');

	if (k)
		return k->type == T_SECRET;
	last = last ? last + 1 : key;
	return strstr(last, "api_key") || strstr(last, "secret") || strstr(last, "token");
}

static int
valid_model(const char *v)
{
	const char *s = v;

	for (;;) {
		const char *p = s, *end = s + strcspn(s, ",");
		while (p < end &&
		    (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		    *p == '_'))
			p++;
		if (p == s || p >= end || *p != '/' || p + 1 >= end)
			return 0;
		for (p++; p < end; p++)
			if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
				return 0;
		if (!*end)
			return 1;
		s = end + 1;
	}
}

static int
valid_uint(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && n <= 9 && v[n] == '\0';
}

static int
valid_fraction(const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	return *v && !isspace((unsigned char)*v) && *end == '\0' && errno == 0 && d >= 0 && d <= 1;
}

static int
valid_addr(const char *v)
{
	char host[256], why[96];
	unsigned port;

	/* Port 0 (any free one) suits --listen, not an address clients are told. */
	return addr_split(v, host, sizeof host, &port, why, sizeof why) == 0 && port > 0;
}

/* Is value one of the '|'-separated choices? */
static int
choice(const char *list, const char *value)
{
	size_t n = strlen(value);

	while (*list) {
		size_t c = strcspn(list, "|");
		if (c == n && strncmp(list, value, n) == 0)
			return 1;
		list += c + (list[c] == '|');
	}
	return 0;
}

int
config_check(const char *key, const char *value)
{
	const struct key *k;
	int rc;
	const char *want = NULL;

	if ((rc = config_check_key(key)))
		return rc;
	if (!(k = find_key(key)))
		return 0;
	switch (k->type) {
	case T_MODEL: if (!valid_model(value)) want = "provider/model[,provider/model...]"; break;
	case T_ONOFF: if (strcmp(value, "on") && strcmp(value, "off")) want = "on or off"; break;
	case T_UINT: if (!valid_uint(value)) want = "a whole number"; break;
	case T_FRACTION: if (!valid_fraction(value)) want = "a number from 0 to 1"; break;
	case T_ADDR: if (!valid_addr(value)) want = "ADDRESS:PORT"; break;
	case T_URL:
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
			want = "an http:// or https:// URL";
		break;
	case T_KIND:
		if (strcmp(value, "openai") && strcmp(value, "anthropic"))
			want = "openai or anthropic";
		break;
	case T_SECRET: if (!*value) want = "a non-empty value"; break;
	case T_POLICY: case T_STREAM: case T_STRATEGY: case T_DISPATCH: case T_VOICE: case T_TOOLS:
		if (!choice(choices[k->type], value))
			want = choices[k->type];
		break;
	case T_SPEECH:
		if (strcmp(value, "off") && strcmp(value, "local") && (strchr(value, ',')
		    || !valid_model(value)))
			want = "off, local, local/ENGINE[:VOICE] or provider/model[:voice]";
		break;
	case NTYPES: break;
	case T_STRING: break;
	}
	if (want)
		return err_set(EX_CONFIG, "%s: bad value '%.100s': want %s", key, value, want);
	return 0;
}

const char *
config_default(const char *key)
{
	const struct key *k = find_key(key);
	size_t i;

	if (!k)
		return NULL;
	if (strncmp(key, "providers.", 10) == 0)
		for (i = 0; i < sizeof providers / sizeof providers[0]; i++) {
			size_t n = strlen(providers[i].name);
			if (strncmp(key + 10, providers[i].name, n) || key[10 + n] != '.')
				continue;
			if (strcmp(key + 11 + n, "base_url") == 0)
				return providers[i].base_url;
			if (strcmp(key + 11 + n, "kind") == 0)
				return providers[i].kind;
		}
	return k->dflt;
}

void
config_env_name(const char *key, char *dst, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if ((i = (size_t)snprintf(dst, n, "CLAW_")) >= n)
		return;         /* cut short, and terminated, by snprintf */
	for (; *key && i + 1 < n; key++, i++)
		dst[i] = (*key == '.' || *key == '-') ? '_' : (char)toupper((unsigned char)*key);
	dst[i] = '\0';
}

const char *
config_source_name(enum config_source src)
{
	return src == CONFIG_ENV ? "env" : src == CONFIG_STORE ? "store" : "default";
}

/* The stored value of key, opened when sealed: 0, EX_NORESULT or an error. */
static int
stored(sqlite3 *db, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	if ((rc = store_prepare(db, &st, "SELECT value, secret FROM config WHERE key = ?")))
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_int(st, 1))
			rc = secret_open(v, value);
		else
			rc = (*value = strdup(v)) ? 0 : err_set(EX_SOFTWARE, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = EX_NORESULT;
	} else {
		rc = store_fail(db, "config");
	}
	sqlite3_finalize(st);
	return rc;
}

/* --- the copy of config: $CLAW_HOME/claw.db-config (store/copy.h) ---
 *
 * What `claw config get` reads instead of the store, when it may: parsing the
 * store's whole schema on the first statement was most of its run.  The body is
 * records "KLEN VLEN SECRET\n" KEY VALUE "\n" (a sealed value is left out: SECRET 1,
 * VLEN 0), read in the transaction that changed config (or one of its own) with the
 * token.  A change since, a crash or power cut between the copy and the commit, a
 * torn or foreign file, a store file written since all send the reader to the store. */

#define COPY_NAME "claw.db-config"
#define COPY_MAGIC "claw-config 1"
#define COPY_MAX (1 << 20)

void
config_copy(sqlite3 *db)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int token, r = SQLITE_DONE;

	if (store_token(db, &token)
	    || store_prepare(db, &st, "SELECT key, value, secret FROM config ORDER BY key"))
		return;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		int sealed = sqlite3_column_int(st, 2) != 0;
		if (!k || !v)
			break;
		buf_printf(&b, "%zu %zu %d\n", strlen(k), sealed ? (size_t)0 : strlen(v), sealed);
		buf_adds(&b, k);
		if (!sealed)
			buf_adds(&b, v);
		buf_addc(&b, '\n');
	}
	sqlite3_finalize(st);
	if (r == SQLITE_DONE && !b.oom && b.len <= COPY_MAX)
		store_copy_write(COPY_NAME, COPY_MAGIC, token, b.p, b.len);
	buf_free(&b);
}

int
config_copy_refresh(sqlite3 *db)
{
	/* One read transaction: the token and the rows of one state. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(db, "config");
	config_copy(db);
	return store_end(db, 0);
}

/* The copy's record for key in the records [p, end): 1 with *v (not terminated) and
 * *vn, or 2 when it is stored sealed (no value); 0 when the copy says it is not
 * stored, -1 when a record does not parse.  p[end - p] is readable: strtoull stops
 * there. */
static int
copy_find(const char *p, const char *end, const char *key, const char **v, size_t *vn)
{
	size_t kn = strlen(key);

	while (p < end) {
		char *e;
		unsigned long long a, c;
		long sealed;
		if (!isdigit((unsigned char)*p))
			return -1;
		a = strtoull(p, &e, 10);
		if (*e != ' ' || !isdigit((unsigned char)e[1]))
			return -1;
		c = strtoull(e + 1, &e, 10);
		if (*e != ' ' || (e[1] != '0' && e[1] != '1'))
			return -1;
		sealed = strtol(e + 1, &e, 10);
		if (*e != '\n' || e >= end)
			return -1;
		p = e + 1;
		if (a > (size_t)(end - p) || c >= (size_t)(end - p) - a || p[a + c] != '\n')
			return -1;
		if (a == kn && memcmp(p, key, kn) == 0) {
			if (sealed)
				return 2;
			*v = p + a;
			*vn = c;
			return 1;
		}
		p += a + c + 1;
	}
	return 0;
}

int
config_copy_lookup(const char *text, size_t n, const char *key, int *token, const char **v,
    size_t *vn)
{
	const char *body;
	size_t len;
	int found;

	if (store_copy_parse(text, n, COPY_MAGIC, token, &body, &len))
		return -1;
	return (found = copy_find(body, body + len, key, v, vn)) == 2 ? -1 : found;
}

int
config_stored(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(db, &st, "SELECT 1 FROM config WHERE key = ?"))
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW || rc == SQLITE_DONE)
		rc = rc == SQLITE_ROW;
	else
		rc = (store_fail(db, "config"), -1);
	sqlite3_finalize(st);
	return rc;
}

int
config_stored_copy(const char *key, int token)
{
	struct buf text = BUF_INIT;
	const char *body, *v;
	size_t len, vn;
	int want, found = -1;

	if (store_copy_read(COPY_NAME, COPY_MAX + 128, &text) == 0
	    && store_copy_parse(text.p, text.len, COPY_MAGIC, &want, &body, &len) == 0
	    && want == token)
		found = copy_find(body, body + len, key, &v, &vn);
	buf_free(&text);
	return found < 0 ? -1 : found > 0;
}

/* config_get_cached, or with known, the token of the store as the caller has just
 * read it. */
static int
get_copy(const char *key, const int *known, char **value, enum config_source *src)
{
	char path[PATH_MAX], env[256];
	struct buf text = BUF_INIT;
	const char *d, *v = NULL;
	int rc = -1, token, want, found;
	size_t vn = 0;

	*value = NULL;
	config_env_name(key, env, sizeof env);
	if (getenv(env))
		return config_get(NULL, key, value, src);
	/* The copy is whole and younger than the store file; is it current?  The
	 * store's token at this moment. */
	if (store_copy_read(COPY_NAME, COPY_MAX + 128, &text)
	    || (found = config_copy_lookup(text.p, text.len, key, &want, &v, &vn)) < 0
	    || (known ? (token = *known, 0) : path_in_home(path, sizeof path, "claw.db")
	    || store_peek_token(path, &token)) || want != token)
		goto out;
	d = found ? NULL : config_default(key);
	if (!found && !d) {
		rc = EX_NORESULT;
		goto out;
	}
	if (!(*value = found ? strndup(v, vn) : strdup(d))) {
		rc = err_set(EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (src)
		*src = found ? CONFIG_STORE : CONFIG_DEFAULT;
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

int
config_get_cached(const char *key, char **value, enum config_source *src)
{
	return get_copy(key, NULL, value, src);
}

int
config_get_copy(const char *key, int token, char **value, enum config_source *src)
{
	return get_copy(key, &token, value, src);
}

int
config_get(sqlite3 *db, const char *key, char **value, enum config_source *src)
{
	char env[256];
	const char *e, *d;
	int rc;

	*value = NULL;
	config_env_name(key, env, sizeof env);
	if ((e = getenv(env))) {
		if (src) *src = CONFIG_ENV;
		return (*value = strdup(e)) ? 0 : err_set(EX_SOFTWARE, "out of memory");
	}
	if (db && (rc = stored(db, key, value)) != EX_NORESULT) {
		if (src) *src = CONFIG_STORE;
		return rc;
	}
	if ((d = config_default(key))) {
		if (src) *src = CONFIG_DEFAULT;
		return (*value = strdup(d)) ? 0 : err_set(EX_SOFTWARE, "out of memory");
	}
	return EX_NORESULT;
}

int
config_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	char *sealed = NULL;
	int secret = config_is_secret(key), rc;

	if ((rc = config_check(key, value)))
		return rc;
	if (secret && (rc = secret_seal(value, &sealed)))
		return rc;
	if ((rc = store_begin_write(db)))
		goto out;
	if (!(rc = store_prepare(db, &st,
	    "INSERT INTO config(key, value, secret, updated) VALUES(?, ?, ?, ?)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value, secret = excluded.secret,"
	    " updated = excluded.updated"))) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, secret ? sealed : value, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, secret);
		sqlite3_bind_int64(st, 4, clock_wall_ms());
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_fail(db, "config");
		sqlite3_finalize(st);
	}
	if (!rc)
		config_copy(db);
	rc = store_end(db, rc);
out:
	free(sealed);
	return rc;
}

int
config_unset(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = config_check_key(key)))
		return rc;
	if ((rc = store_begin_write(db)))
		return rc;
	if (!(rc = store_prepare(db, &st, "DELETE FROM config WHERE key = ?"))) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_fail(db, "config");
		else if (!sqlite3_changes(db))
			rc = EX_NORESULT;       /* rolled back: there was nothing to delete */
		sqlite3_finalize(st);
	}
	if (!rc)
		config_copy(db);
	return store_end(db, rc);
}

struct row {
	char *key, *value;
	enum config_source src;
	int secret;
};

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

static int
add_row(struct row **rows, size_t *n, const char *key, const char *value, enum config_source src)
{
	struct row *r;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*rows)[i].key, key) == 0)
			break;
	if (i == *n) {
		if (!(r = realloc(*rows, (*n + 1) * sizeof *r)))
			return err_set(EX_SOFTWARE, "out of memory");
		*rows = r;
		r[i].key = strdup(key);
		r[i].value = NULL;
		(*n)++;
	}
	r = &(*rows)[i];
	free(r->value);
	r->secret = config_is_secret(key);
	r->value = value && !r->secret ? strdup(value) : NULL;
	r->src = src;
	return r->key ? 0 : err_set(EX_SOFTWARE, "out of memory");
}

extern char **environ;

int
config_list(sqlite3 *db, config_fn *fn, void *ctx)
{
	struct row *rows = NULL;
	size_t n = 0, i;
	sqlite3_stmt *st;
	char **e;
	int rc = 0;

	for (i = 0; i < NKEYS && !rc; i++)
		if (!strchr(keys[i].name, '*') && keys[i].dflt)
			rc = add_row(&rows, &n, keys[i].name, keys[i].dflt, CONFIG_DEFAULT);
	if (!rc && db && !(rc = store_prepare(db, &st, "SELECT key, value FROM config"))) {
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
			rc = add_row(&rows, &n, (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1), CONFIG_STORE);
		if (!rc)
			rc = store_step_done(db, r, "config");
		sqlite3_finalize(st);
	}
	/* An environment override shows under its key; a key is found by its name. */
	for (i = 0; !rc && i < n; i++) {
		char env[256];
		const char *v;
		config_env_name(rows[i].key, env, sizeof env);
		if ((v = getenv(env)))
			rc = add_row(&rows, &n, rows[i].key, v, CONFIG_ENV);
	}
	for (e = environ; !rc && *e; e++) {
		const struct key *k;
		char name[256], *eq;
		if (strncmp(*e, "CLAW_", 5) || !(eq = strchr(*e, '=')))
			continue;
		for (k = keys; k < keys + NKEYS; k++) {
			char env[256];
			if (strchr(k->name, '*'))
				continue;
			config_env_name(k->name, env, sizeof env);
			if ((size_t)(eq - *e) == strlen(env) &&
			    strncmp(*e, env, strlen(env)) == 0) {
				snprintf(name, sizeof name, "%s", k->name);
				rc = add_row(&rows, &n, name, eq + 1, CONFIG_ENV);
			}
		}
	}
	qsort(rows, n, sizeof *rows, row_cmp);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = fn(rows[i].key, rows[i].value, rows[i].src, rows[i].secret, ctx);
		free(rows[i].key);
		free(rows[i].value);
	}
	free(rows);
	return rc;
}
