/* cache: SHA-256 of the canonical (sorted-key) request text → the answer. */
#include <sodium.h>

#include "base/clock.h"
#include "chat/cache.h"
#include "base/err.h"
#include "store/store.h"

void
cache_key(jv request, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	jv s = jv_dump_string(jv_copy(request), JV_PRINT_SORTED);

	crypto_hash_sha256(h, (const unsigned char *)jv_string_value(s),
	    (unsigned long long)jv_string_length_bytes(jv_copy(s)));
	sodium_bin2hex(hex, 65, h, sizeof h);
	jv_free(s);
}

int
cache_get(sqlite3 *db, const char *key, long ttl, jv *answer)
{
	sqlite3_stmt *st;
	int rc;

	*answer = jv_null();
	if ((rc = store_prepare(db, &st, "SELECT answer FROM cache WHERE key = ? AND ts >= ?")))
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ttl > 0 ? clock_wall_ms() - (long long)ttl * 1000 : 0);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		rc = rc == SQLITE_DONE ? EX_NORESULT : store_fail(db, "cache");
	else {
		rc = EX_NORESULT;
		*answer = jv_parse((const char *)sqlite3_column_text(st, 0));
		if (jv_get_kind(*answer) == JV_KIND_OBJECT)
			rc = 0;
		else {
			jv_free(*answer);
			*answer = jv_null();
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
cache_put(sqlite3 *db, const char *key, jv answer)
{
	jv s = jv_dump_string(jv_copy(answer), 0);
	sqlite3_stmt *st;
	int rc;

	if (!(rc = store_prepare(db, &st,
	    "INSERT OR REPLACE INTO cache(key, ts, answer) VALUES(?, ?, ?)"))) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, clock_wall_ms());
		sqlite3_bind_text(st, 3, jv_string_value(s), -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(db, "cache");
		sqlite3_finalize(st);
	}
	jv_free(s);
	return rc;
}
