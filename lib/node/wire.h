/* wire: the node protocol over any pair of descriptors — the handshake (ephemeral
 * X25519, both Ed25519 identities signed over the transcript) and the framed
 * secretstream that follows.  claw-node(7) is its specification. */
#ifndef CLAW_NODE_WIRE_H
#define CLAW_NODE_WIRE_H
#include <stddef.h>
#include <sodium.h>

#include "base/buf.h"

#define NODE_VERSION 1
#define NODE_MAGIC "CLAWNODE"             /* 8 bytes, no NUL on the wire */
#define NODE_PROLOGUE "claw-node/1"       /* 11 bytes, hashed first into the transcript */
#define NODE_HDR 10                       /* magic, version, mode */
#define NODE_M1 (NODE_HDR + 32)           /* + an 8-byte invite id when pairing */
#define NODE_M2_CT(mode) (32 + 64 + ((mode) == NODE_PAIR ? 32 : 0) + 16)
#define NODE_M3_MAX 1024                  /* bytes of M3's sealed part */
#define NODE_FRAME_MAX (1u << 20)         /* plaintext of one frame, kind byte included */
#define NODE_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define NODE_FRAME_CAP (NODE_FRAME_MAX + NODE_ABYTES)   /* the largest length prefix */
#define NODE_TXHIGH (1u << 20)            /* queued bytes past which a side stops reading */

enum { NODE_RUN = 0, NODE_PAIR = 1, NODE_REFUSE = 0xff };

/* Frame kinds: the first plaintext byte. */
enum {
	NODE_F_WELCOME = 'W',   /* server: {"type":"welcome",...} or refused, first frame */
	NODE_F_REQUEST = 'R',   /* client: {"argv":[...]} or {"op":"ping"} */
	NODE_F_STDIN = 'I',     /* client: bytes for the program's standard input */
	NODE_F_EOF = 'i',       /* client: standard input ends (its final frame) */
	NODE_F_STDOUT = 'O',
	NODE_F_STDERR = 'E',
	NODE_F_EXIT = 'X',      /* server: {"exit":N,...}, its final frame */
};

struct node_id {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

/* One side of a session.  rfd and wfd may be one socket; both non-blocking. */
struct node_chan {
	int rfd, wfd;
	int server;
	crypto_secretstream_xchacha20poly1305_state tx, rx;
	int rx_ready, rx_final, tx_final, eof;
	unsigned char peer[32];           /* the other side's identity, once proven */
	unsigned char *rb;                /* received bytes: NODE_FRAME_CAP + 4 */
	unsigned char *pb, *sb;           /* a frame opened, a frame to seal: NODE_FRAME_MAX */
	size_t rlen, used;                /* bytes in rb; those of the frame last returned */
	unsigned char skey[32];           /* client: the s2c key until the server's header */
	struct buf tx_q;                  /* sealed bytes waiting for wfd */
	size_t tx_off;
	char why[160];                    /* what ended it, for the message */
};

/* Pairing: the invite's id and key (derived from the code by node_code_keys). */
struct node_invite {
	unsigned char id[8], key[32];
};

/* What the server decides about a client, between M1 and the transport. */
struct node_server_ops {
	/* Pairing only: the invite with this id: 0 with inv filled, or an exit code
	 * with a short reason in why (unknown, expired, used, too many attempts). */
	int (*invite)(void *ctx, const unsigned char id[8], struct node_invite *inv, char *why,
	    size_t n);
	/* The pairing proof did not hold: count an attempt. */
	void (*bad_proof)(void *ctx, const unsigned char id[8]);
	void *ctx;
};

/* 0 or -1 (err set): rb allocated, descriptors made non-blocking. */
int node_chan_init(struct node_chan *c, int rfd, int wfd, int server);
void node_chan_free(struct node_chan *c);

/* Code words: the code's id and key, from its normalized text. */
void node_code_keys(const char *code, struct node_invite *inv);
/* "abcd-efgh-jkmn-pqrs" from 10 random bytes (Crockford base32), and back to the
 * 16 characters it stands for: 0, or -1 for a code that is not one. */
void node_code_make(char out[20]);
int node_code_norm(const char *in, char out[17]);

/* The client's handshake: M1, M2 (the server's identity must equal pin, or in
 * pairing mode prove inv), M3 with payload (pairing: {"name",...}).  Deadline is
 * clock_mono_ms().  0 with c->peer set, or an exit code with err set:
 * EX_NOPERM (refused, mismatched key), EX_TEMPFAIL (timed out), EX_IOERR (closed,
 * malformed, forged). */
int node_hs_client(struct node_chan *c, const struct node_id *me, const unsigned char *pin,
    const struct node_invite *inv, const char *payload, size_t plen, long long deadline);
/* The server's: 0 with c->peer proven and *mode, the pairing invite in inv and the
 * client's payload in payload; else an exit code with err set.  Which key is
 * welcome is the caller's next decision, before it reads any frame. */
int node_hs_server(struct node_chan *c, const struct node_id *me, const struct node_server_ops *ops,
    int *mode, struct node_invite *inv, struct buf *payload, long long deadline);

/* Seal one frame (kind, data) into the send queue; final ends this direction. */
int node_send(struct node_chan *c, int kind, const void *p, size_t n, int final);
/* Write what the queue holds without blocking: 0, or -1 when the peer is gone. */
int node_flush(struct node_chan *c);
/* Flush everything, waiting up to the deadline: 0 or -1. */
int node_flush_all(struct node_chan *c, long long deadline);
size_t node_pending(const struct node_chan *c);
/* Read what rfd has and open the next whole frame: 1 with *kind, *p (inside c,
 * valid until the next call) and *n; 0 when more bytes are needed (or at a clean
 * EOF after the final frame: c->eof); -1 on a broken stream (c->why says how:
 * truncated, forged, over the cap, after the final frame). */
int node_recv(struct node_chan *c, int *kind, const unsigned char **p, size_t *n);
/* The same blocking until a frame or the deadline: 1, or -1 (why says). */
int node_recv_wait(struct node_chan *c, int *kind, const unsigned char **p, size_t *n,
    long long deadline);

/* The frame decoder alone, for the fuzzer and node_recv: given the bytes held,
 * how long the next frame is (4 + L), 0 when the prefix is incomplete, or -1 when
 * L is out of range — decided from the four bytes, before anything is allocated. */
long long node_frame_need(const unsigned char *p, size_t n);
/* M1's fields: 0 with *mode, e (32 bytes) and id (pairing) pointing into p, or -1
 * (why says): checked whole, from its first NODE_HDR bytes on. */
int node_m1_parse(const unsigned char *p, size_t n, int *mode, const unsigned char **e,
    const unsigned char **id, const char **why);
#endif
