/* jwt: HS256 JSON Web Tokens (RFC 7519), the bearer tokens claw-gateway accepts.
 * The algorithm is fixed here and never taken from a token, so "none" and alg
 * confusion cannot arise.  The key is the secret's bytes, as npm jsonwebtoken uses
 * a string secret. */
#ifndef CLAW_JWT_H
#define CLAW_JWT_H
#include <stddef.h>

#include "base/buf.h"

#define JWT_MAXLEN 4096         /* longer tokens are refused before any work */
#define JWT_LEEWAY 30           /* seconds of clock skew allowed on exp and nbf */

struct jwt_claims {
	char sub[128];          /* "" when absent */
	char scope[256];        /* space-separated; a JSON array of strings is joined with spaces */
	long long exp, nbf, iat;        /* seconds; 0 when absent */
};

/* Sign payload (a JSON object text) with header {"alg":"HS256","typ":"JWT"},
 * appending the token to out: 0, or an exit code (err_set). */
int jwt_sign(const void *key, size_t keylen, const char *payload, size_t n, struct buf *out);
/* Verify tok[0..n) at time now (Unix seconds): 0 with *c filled, or -1 with *c
 * zeroed and *why a short static reason: "malformed token", "alg must be HS256",
 * "bad signature", "no exp claim", "token expired", "token not yet valid",
 * "token too long", "bad claims".  An empty key verifies nothing. */
int jwt_verify(const void *key, size_t keylen, const char *tok, size_t n, long long now,
    struct jwt_claims *c, const char **why);
/* 1 when the token's scope lists want, or lists "admin" (which grants every scope). */
int jwt_scope(const struct jwt_claims *c, const char *want);
#endif
