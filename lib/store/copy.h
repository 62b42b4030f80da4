/* copy: files beside the store that answer a process which only reads, without a
 * store connection (claw.db-config, claw.db-skills).  Each is one header line,
 * "MAGIC TOKEN LENGTH HASH", then LENGTH bytes of body.  TOKEN is the store's token
 * (store_token) that the body was read under, in one transaction; HASH is the
 * FNV-1a 64 of the body.  A reader trusts a copy only while it is whole, the store
 * file is older than it, and the store's token is still TOKEN.  Never a source of
 * truth: deleting a copy is always safe. */
#ifndef CLAW_STORE_COPY_H
#define CLAW_STORE_COPY_H
#include <stddef.h>

#include "base/buf.h"

/* The header line of a copy of body (n bytes) written under token into dst:
 * its length, or 0 when it does not fit. */
size_t store_copy_head(char *dst, size_t size, const char *magic, int token,
    const char *body, size_t n);
/* Write $CLAW_HOME/name, 0600, whole or not at all (a temporary renamed over it).
 * A copy that cannot be written is left stale, never wrong: the token tells. */
void store_copy_write(const char *name, const char *magic, int token, const char *body,
    size_t n);
/* Split text (text[n] is '\0') into *token and the body [*body, *body + *len): 0, or
 * -1 when it is not a whole copy with that magic whose body hashes right. */
int store_copy_parse(const char *text, size_t n, const char *magic, int *token,
    const char **body, size_t *len);
/* $CLAW_HOME/name into out (NUL-terminated), at most max bytes: 0, or -1 when it is
 * missing, too big, or not younger than claw.db (a store file written since -- a
 * checkpoint, or a hand that is not SQLite's -- is asked, not trusted: the copy
 * would hide a damaged table). */
int store_copy_read(const char *name, size_t max, struct buf *out);
#endif
