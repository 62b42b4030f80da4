/* fuzz/jwt: bearer tokens, as anyone may send them to claw-gateway.  The input is
 * verified as a token; when it is a JSON object it is also signed as a payload, and
 * our own token may then fail only for what its claims say, never for its framing
 * or its MAC; with one byte changed, or under another key, it must fail. */
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "net/jwt.h"

#define KEY     "fuzz-key"
#define NOW     1700000000LL

static int
verify(const char *key, const char *p, size_t n, struct jwt_claims *c, const char **why)
{
	int rc = jwt_verify(key, strlen(key), p, n, NOW, c, why);

	if (rc == 0 && (!memchr(c->sub, '\0', sizeof c->sub)
	    || !memchr(c->scope, '\0', sizeof c->scope)
	    || NOW > c->exp + JWT_LEEWAY || NOW + JWT_LEEWAY < c->nbf || c->iat < 0))
		__builtin_trap();       /* accepted what the rules refuse */
	if (rc < 0 && !*why)
		__builtin_trap();       /* refused without a reason */
	if (rc == 0)
		jwt_scope(c, "chat");
	return rc;
}

/* A refusal that the payload's claims explain. */
static int
for_claims(const char *why)
{
	return !strcmp(why, "no exp claim") || !strcmp(why, "token expired")
	    || !strcmp(why, "token not yet valid") || !strcmp(why, "bad claims");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *why, *v;
	struct jwt_claims c;
	struct buf tok = BUF_INIT;
	size_t vn;

	verify(KEY, p, size, &c, &why);
	if (jwt_sign(KEY, strlen(KEY), p, size, &tok) == 0) {
		if (verify(KEY, tok.p, tok.len, &c, &why) < 0 && !for_claims(why))
			__builtin_trap();
		if ((why && !strcmp(why, "no exp claim")) == json_member(p, size, "exp", &v, &vn))
			__builtin_trap();       /* exp was there, or was not and still passed */
		if (verify("fuzz-kez", tok.p, tok.len, &c, &why) == 0)
			__builtin_trap();
		tok.p[(size ? data[0] : 0) % tok.len] ^= 1;
		if (verify(KEY, tok.p, tok.len, &c, &why) == 0)
			__builtin_trap();
	}
	buf_free(&tok);
	return 0;
}
