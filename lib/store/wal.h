/* wal: the store's token read from its WAL file the way SQLite's recovery reads
 * it, so a process that only needs the token (store_peek_token) opens no SQLite
 * connection even while the WAL holds frames. */
#ifndef CLAW_STORE_WAL_H
#define CLAW_STORE_WAL_H
#include <stddef.h>

/* The WAL w (n bytes): 1 with *token the application_id of the last committed frame
 * of page 1; 0 when the WAL is valid and no committed frame holds page 1 (then the
 * store file's header is current); -1 when it is not a WAL this can read (torn or
 * foreign header: ask SQLite).  Frames count while their salts and the running
 * checksum chain hold, as SQLite counts them; a frame past the last commit, or
 * after the chain breaks, is not committed. */
int wal_token(const unsigned char *w, size_t n, int *token);
/* The token in h, the first 100 bytes of the store file: 0, or -1 when they are not
 * those of a SQLite file in WAL mode (header bytes 18 and 19 are 2), whose pages
 * are all committed ones a checkpoint copied. */
int wal_file_token(const unsigned char h[100], int *token);
#endif
