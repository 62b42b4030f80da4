/* copy: files beside the store that answer a process which only reads, without a
 * store connection (claw.db-config, claw.db-skills).  Each is one header line,
 * "MAGIC TOKEN LENGTH HASH", then LENGTH bytes of body.  TOKEN is the store's token
 * (store_token) that the body was read under, in one transaction; HASH is the
 * FNV-1a 64 of the body.  A reader trusts a copy only while it is whole, the store
 * file is older than it, and the store's token is still TOKEN.  Never a source of
 * truth: deleting a copy is always safe. */
#ifndef CLAW_STORE_COPY_H
#define CLAW_STORE_COPY_H
#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"

/* The header line of a copy of body (n bytes) written under token into dst:
 * its length, or 0 when it does not fit. */
size_t store_copy_head(char *dst, size_t size, const char *magic, int token,
    const char *body, size_t n);
/* Write $CLAW_HOME/name, 0600, in place: a reader that catches it half-written
 * finds a length or a hash that does not match and asks the store.  (Not a
 * temporary renamed over it: ext4 then writes the new file back at once, and frees
 * the old inode's pages, which cost a status 0.2 ms.)  A copy that cannot be
 * written is removed, never left wrong. */
void store_copy_write(const char *name, const char *magic, int token, const char *body,
    size_t n);
/* A copy whose reader must know that nothing at all was written to the store since
 * it was read, not only config (claw.db-status).  First store_copy_begin, which
 * opens the copy and sets its times: the filesystem's clock at that moment.  Then
 * store_copy_state, the read, and store_copy_end.  The copy is written only when
 * every time in the state is older than that moment: a write after it stamps
 * claw.db or its WAL with a time the state does not hold, whatever the grain of the
 * filesystem's clock, and so tells.  (Only a clock set back between two writes that
 * leave a file the same size could hide one.) */
struct store_copy_out {
	int fd;
	struct timespec born;
	char path[PATH_MAX];
};
/* 0, or -1 with t->fd -1 (nothing for _end or _drop to do). */
int store_copy_begin(struct store_copy_out *t, const char *name);
/* claw.db's and claw.db-wal's device, inode, size and mtime, and claw.db's ctime
 * (a chmod), as one line into dst ("-" for a WAL there is not), with *newest the
 * latest of the times: 0, or -1 when claw.db cannot be stat'ed or dst is too small. */
int store_copy_state(char *dst, size_t size, struct timespec *newest);
/* Write the copy when newest (NULL: the caller's transaction held the token) is
 * older than store_copy_begin's moment; else, or on any failure, remove it. */
void store_copy_end(struct store_copy_out *t, const char *magic, int token,
    const char *body, size_t n, const struct timespec *newest);
/* The copy removed, unless it was ended or never begun. */
void store_copy_drop(struct store_copy_out *t);
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
