/* ident: this node's long-term Ed25519 identity ($CLAW_HOME/keys/node.key, 0600,
 * made on first use) and how keys are written for people: text and fingerprint. */
#ifndef CLAW_NODE_IDENT_H
#define CLAW_NODE_IDENT_H
#include <stddef.h>

#include "node/wire.h"

#define NODE_KEYTEXT 44    /* 43 characters of base64url and a NUL */
#define NODE_FPTEXT 20     /* "xxxx-xxxx-xxxx-xxxx" and a NUL */

/* Load the identity, creating it when there is none: 0, or an exit code with err
 * set.  *created says whether this call made it. */
int ident_load(struct node_id *id, int *created);
void ident_wipe(struct node_id *id);
/* 32 key bytes as 43 characters of unpadded base64url, and back (also 64 hex
 * digits): 0 or -1. */
void ident_key_text(const unsigned char pk[32], char out[NODE_KEYTEXT]);
int ident_key_parse(const char *s, unsigned char pk[32]);
/* The first 8 bytes of BLAKE2b-256(key) in four groups of hex. */
void ident_fingerprint(const unsigned char pk[32], char out[NODE_FPTEXT]);
#endif
