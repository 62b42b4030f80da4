/* Unit tests for lib/net/jwt.c: tokens npm's jsonwebtoken minted verify here and ours
 * match its bytes, and every way a token can be wrong is refused with its reason. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "net/jwt.h"
#include "tap.h"

#define KEY     "s3cret"
#define NOW     1700000000LL

/* Minted by tests/npm/jwt.js (jsonwebtoken 9.0.3); the signature agrees with
 * `printf %s HEADER.PAYLOAD | openssl dgst -sha256 -hmac s3cret -binary`. */
static const char alice_payload[] =
    "{\"sub\":\"alice\",\"scope\":\"chat skills\",\"iat\":1700000000,\"exp\":4102444800}";
static const char alice[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJhbGljZSIsInNjb3BlIjoiY2hhdCBza2lsbHMiLCJpYXQiOjE3MDAwMDAw"
    "MDAsImV4cCI6NDEwMjQ0NDgwMH0"
    ".ggUR6gndX0O_OUHG2SlPa21nNKi8TdbZU2bjLyAcPjg";
/* A 100-byte key, longer than SHA-256's block, so HMAC hashes it first. */
static const char bob[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJib2IiLCJzY29wZSI6WyJjaGF0Iiwic2tpbGxzIl0sImlhdCI6MTcwMDAw"
    "MDAwMCwibmJmIjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDB9"
    ".DWfkz4qGsZPPLdwiSDttLk6L1GYI3BN5_qI0RKA38wk";
/* {"sub":"café \"q\"","exp":4102444800.5,"iat":1795484627}: escapes and a fraction. */
static const char cafe[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJjYWbDqSBcInFcIiIsImV4cCI6NDEwMjQ0NDgwMC41LCJpYXQiOjE3OTU0ODQ2Mjd9"
    ".awNOxVPF31TDUj3z8dOkCKQhS3NqoiNQ2tldluHwEHY";

static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static void
add64(struct buf *b, const char *s, int variant)
{
	char enc[JWT_MAXLEN * 2];

	sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s, strlen(s), variant);
	buf_adds(b, enc);
}

/* A token of any header and payload text (base64 in variant), signed with key the
 * long way round, as another library might: so the refusals below come from what
 * the token says, not from its MAC. */
static const char *
mint(const char *header, const char *payload, const char *key, int variant)
{
	static struct buf b;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char enc[64];
	crypto_auth_hmacsha256_state st;

	buf_reset(&b);
	add64(&b, header, variant);
	buf_addc(&b, '.');
	add64(&b, payload, variant);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)b.p, b.len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(enc, sizeof enc, mac, sizeof mac,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_addc(&b, '.');
	buf_adds(&b, enc);
	return b.p;
}

static const char *
tok(const char *payload)
{
	return mint(hs256, payload, KEY, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Why tok is refused at NOW with KEY, or "ok". */
static const char *
why_at(const char *t, long long now)
{
	struct jwt_claims c;
	const char *why = "unset";
	int rc = jwt_verify(KEY, strlen(KEY), t, strlen(t), now, &c, &why);

	if (rc == 0)
		return why == NULL ? "ok" : "ok, but why was not cleared";
	return c.sub[0] || c.scope[0] || c.exp ? "refused, but the claims were not cleared" : why;
}

static const char *
why_of(const char *t)
{
	return why_at(t, NOW);
}

static void
known_answers(void)
{
	struct buf b = BUF_INIT;
	struct jwt_claims c;
	const char *why;
	char longkey[101];

	ok(jwt_sign(KEY, strlen(KEY), alice_payload, strlen(alice_payload), &b) == 0
	    && strcmp(b.p, alice) == 0, "jwt_sign makes jsonwebtoken's token, byte for byte");
	buf_free(&b);
	ok(jwt_verify(KEY, strlen(KEY), alice, strlen(alice), NOW, &c, &why) == 0,
	    "jsonwebtoken's token verifies");
	is_str(c.sub, "alice", "sub");
	is_str(c.scope, "chat skills", "scope");
	ok(c.exp == 4102444800LL && c.iat == 1700000000LL && c.nbf == 0,
	    "exp, iat, and nbf absent is 0");

	memset(longkey, 'k', 100);
	longkey[100] = '\0';
	ok(jwt_verify(longkey, 100, bob, strlen(bob), NOW, &c, &why) == 0, "a 100-byte key");
	is_str(c.scope, "chat skills", "a scope array is joined with spaces");
	is_int(c.nbf, 1700000000LL, "nbf");
	ok(jwt_verify(KEY, strlen(KEY), bob, strlen(bob), NOW, &c, &why) < 0 &&
	    strcmp(why, "bad signature") == 0,
	    "and not with another key");

	ok(jwt_verify(KEY, strlen(KEY), cafe, strlen(cafe), NOW, &c, &why) == 0,
	    "a token with escapes");
	is_str(c.sub, "caf\xc3\xa9 \"q\"", "sub is decoded");
	is_int(c.exp, 4102444800LL, "a fractional exp, rounded down");
}

static void
round_trip(void)
{
	static const char p[] = " {\"sub\":\"u1\", \"scope\":[\"chat\"], \"exp\": 1700000600, "
	    "\"nbf\": 1699999999.5} ";
	struct buf b = BUF_INIT;
	struct jwt_claims c;
	const char *why;

	ok(jwt_sign("k", 1, p, strlen(p), &b) == 0, "jwt_sign");
	ok(jwt_verify("k", 1, b.p, b.len, NOW, &c, &why) == 0, "its token verifies");
	is_str(c.sub, "u1", "sub");
	is_str(c.scope, "chat", "scope");
	is_int(c.nbf, 1700000000LL, "a fractional nbf, rounded up");
	ok(jwt_verify("K", 1, b.p, b.len, NOW, &c, &why) < 0 && strcmp(why, "bad signature") == 0,
	    "a wrong key is a bad signature");
	ok(jwt_verify("", 0, b.p, b.len, NOW, &c, &why) < 0 && strcmp(why, "bad signature") == 0,
	    "an empty key verifies nothing");
	buf_free(&b);

	is_int(jwt_sign("k", 1, "[1]", 3, &b), EX_DATAERR, "jwt_sign: an array is no payload");
	is_str(err_msg(), "jwt: the payload is not a JSON object", "and says so");
	is_int(jwt_sign("k", 1, "{", 1, &b), EX_DATAERR, "nor is invalid JSON");
	is_int(jwt_sign("", 0, "{}", 2, &b), EX_CONFIG, "an empty key signs nothing");
	ok(b.len == 0, "nothing was written");
	buf_free(&b);
}

static void
headers(void)
{
	static const char pay[] = "{\"exp\":4102444800}";
	static const struct { const char *header, *why; } t[] = {
		{ "{\"alg\":\"none\",\"typ\":\"JWT\"}", "alg must be HS256" },
		{ "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "alg must be HS256" },
		{ "{\"alg\":\"hs256\"}", "alg must be HS256" },
		{ "{\"alg\":\"HS256 \"}", "alg must be HS256" },
		{ "{\"alg\":\"HS\\u0032\\u0035\\u0036\"}", "alg must be HS256" },
		{ "{\"typ\":\"JWT\"}", "alg must be HS256" },
		{ "{\"alg\":256}", "alg must be HS256" },
		{ "{\"alg\":[\"HS256\"]}", "alg must be HS256" },
		{ "{\"head\":{\"alg\":\"HS256\"}}", "alg must be HS256" },
		{ "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "malformed token" },
		{ "{\"alg\":\"HS256\",\"typ\":1}", "malformed token" },
		{ "[\"alg\",\"HS256\"]", "malformed token" },
		{ "{\"alg\":\"HS256\"", "malformed token" },
		{ "", "malformed token" },
		{ " { \"kid\" : \"1\", \"typ\":\"at+jwt\", \"alg\" : \"HS256\" } ", "ok" },
		{ "{\"alg\":\"HS256\"}", "ok" },
	};
	size_t i;
	const char *none;
	char tk[256];

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		is_str(why_of(mint(t[i].header, pay, KEY,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING)), t[i].why,
		    "header %s", t[i].header);
	/* The classic: alg none and no signature at all. */
	none = mint("{\"alg\":\"none\"}", pay, KEY, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(tk, sizeof tk, "%.*s.", (int)(strrchr(none, '.') - none), none);
	is_str(why_of(tk), "alg must be HS256", "alg none with an empty signature");
}

static void
framing(void)
{
	struct buf b = BUF_INIT;
	char t[JWT_MAXLEN + 2];
	size_t n = 0;

	is_str(why_of(mint(hs256, "{\"exp\":4102444800,\"x\":12}", KEY,
	    sodium_base64_VARIANT_URLSAFE)),
	    "malformed token", "a padded payload ('=') is refused, though signed");
	is_str(why_of(mint("{\"alg\":\"HS256\",\"t\":12}", "{\"exp\":4102444800}", KEY,
	    sodium_base64_VARIANT_URLSAFE)),
	    "malformed token", "a padded header");
	is_str(why_of(mint("{\"alg\":\"HS256\",\"t\":1}", "{\"exp\":4102444800}", KEY,
	    sodium_base64_VARIANT_URLSAFE)),
	    "ok", "(when no padding is due, the variants agree)");
	snprintf(t, sizeof t, "%s=", alice);
	is_str(why_of(t), "malformed token", "a padded signature");
	is_str(why_of("eyJhbGciOiJIUzI1NiJ9.e30"), "malformed token", "two segments");
	snprintf(t, sizeof t, "%s.", alice);
	is_str(why_of(t), "malformed token", "four segments");
	snprintf(t, sizeof t, "%s.x", alice);
	is_str(why_of(t), "malformed token", "four segments, the last not empty");
	is_str(why_of(""), "malformed token", "nothing");
	is_str(why_of(".."), "malformed token", "three empty segments");
	snprintf(t, sizeof t, " %s", alice);
	is_str(why_of(t), "malformed token", "a space in front");
	snprintf(t, sizeof t, "%s", alice);
	t[10] = '+';
	is_str(why_of(t), "malformed token", "'+' is base64, not base64url");
	snprintf(t, sizeof t, "%s", alice);
	t[strlen(t) - 1] = 'h';
	is_str(why_of(t), "malformed token", "a signature with stray low bits (not canonical)");
	snprintf(t, sizeof t, "%.*s", (int)strlen(alice) - 3, alice);
	is_str(why_of(t), "bad signature", "a signature cut short");

	/* The longest token: one payload byte more makes jwt_sign refuse it. */
	buf_adds(&b, "{\"exp\":4102444800,\"pad\":\"");
	while (b.len < 2000)
		buf_addc(&b, 'x');
	for (;;) {
		struct buf tk = BUF_INIT;
		buf_adds(&b, "\"}");
		if (jwt_sign(KEY, strlen(KEY), b.p, b.len, &tk)) {
			buf_free(&tk);
			break;
		}
		n = tk.len;
		snprintf(t, sizeof t, "%s", tk.p);
		buf_free(&tk);
		b.len -= 2;
		buf_addc(&b, 'x');
	}
	buf_free(&b);
	is_int((long long)n, JWT_MAXLEN, "jwt_sign makes tokens up to JWT_MAXLEN bytes");
	is_str(why_of(t), "ok", "and one that long verifies");
	memset(t, 'a', JWT_MAXLEN + 1);
	t[JWT_MAXLEN + 1] = '\0';
	is_str(why_at(t, NOW), "token too long", "4097 bytes are refused before any work");
}

static void
signatures(void)
{
	unsigned char sig[32];
	char t[512], *dot;
	size_t len;

	snprintf(t, sizeof t, "%s", alice);
	dot = strrchr(t, '.');
	sodium_base642bin(sig, sizeof sig, dot + 1, strlen(dot + 1), NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sig[17] ^= 0x08;
	sodium_bin2base64(dot + 1, 64, sig, sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	is_str(why_of(t), "bad signature", "one bit flipped in the signature");

	snprintf(t, sizeof t, "%s", alice);
	t[50] = t[50] == 'A' ? 'B' : 'A';
	is_str(why_of(t), "bad signature", "a payload changed under its signature");
	is_str(why_of(mint(hs256, alice_payload, "s3cre",
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)),
	    "bad signature", "another key");
}

static void
claims(void)
{
	static const struct { const char *payload, *why; } t[] = {
		{ "{\"exp\":1699999970}", "ok" },       /* expired, but within the leeway */
		{ "{\"exp\":1699999969}", "token expired" },
		{ "{\"exp\":1699999969.9}", "token expired" },
		{ "{\"exp\":0}", "token expired" },
		{ "{\"exp\":4102444800,\"nbf\":1700000030}", "ok" },
		{ "{\"exp\":4102444800,\"nbf\":1700000031}", "token not yet valid" },
		{ "{\"exp\":4102444800,\"nbf\":1700000030.1}", "token not yet valid" },
		{ "{\"exp\":4102444800,\"iat\":1700000000.25}", "ok" },
		{ "{\"exp\":4.1e9}", "ok" },
		{ "{\"exp\":1e12}", "ok" },
		{ "{\"sub\":\"x\"}", "no exp claim" },
		{ "{}", "no exp claim" },
		{ "{\"nested\":{\"exp\":4102444800}}", "no exp claim" },
		{ "{\"exp\":\"4102444800\"}", "bad claims" },
		{ "{\"exp\":-1}", "bad claims" },
		{ "{\"exp\":-0}", "bad claims" },
		{ "{\"exp\":1.1e12}", "bad claims" },
		{ "{\"exp\":1e400}", "bad claims" },
		{ "{\"exp\":null}", "bad claims" },
		{ "{\"exp\":true}", "bad claims" },
		{ "{\"exp\":4102444800.00000000000000000000000000000000000000000000000000000001}",
		    "bad claims" },
		{ "{\"exp\":4102444800,\"nbf\":\"now\"}", "bad claims" },
		{ "{\"exp\":4102444800,\"iat\":[]}", "bad claims" },
		{ "{\"exp\":4102444800,\"sub\":42}", "bad claims" },
		{ "{\"exp\":4102444800,\"sub\":\"a\\u0000b\"}", "bad claims" },
		{ "{\"exp\":4102444800,\"scope\":{\"chat\":true}}", "bad claims" },
		{ "{\"exp\":4102444800,\"scope\":[\"chat\",1]}", "bad claims" },
		{ "{\"exp\":4102444800,\"scope\":[]}", "ok" },
		{ "[{\"exp\":4102444800}]", "bad claims" },
		{ "\"exp\"", "bad claims" },
		{ "4102444800", "bad claims" },
		{ "{\"exp\":4102444800,}", "bad claims" },
		{ "{\"exp\":4102444800", "bad claims" },
		{ "{\"exp\":4102444800} x", "bad claims" },
	};
	struct buf p = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		is_str(why_of(tok(t[i].payload)), t[i].why, "payload %s", t[i].payload);

	/* sub fits 127 bytes and scope 255, with their NUL. */
	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_adds(&p, "{\"exp\":4102444800,\"sub\":\"");
		while (p.len < 25 + 127 + i)
			buf_addc(&p, 's');
		buf_adds(&p, "\"}");
		is_str(why_of(tok(p.p)), i ? "bad claims" : "ok", "a sub of %zu bytes", 127 + i);
	}
	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_adds(&p, "{\"exp\":4102444800,\"scope\":[\"");
		while (p.len < 28 + 251)
			buf_addc(&p, 'a');
		buf_adds(&p, i ? "\",\"bbbb\"]}" : "\",\"bbb\"]}");
		is_str(why_of(tok(p.p)), i ? "bad claims" : "ok", "a scope of %zu bytes, joined",
		    255 + i);
	}
	buf_free(&p);
}

static int
scoped(const char *payload, const char *want)
{
	struct jwt_claims c;
	const char *why, *t = tok(payload);

	return jwt_verify(KEY, strlen(KEY), t, strlen(t), NOW, &c, &why) == 0 &&
	    jwt_scope(&c, want);
}

static void
scopes(void)
{
	ok(scoped("{\"exp\":4102444800,\"scope\":\"chat skills\"}", "chat"),
	    "\"chat skills\" grants chat");
	ok(scoped("{\"exp\":4102444800,\"scope\":\"chat skills\"}", "skills"), "and skills");
	ok(!scoped("{\"exp\":4102444800,\"scope\":\"chat skills\"}", "admin"), "but not admin");
	ok(scoped("{\"exp\":4102444800,\"scope\":[\"chat\",\"skills\"]}", "skills"),
	    "[\"chat\",\"skills\"] grants skills");
	ok(scoped("{\"exp\":4102444800,\"scope\":\"  chat   skills \"}", "skills"),
	    "extra spaces do not matter");
	ok(scoped("{\"exp\":4102444800,\"scope\":\"admin\"}", "skills"),
	    "admin grants every scope");
	ok(scoped("{\"exp\":4102444800,\"scope\":[\"admin\"]}", "chat"), "in an array too");
	ok(!scoped("{\"exp\":4102444800,\"scope\":\"chatty\"}", "chat"), "\"chatty\" is not chat");
	ok(!scoped("{\"exp\":4102444800,\"scope\":\"chat\"}", "chatty"), "nor chat chatty");
	ok(!scoped("{\"exp\":4102444800,\"scope\":\"administrator\"}", "chat"),
	    "\"administrator\" is not admin");
	ok(!scoped("{\"exp\":4102444800,\"scope\":[\"chat skills\"]}", "chat skills"),
	    "a scope is one word");
	ok(!scoped("{\"exp\":4102444800}", "chat"), "no scope grants nothing");
	ok(!scoped("{\"exp\":4102444800,\"scope\":\"chat\"}", ""), "nor does an empty want");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	known_answers();
	round_trip();
	headers();
	framing();
	signatures();
	claims();
	scopes();
	return done_testing();
}
