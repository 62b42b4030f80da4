/* jwt: HS256 with libsodium's HMAC-SHA256 and lib/json.c's checks, no libjq.  The
 * claims are read only once the signature holds: before that the token is noise. */
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/json.h"
#include "net/jwt.h"

#define B64      sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MACLEN   crypto_auth_hmacsha256_BYTES
#define MAXTIME  1e12           /* seconds: the year 33658, past any honest claim */
#define NUMLEN   64             /* a longer number is no honest claim either */

/* base64url of {"alg":"HS256","typ":"JWT"}, the one header we sign with. */
static const char header64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static const char malformed[] = "malformed token", bad_claims[] = "bad claims";

/* The one-shot crypto_auth_hmacsha256() takes only a 32-byte key; a JWT secret
 * has any length, so HMAC through the init/update/final calls. */
static void
hmac(const void *key, size_t keylen, const char *p, size_t n, unsigned char out[MACLEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)p, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);         /* it holds the key's pads */
}

static void
add64(struct buf *b, const void *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, B64);

	if (buf_grow(b, len) < 0)
		return;
	sodium_bin2base64(b->p + b->len, len, p, n, B64);
	b->len += len - 1;
}

/* One segment: unpadded, canonical base64url (RFC 7515 §2); '=', whitespace and
 * stray low bits are refused by libsodium itself. */
static int
decode64(void *dst, size_t cap, const char *p, size_t n, size_t *len)
{
	return sodium_base642bin(dst, cap, p, n, NULL, len, NULL, B64) == 0;
}

/* Valid JSON text whose value is an object. */
static int
is_object(const char *p, size_t n)
{
	char why[8];

	if (!json_valid(p, n, why, sizeof why))
		return 0;
	while (*p && strchr(" \t\r\n", *p))
		p++;    /* stops at the value json_valid found, at the latest */
	return *p == '{';
}

int
jwt_sign(const void *key, size_t keylen, const char *payload, size_t n, struct buf *out)
{
	unsigned char sig[MACLEN];
	size_t start = out->len;

	if (sodium_init() < 0)
		return err_set(EX_SOFTWARE, "libsodium: cannot initialise");
	if (keylen == 0)
		return err_set(EX_CONFIG, "jwt: the signing key is empty");
	if (!is_object(payload, n))
		return err_set(EX_DATAERR, "jwt: the payload is not a JSON object");
	if (n > JWT_MAXLEN || sizeof header64 + sodium_base64_ENCODED_LEN(n, B64)
	    + sodium_base64_ENCODED_LEN(MACLEN, B64) - 1 > JWT_MAXLEN)
		return err_set(EX_DATAERR, "jwt: the payload makes a token longer than %d bytes",
		    JWT_MAXLEN);
	buf_add(out, header64, sizeof header64 - 1);
	buf_addc(out, '.');
	add64(out, payload, n);
	if (out->oom)
		return err_set(EX_SOFTWARE, "out of memory");
	hmac(key, keylen, out->p + start, out->len - start, sig);
	buf_addc(out, '.');
	add64(out, sig, sizeof sig);
	return out->oom ? err_set(EX_SOFTWARE, "out of memory") : 0;
}

/* The JOSE header: an object naming HS256 and no extension we would have to
 * understand (RFC 7515 §4.1.11: a "crit" we cannot honour makes the token invalid). */
static const char *
check_header(const char *h, size_t n)
{
	const char *v;
	size_t vn;

	if (!is_object(h, n))
		return malformed;
	if (!json_member(h, n, "alg", &v, &vn) || vn != 7 || memcmp(v, "\"HS256\"", 7))
		return "alg must be HS256";
	if (json_member(h, n, "crit", &v, &vn))
		return malformed;
	if (json_member(h, n, "typ", &v, &vn) && *v != '"')
		return malformed;
	return NULL;
}

/* A JSON number as whole seconds, rounded down, or up when up: 0, or -1 for
 * anything else, a negative number or one past MAXTIME.  strtod reads JSON's
 * numbers as written since claw's programs keep the C locale. */
static int
seconds(const char *v, size_t vn, int up, long long *out)
{
	char num[NUMLEN], *end;
	double d;

	if (vn == 0 || vn >= sizeof num || *v < '0' || *v > '9')
		return -1;
	memcpy(num, v, vn);
	num[vn] = '\0';
	d = strtod(num, &end);
	if (end != num + vn || !(d <= MAXTIME))
		return -1;
	*out = (long long)d;
	if (up && d > (double)*out)
		(*out)++;
	return 0;
}

static int
time_claim(const char *p, size_t n, const char *key, int up, long long *out)
{
	const char *v;
	size_t vn;

	return json_member(p, n, key, &v, &vn) ? seconds(v, vn, up, out) : 0;
}

/* Append the JSON string literal v to dst, which holds *len bytes: 0, or -1 when
 * v is not a string, decodes to a NUL (which would cut a C string short) or does
 * not fit.  Only a string with escapes costs an allocation. */
static int
append_str(char *dst, size_t dstlen, size_t *len, const char *v, size_t vn)
{
	struct buf b = BUF_INIT;
	const char *s;
	size_t sn;
	int rc = -1;

	if (vn < 2 || *v != '"')
		return -1;
	s = v + 1, sn = vn - 2;
	if (memchr(v, '\\', vn)) {
		if (!json_str_decode(v, vn, &b))
			goto out;
		s = b.p, sn = b.len;
	}
	if (sn >= dstlen - *len || (sn && memchr(s, '\0', sn)))
		goto out;
	if (sn)
		memcpy(dst + *len, s, sn);
	*len += sn;
	dst[*len] = '\0';
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* scope: a string as it is, or an array of strings joined with spaces. */
static int
scope_claim(const char *p, size_t n, char *dst, size_t dstlen)
{
	const char *v, *e;
	size_t vn, en, off = 0, len = 0;

	if (!json_member(p, n, "scope", &v, &vn))
		return 0;
	if (*v != '[')
		return append_str(dst, dstlen, &len, v, vn);
	while (json_array_next(v, vn, &off, &e, &en))
		if ((len && append_str(dst, dstlen, &len, "\" \"", 3) < 0)    /* a space */
		    || append_str(dst, dstlen, &len, e, en) < 0)
			return -1;
	return 0;
}

static const char *
check_claims(const char *p, size_t n, long long now, struct jwt_claims *c)
{
	const char *v;
	size_t vn, len = 0;

	if (!is_object(p, n))
		return bad_claims;
	if (!json_member(p, n, "exp", &v, &vn))
		return "no exp claim";
	if (seconds(v, vn, 0, &c->exp) < 0 || time_claim(p, n, "nbf", 1, &c->nbf) < 0
	    || time_claim(p, n, "iat", 0, &c->iat) < 0
	    || scope_claim(p, n, c->scope, sizeof c->scope) < 0
	    || (json_member(p, n, "sub", &v, &vn)
	    && append_str(c->sub, sizeof c->sub, &len, v, vn) < 0))
		return bad_claims;
	if (now > c->exp + JWT_LEEWAY)
		return "token expired";
	if (now + JWT_LEEWAY < c->nbf)
		return "token not yet valid";
	return NULL;
}

static int
refuse(const char **why, const char *reason, struct jwt_claims *c)
{
	memset(c, 0, sizeof *c);
	if (why)
		*why = reason;
	return -1;
}

int
jwt_verify(const void *key, size_t keylen, const char *tok, size_t n, long long now,
    struct jwt_claims *c, const char **why)
{
	char text[JWT_MAXLEN];  /* the header, then the payload: each is shorter than tok */
	unsigned char sig[MACLEN], want[MACLEN];
	const char *dot1, *dot2, *reason;
	size_t len, siglen;
	int match;

	memset(c, 0, sizeof *c);
	if (n > JWT_MAXLEN)
		return refuse(why, "token too long", c);
	if (sodium_init() < 0 || !(dot1 = memchr(tok, '.', n))
	    || !(dot2 = memchr(dot1 + 1, '.', (size_t)(tok + n - dot1 - 1)))
	    || memchr(dot2 + 1, '.', (size_t)(tok + n - dot2 - 1)))
		return refuse(why, malformed, c);
	if (!decode64(text, sizeof text, tok, (size_t)(dot1 - tok), &len))
		return refuse(why, malformed, c);
	if ((reason = check_header(text, len)))
		return refuse(why, reason, c);
	if (!decode64(sig, sizeof sig, dot2 + 1, (size_t)(tok + n - dot2 - 1), &siglen))
		return refuse(why, malformed, c);
	if (siglen != MACLEN || keylen == 0)
		return refuse(why, "bad signature", c);
	hmac(key, keylen, tok, (size_t)(dot2 - tok), want);
	match = crypto_verify_32(sig, want) == 0;
	sodium_memzero(want, sizeof want);
	if (!match)
		return refuse(why, "bad signature", c);
	if (!decode64(text, sizeof text, dot1 + 1, (size_t)(dot2 - dot1 - 1), &len))
		return refuse(why, malformed, c);
	if ((reason = check_claims(text, len, now, c)))
		return refuse(why, reason, c);
	if (why)
		*why = NULL;
	return 0;
}

int
jwt_scope(const struct jwt_claims *c, const char *want)
{
	const char *p = c->scope + strspn(c->scope, " ");
	size_t wn = strlen(want);

	while (*p) {
		size_t n = strcspn(p, " ");
		if ((n == wn && memcmp(p, want, n) == 0) || (n == 5 && memcmp(p, "admin", 5) == 0))
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}
