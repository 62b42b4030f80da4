/* wire: the node handshake (SIGMA-style over ephemeral X25519, Ed25519 identities,
 * BLAKE2b transcript, XChaCha20-Poly1305) and the length-prefixed secretstream. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "node/wire.h"

#define SIG_S "claw-node/1 server"
#define SIG_C "claw-node/1 client"
#define B32 "0123456789abcdefghjkmnpqrstvwxyz"

int
node_chan_init(struct node_chan *c, int rfd, int wfd, int server)
{
	memset(c, 0, sizeof *c);
	c->rfd = rfd;
	c->wfd = wfd;
	c->server = server;
	c->rb = malloc(NODE_FRAME_CAP + 4);
	c->pb = malloc(NODE_FRAME_MAX);
	c->sb = malloc(NODE_FRAME_MAX);
	if (!c->rb || !c->pb || !c->sb)
		return err_set(EX_SOFTWARE, "out of memory");
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void
node_chan_free(struct node_chan *c)
{
	free(c->rb);
	free(c->pb);
	free(c->sb);
	c->rb = c->pb = c->sb = NULL;
	buf_free(&c->tx_q);
	sodium_memzero(&c->tx, sizeof c->tx);
	sodium_memzero(&c->rx, sizeof c->rx);
}

/* --- codes --- */

void
node_code_keys(const char *code, struct node_invite *inv)
{
	crypto_generichash_state st;

	unsigned char id[16];   /* BLAKE2b's shortest output; the id is its first 8 bytes */

	crypto_generichash_init(&st, NULL, 0, sizeof id);
	crypto_generichash_update(&st, (const unsigned char *)"claw-node/1 invite id", 21);
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, id, sizeof id);
	memcpy(inv->id, id, sizeof inv->id);
	crypto_generichash_init(&st, NULL, 0, sizeof inv->key);
	crypto_generichash_update(&st, (const unsigned char *)"claw-node/1 invite key", 22);
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, inv->key, sizeof inv->key);
}

void
node_code_make(char out[20])
{
	unsigned char r[10];
	unsigned long long acc = 0;
	int bits = 0, i, o = 0, k = 0;

	randombytes_buf(r, sizeof r);
	for (i = 0; i < 10; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			if (k && k % 4 == 0)
				out[o++] = '-';
			out[o++] = B32[(acc >> (bits - 5)) & 31];
			bits -= 5;
			k++;
		}
	}
	out[o] = '\0';
	sodium_memzero(r, sizeof r);
}

int
node_code_norm(const char *in, char out[17])
{
	int n = 0;

	for (; *in; in++) {
		char ch = *in >= 'A' && *in <= 'Z' ? (char)(*in - 'A' + 'a') : *in;
		if (ch == '-' || ch == ' ')
			continue;
		if (ch == 'o')
			ch = '0';
		else if (ch == 'i' || ch == 'l')
			ch = '1';
		if (!ch || !strchr(B32, ch) || n == 16)
			return -1;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == 16 ? 0 : -1;
}

/* --- bytes in and out, under a deadline --- */

static int
wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { fd, ev, 0 };
	long long left = deadline - clock_mono_ms();
	int r;

	if (left <= 0)
		return 0;
	r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	return r < 0 && errno == EINTR ? 1 : r;
}

/* n bytes: 0, or an exit code (EX_TEMPFAIL at the deadline, EX_IOERR at EOF). */
static int
read_exact(struct node_chan *c, unsigned char *p, size_t n, long long deadline, const char *what)
{
	while (n) {
		ssize_t r = read(c->rfd, p, n);
		if (r > 0) {
			p += r, n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return err_set(EX_IOERR, "handshake: connection closed during %s", what);
		if (errno != EAGAIN && errno != EINTR)
			return err_set(EX_IOERR, "handshake: %s:", what);
		if (wait_fd(c->rfd, POLLIN, deadline) == 0 && clock_mono_ms() >= deadline)
			return err_set(EX_TEMPFAIL, "handshake: timed out waiting for %s", what);
	}
	return 0;
}

static int
write_all(struct node_chan *c, const void *p, size_t n, long long deadline)
{
	buf_add(&c->tx_q, p, n);
	return node_flush_all(c, deadline) ? err_set(EX_IOERR, "handshake: peer went away") : 0;
}

/* --- the transcript and the keys --- */

static void
h512(unsigned char out[64], const unsigned char *key, size_t kn, const void *a, size_t an,
    const void *b, size_t bn, const void *d, size_t dn)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, kn, 64);
	crypto_generichash_update(&st, a, an);
	if (bn)
		crypto_generichash_update(&st, b, bn);
	if (dn)
		crypto_generichash_update(&st, d, dn);
	crypto_generichash_final(&st, out, 64);
}

static void
h256(unsigned char out[32], const unsigned char *key, size_t kn, const char *label,
    const void *a, size_t an, const void *b, size_t bn)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, kn, 32);
	crypto_generichash_update(&st, (const unsigned char *)label, strlen(label));
	if (an)
		crypto_generichash_update(&st, a, an);
	if (bn)
		crypto_generichash_update(&st, b, bn);
	crypto_generichash_final(&st, out, 32);
}

/* sig over label || t (64) || pk (32). */
static void
sign_t(unsigned char sig[64], const struct node_id *me, const char *label,
    const unsigned char t[64])
{
	unsigned char m[32 + 64 + 32];
	size_t ln = strlen(label);

	memcpy(m, label, ln);
	memcpy(m + ln, t, 64);
	memcpy(m + ln + 64, me->pk, 32);
	crypto_sign_detached(sig, NULL, m, ln + 96, me->sk);
}

static int
verify_t(const unsigned char sig[64], const unsigned char pk[32], const char *label,
    const unsigned char t[64])
{
	unsigned char m[32 + 64 + 32];
	size_t ln = strlen(label);

	memcpy(m, label, ln);
	memcpy(m + ln, t, 64);
	memcpy(m + ln + 64, pk, 32);
	return crypto_sign_verify_detached(sig, m, ln + 96, pk);
}

static void
hdr(unsigned char *p, int mode)
{
	memcpy(p, NODE_MAGIC, 8);
	p[8] = NODE_VERSION;
	p[9] = (unsigned char)mode;
}

int
node_m1_parse(const unsigned char *p, size_t n, int *mode, const unsigned char **e,
    const unsigned char **id, const char **why)
{
	*why = NULL;
	if (n < NODE_HDR || memcmp(p, NODE_MAGIC, 8))
		return *why = "not a claw-node peer (bad magic)", -1;
	if (p[8] != NODE_VERSION)
		return *why = "unsupported protocol version", -1;
	if (p[9] != NODE_RUN && p[9] != NODE_PAIR)
		return *why = "unknown mode", -1;
	*mode = p[9];
	if (n != (size_t)NODE_M1 + (*mode == NODE_PAIR ? 8 : 0))
		return *why = "first message of the wrong length", -1;
	*e = p + NODE_HDR;
	*id = *mode == NODE_PAIR ? p + NODE_M1 : NULL;
	return 0;
}

/* K, T1 and the two handshake keys from the ephemeral secret and the public halves. */
static int
schedule(const unsigned char esk[32], const unsigned char epeer[32], const unsigned char *m1,
    size_t m1n, const unsigned char m2h[NODE_M1], unsigned char t1[64], unsigned char k[64],
    unsigned char ks2c[32], unsigned char kc2s[32])
{
	unsigned char q[32];

	if (crypto_scalarmult(q, esk, epeer) != 0)
		return err_set(EX_IOERR, "handshake: the peer's ephemeral key is degenerate");
	h512(t1, NULL, 0, NODE_PROLOGUE, strlen(NODE_PROLOGUE), m1, m1n, m2h, NODE_M1);
	h512(k, q, sizeof q, t1, 64, NULL, 0, NULL, 0);
	h256(ks2c, k, 64, "s2c handshake", NULL, 0, NULL, 0);
	h256(kc2s, k, 64, "c2s handshake", NULL, 0, NULL, 0);
	sodium_memzero(q, sizeof q);
	return 0;
}

static void
transport_keys(const unsigned char k[64], const unsigned char t3[64], unsigned char kc2s[32],
    unsigned char ks2c[32])
{
	h256(kc2s, k, 64, "c2s transport", t3, 64, NULL, 0);
	h256(ks2c, k, 64, "s2c transport", t3, 64, NULL, 0);
}

static const unsigned char zero_nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];

int
node_hs_client(struct node_chan *c, const struct node_id *me, const unsigned char *pin,
    const struct node_invite *inv, const char *payload, size_t plen, long long deadline)
{
	unsigned char esk[32], epk[32], m1[NODE_M1 + 8], m2[NODE_M1 + NODE_M2_CT(NODE_PAIR)];
	unsigned char t1[64], t2[64], t3[64], k[64], ks2c[32], kc2s[32], tc[32], ts[32];
	unsigned char pt[NODE_M3_MAX], m3[2 + NODE_M3_MAX + 24], *spk, proof[32];
	int mode = inv ? NODE_PAIR : NODE_RUN, rc;
	size_t m1n = NODE_M1 + (inv ? 8 : 0), ctn = NODE_M2_CT(mode), ptn;
	unsigned long long outn;

	if (plen > NODE_M3_MAX - 16 - 128)
		return err_set(EX_SOFTWARE, "handshake: payload too long");
	crypto_box_keypair(epk, esk);
	hdr(m1, mode);
	memcpy(m1 + NODE_HDR, epk, 32);
	if (inv)
		memcpy(m1 + NODE_M1, inv->id, 8);
	if ((rc = write_all(c, m1, m1n, deadline)))
		goto out;
	if ((rc = read_exact(c, m2, NODE_HDR, deadline, "the server's answer")))
		goto out;
	if (memcmp(m2, NODE_MAGIC, 8) || m2[8] != NODE_VERSION) {
		rc = err_set(EX_IOERR, "handshake: not a claw-node peer, or another version");
		goto out;
	}
	if (m2[9] == NODE_REFUSE) {
		unsigned char r[2], why[256];
		if ((rc = read_exact(c, r, 2, deadline, "the refusal"))
		    || (rc = read_exact(c, why, r[1], deadline, "the refusal")))
			goto out;
		why[r[1]] = '\0';
		for (ptn = 0; ptn < r[1]; ptn++)
			if (why[ptn] < 0x20 || why[ptn] == 0x7f)
				why[ptn] = '?';
		rc = err_set(r[0] ? r[0] : EX_NOPERM, "refused: %s", why);
		goto out;
	}
	if (m2[9] != mode) {
		rc = err_set(EX_IOERR, "handshake: the server answered in another mode");
		goto out;
	}
	if ((rc = read_exact(c, m2 + NODE_HDR, 32 + ctn, deadline, "the server's identity"))
	    || (rc = schedule(esk, m2 + NODE_HDR, m1, m1n, m2, t1, k, ks2c, kc2s)))
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &outn, NULL, m2 + NODE_M1, ctn, t1, 64,
	    zero_nonce, ks2c) != 0) {
		rc = err_set(EX_IOERR, "handshake: the server's identity does not open (tampered)");
		goto out;
	}
	spk = pt;
	if (verify_t(pt + 32, spk, SIG_S, t1) != 0) {
		rc = err_set(EX_IOERR, "handshake: the server's signature does not verify");
		goto out;
	}
	if (inv) {
		h256(proof, inv->key, 32, "server", t1, 64, spk, 32);
		if (sodium_memcmp(proof, pt + 96, 32) != 0) {
			rc = err_set(EX_NOPERM, "handshake: the server does not know the code");
			goto out;
		}
	} else if (pin && sodium_memcmp(pin, spk, 32) != 0) {
		rc = err_set(EX_NOPERM, "the server's key is not the one pinned for it "
		    "(a different machine, or an impostor)");
		goto out;
	}
	memcpy(c->peer, spk, 32);
	h512(t2, NULL, 0, t1, 64, m2 + NODE_M1, ctn, NULL, 0);
	memcpy(pt, me->pk, 32);
	sign_t(pt + 32, me, SIG_C, t2);
	ptn = 96;
	if (inv) {
		h256(pt + 96, inv->key, 32, "client", t2, 64, me->pk, 32);
		memcpy(pt + 128, payload, plen);
		ptn = 128 + plen;
	}
	m3[0] = (unsigned char)((ptn + 16) >> 8);
	m3[1] = (unsigned char)(ptn + 16);
	crypto_aead_xchacha20poly1305_ietf_encrypt(m3 + 2, &outn, pt, ptn, t2, 64, NULL,
	    zero_nonce, kc2s);
	h512(t3, NULL, 0, t2, 64, m3, 2 + ptn + 16, NULL, 0);
	transport_keys(k, t3, tc, ts);
	crypto_secretstream_xchacha20poly1305_init_push(&c->tx, m3 + 2 + ptn + 16, tc);
	buf_add(&c->tx_q, m3, 2 + ptn + 16 + 24);
	/* The server's header is read with its first frame (node_recv). */
	memcpy(c->skey, ts, 32);
	c->rx_ready = -1;
	rc = 0;
out:
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(k, sizeof k);
	sodium_memzero(pt, sizeof pt);
	sodium_memzero(tc, sizeof tc);
	sodium_memzero(ts, sizeof ts);
	return rc;
}

/* A plaintext refusal in M2's place: only a reason, nothing was proven yet. */
static void
refuse(struct node_chan *c, int code, const char *why, long long deadline)
{
	unsigned char m[NODE_HDR + 2 + 200];
	size_t n = strlen(why) > 200 ? 200 : strlen(why);

	hdr(m, NODE_REFUSE);
	m[NODE_HDR] = (unsigned char)code;
	m[NODE_HDR + 1] = (unsigned char)n;
	memcpy(m + NODE_HDR + 2, why, n);
	buf_add(&c->tx_q, m, NODE_HDR + 2 + n);
	node_flush_all(c, deadline);
}

int
node_hs_server(struct node_chan *c, const struct node_id *me, const struct node_server_ops *ops,
    int *mode, struct node_invite *inv, struct buf *payload, long long deadline)
{
	unsigned char esk[32], epk[32], m1[NODE_M1 + 8], m2[NODE_M1 + NODE_M2_CT(NODE_PAIR)];
	unsigned char t1[64], t2[64], t3[64], k[64], ks2c[32], kc2s[32], tc[32], ts[32];
	unsigned char pt[NODE_M3_MAX], m3[2 + NODE_M3_MAX + 24], proof[32], hs[24];
	const unsigned char *e, *id;
	const char *why;
	char reason[128];
	size_t ctn, m3n, m1n;
	unsigned long long outn;
	int rc;

	*mode = -1;
	if ((rc = read_exact(c, m1, NODE_HDR, deadline, "the client's hello")))
		return rc;
	m1n = NODE_M1 + (m1[9] == NODE_PAIR ? 8 : 0);
	if (node_m1_parse(m1, NODE_HDR, mode, &e, &id, &why) && (!why || !strstr(why, "length"))) {
		if (memcmp(m1, NODE_MAGIC, 8) == 0)
			refuse(c, EX_DATAERR, why, deadline);
		return err_set(EX_DATAERR, "handshake: %s", why);
	}
	if ((rc = read_exact(c, m1 + NODE_HDR, m1n - NODE_HDR, deadline, "the client's hello")))
		return rc;
	if (node_m1_parse(m1, m1n, mode, &e, &id, &why))
		return err_set(EX_DATAERR, "handshake: %s", why);
	if (*mode == NODE_PAIR) {
		reason[0] = '\0';
		if ((rc = ops->invite(ops->ctx, id, inv, reason, sizeof reason))) {
			refuse(c, rc, reason, deadline);
			return err_set(rc, "pairing refused: %s", reason);
		}
	}
	ctn = NODE_M2_CT(*mode);
	crypto_box_keypair(epk, esk);
	hdr(m2, *mode);
	memcpy(m2 + NODE_HDR, epk, 32);
	if ((rc = schedule(esk, e, m1, m1n, m2, t1, k, ks2c, kc2s)))
		goto out;
	memcpy(pt, me->pk, 32);
	sign_t(pt + 32, me, SIG_S, t1);
	if (*mode == NODE_PAIR)
		h256(pt + 96, inv->key, 32, "server", t1, 64, me->pk, 32);
	crypto_aead_xchacha20poly1305_ietf_encrypt(m2 + NODE_M1, &outn, pt, ctn - 16, t1, 64, NULL,
	    zero_nonce, ks2c);
	if ((rc = write_all(c, m2, NODE_M1 + ctn, deadline)))
		goto out;
	h512(t2, NULL, 0, t1, 64, m2 + NODE_M1, ctn, NULL, 0);
	if ((rc = read_exact(c, m3, 2, deadline, "the client's identity")))
		goto out;
	m3n = (size_t)m3[0] << 8 | m3[1];
	if (m3n < 96 + 16 + (*mode == NODE_PAIR ? 32 : 0) || m3n > NODE_M3_MAX
	    || (*mode == NODE_RUN && m3n != 96 + 16)) {
		rc = err_set(EX_DATAERR, "handshake: the client's identity has a bad length");
		goto out;
	}
	if ((rc = read_exact(c, m3 + 2, m3n + 24, deadline, "the client's identity")))
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &outn, NULL, m3 + 2, m3n, t2, 64,
	    zero_nonce, kc2s) != 0) {
		rc = err_set(EX_DATAERR,
		    "handshake: the client's identity does not open (tampered)");
		goto out;
	}
	if (verify_t(pt + 32, pt, SIG_C, t2) != 0) {
		rc = err_set(EX_DATAERR, "handshake: the client's signature does not verify");
		goto out;
	}
	if (*mode == NODE_PAIR) {
		h256(proof, inv->key, 32, "client", t2, 64, pt, 32);
		if (sodium_memcmp(proof, pt + 96, 32) != 0) {
			ops->bad_proof(ops->ctx, id);
			rc = err_set(EX_NOPERM,
			    "pairing refused: the client does not know the code");
			goto out;
		}
		buf_add(payload, pt + 128, (size_t)outn - 128);
	}
	memcpy(c->peer, pt, 32);
	h512(t3, NULL, 0, t2, 64, m3, 2 + m3n, NULL, 0);
	transport_keys(k, t3, tc, ts);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&c->rx, m3 + 2 + m3n, tc) != 0) {
		rc = err_set(EX_DATAERR, "handshake: bad stream header");
		goto out;
	}
	c->rx_ready = 1;
	crypto_secretstream_xchacha20poly1305_init_push(&c->tx, hs, ts);
	buf_add(&c->tx_q, hs, sizeof hs);
	rc = 0;
out:
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(k, sizeof k);
	sodium_memzero(pt, sizeof pt);
	sodium_memzero(tc, sizeof tc);
	sodium_memzero(ts, sizeof ts);
	return rc;
}

/* --- frames --- */

long long
node_frame_need(const unsigned char *p, size_t n)
{
	unsigned long long l;

	if (n < 4)
		return 0;
	l = (unsigned long long)p[0] << 24 | (unsigned long long)p[1] << 16
	    | (unsigned long long)p[2] << 8 | p[3];
	if (l < NODE_ABYTES + 1 || l > NODE_FRAME_CAP)
		return -1;
	return (long long)l + 4;
}

int
node_send(struct node_chan *c, int kind, const void *p, size_t n, int final)
{
	size_t l = n + 1 + NODE_ABYTES, at;
	unsigned char *f;

	if (c->tx_final)
		return err_set(EX_SOFTWARE, "send after the final frame");
	if (n + 1 > NODE_FRAME_MAX)
		return err_set(EX_SOFTWARE, "frame too long");
	if (buf_grow(&c->tx_q, l + 4 + 1))
		return err_set(EX_SOFTWARE, "out of memory");
	at = c->tx_q.len;
	f = (unsigned char *)c->tx_q.p + at;
	f[0] = (unsigned char)(l >> 24), f[1] = (unsigned char)(l >> 16);
	f[2] = (unsigned char)(l >> 8), f[3] = (unsigned char)l;
	c->sb[0] = (unsigned char)kind;
	memcpy(c->sb + 1, p, n);
	crypto_secretstream_xchacha20poly1305_push(&c->tx, f + 4, NULL, c->sb, n + 1, NULL, 0,
	    final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
	    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	c->tx_q.len = at + 4 + l;
	c->tx_q.p[c->tx_q.len] = '\0';
	c->tx_final = final;
	return 0;
}

size_t
node_pending(const struct node_chan *c)
{
	return c->tx_q.len - c->tx_off;
}

int
node_flush(struct node_chan *c)
{
	while (c->tx_off < c->tx_q.len) {
		ssize_t w = write(c->wfd, c->tx_q.p + c->tx_off, c->tx_q.len - c->tx_off);
		if (w > 0) {
			c->tx_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		return -1;
	}
	c->tx_q.len = c->tx_off = 0;
	return 0;
}

int
node_flush_all(struct node_chan *c, long long deadline)
{
	while (node_pending(c)) {
		if (node_flush(c))
			return -1;
		if (node_pending(c) && wait_fd(c->wfd, POLLOUT, deadline) == 0
		    && clock_mono_ms() >= deadline)
			return -1;
	}
	return 0;
}

static int
broken(struct node_chan *c, const char *why)
{
	snprintf(c->why, sizeof c->why, "%s", why);
	return -1;
}

int
node_recv(struct node_chan *c, int *kind, const unsigned char **p, size_t *n)
{
	unsigned long long mlen;
	unsigned char tag;
	long long need;
	ssize_t r;

	if (c->used) {
		memmove(c->rb, c->rb + c->used, c->rlen - c->used);
		c->rlen -= c->used;
		c->used = 0;
	}
	for (;;) {
		if (c->rx_ready == -1 && c->rlen >= 24) {
			if (crypto_secretstream_xchacha20poly1305_init_pull(&c->rx, c->rb,
			    c->skey) != 0)
				return broken(c, "bad stream header");
			sodium_memzero(c->skey, sizeof c->skey);
			memmove(c->rb, c->rb + 24, c->rlen - 24);
			c->rlen -= 24;
			c->rx_ready = 1;
		}
		if (c->rx_ready == 1 && (need = node_frame_need(c->rb, c->rlen)) != 0) {
			if (need < 0)
				return broken(c, "a frame length over the cap was refused");
			if (c->rx_final)
				return broken(c, "data after the final frame");
			if (c->rlen >= (size_t)need) {
				if (crypto_secretstream_xchacha20poly1305_pull(&c->rx, c->pb, &mlen,
				    &tag, c->rb + 4, (unsigned long long)need - 4, NULL, 0) != 0)
					return broken(c, "a frame failed authentication "
					    "(tampered, replayed or reordered)");
				if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
					c->rx_final = 1;
				c->used = (size_t)need;
				*kind = c->pb[0];
				*p = c->pb + 1;
				*n = (size_t)mlen - 1;
				return 1;
			}
		}
		r = read(c->rfd, c->rb + c->rlen, NODE_FRAME_CAP + 4 - c->rlen);
		if (r > 0) {
			c->rlen += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r == 0 && c->rx_final && c->rlen == 0) {
			c->eof = 1;
			return 0;
		}
		if (r == 0)
			return broken(c, c->rx_final ? "data after the final frame"
			    : "the stream ended without its final frame (truncated)");
		return broken(c, "read failed");
	}
}

int
node_recv_wait(struct node_chan *c, int *kind, const unsigned char **p, size_t *n,
    long long deadline)
{
	int r;

	for (;;) {
		if ((r = node_recv(c, kind, p, n)) != 0)
			return r;
		if (c->eof)
			return broken(c, "the stream ended");
		if (node_flush(c))
			return broken(c, "peer went away");
		if (wait_fd(c->rfd, POLLIN, deadline) == 0 && clock_mono_ms() >= deadline)
			return broken(c, "timed out");
	}
}
