/* auth: the rate counts are fixed one-minute windows keyed by a hash of the
 * token, so the token itself is never kept, not even in memory. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/err.h"
#include "gateway/auth.h"
#include "gateway/reply.h"
#include "net/jwt.h"
#include "store/store.h"

static int
bearer(const struct http_req *r, const char **tok, size_t *n)
{
	size_t vlen;
	const char *v = http_header(r, "authorization", &vlen);

	if (!v)
		return 0;
	if (vlen < 7 || strncasecmp(v, "bearer ", 7) != 0)
		return -1;
	v += 7, vlen -= 7;
	while (vlen && *v == ' ')
		v++, vlen--;
	*tok = v;
	*n = vlen;
	return vlen ? 1 : -1;
}

/* Fixed one-minute windows; the count of a token in the current one, after this request. */
static long
count_memory(struct gw *g, const unsigned char key[16], long long window)
{
	size_t i, h = ((size_t)key[0] | (size_t)key[1] << 8) % GW_RATESLOTS, victim = h;

	for (i = 0; i < GW_RATESLOTS; i++) {
		struct gw_rate *s = &g->rates[(h + i) % GW_RATESLOTS];
		if (memcmp(s->key, key, 16) == 0 && s->window == window)
			return ++s->count;
		if (s->window != window) {       /* free, or a past minute's: take it */
			victim = (h + i) % GW_RATESLOTS;
			break;
		}
	}
	memcpy(g->rates[victim].key, key, 16);
	g->rates[victim].window = window;
	return g->rates[victim].count = 1;
}

static long
count_store(struct gw *g, const unsigned char key[16], long long window)
{
	sqlite3_stmt *st;
	long n = -1;

	if (store_prepare(g->db, &st,
	    "INSERT INTO gateway_rate(key, window, count) VALUES(?1, ?2, 1)"
	    " ON CONFLICT(key) DO UPDATE SET"
	    " count = CASE WHEN window = ?2 THEN count + 1 ELSE 1 END,"
	    " window = ?2 RETURNING count"))
		return -1;
	sqlite3_bind_blob(st, 1, key, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, window);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* 0 when the request may go on, else the answer is in o. */
int
gw_authorize(struct gw *g, const struct http_req *r, const char *scope, struct gw_out *o)
{
	struct jwt_claims c;
	const char *tok = NULL, *why;
	unsigned char key[16];
	long long now = clock_wall_ms() / 1000;
	size_t n = 0;
	long count;
	int b, rc = 0;

	/* The store may not have been open yet. */
	if (!g->secret && ((rc = gw_store(g)) || !g->secret)) {
		if (rc && rc != EX_TEMPFAIL)
			gw_error(o, 500, "the store cannot be opened: see the gateway's log");
		else
			gw_error(o, 503, g->db
			    ? "no gateway.jwt_secret: run claw-gateway start once,"
			    " or claw config set gateway.jwt_secret=SECRET"
			    : "the store cannot be opened to read gateway.jwt_secret: try again");
		return -1;
	}
	if ((b = bearer(r, &tok, &n)) == 0) {
		gw_error_extra(o, 401, "missing bearer token: send Authorization: Bearer TOKEN"
		    " (claw-gateway token mints one)", "WWW-Authenticate: Bearer\r\n");
		return -1;
	}
	if (b < 0) {
		gw_error_extra(o, 401, "malformed Authorization header: want Bearer TOKEN",
		    "WWW-Authenticate: Bearer error=\"invalid_request\"\r\n");
		return -1;
	}
	if (jwt_verify(g->secret, strlen(g->secret), tok, n, now, &c, &why)) {
		gw_error_extra(o, 401, why, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
		return -1;
	}
	if (!jwt_scope(&c, scope)) {
		char m[96];
		snprintf(m, sizeof m, "this token's scope does not include %s", scope);
		gw_error_extra(o, 403, m,
		    "WWW-Authenticate: Bearer error=\"insufficient_scope\"\r\n");
		return -1;
	}
	if (g->inetd && (rc = gw_store(g))) {      /* the stored gateway.rate, and its counts */
		gw_error(o, rc == EX_TEMPFAIL ? 503 : 500, rc == EX_TEMPFAIL
		    ? "the store cannot be opened: try again"
		    : "the store cannot be opened: see the gateway's log");
		return -1;
	}
	if (g->rate <= 0)
		return 0;
	crypto_generichash(key, sizeof key, (const unsigned char *)tok, n, NULL, 0);
	if (g->inetd) {
		if ((count = count_store(g, key, now / 60)) < 0) {
			gw_error(o, 503, "the store is busy: try again");
			return -1;
		}
	} else
		count = count_memory(g, key, now / 60);
	if (count > g->rate) {
		char extra[48], m[96];
		snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", 60 - now % 60);
		snprintf(m, sizeof m, "over %ld requests a minute for this token (gateway.rate)",
		    g->rate);
		gw_error_extra(o, 429, m, extra);
		return -1;
	}
	return 0;
}
