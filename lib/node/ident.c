/* ident: the identity key file, created as store.key is (a private temp file
 * linked into place, so racing first runs agree), and key text for people. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "node/ident.h"
#include "store/secret.h"

#define HEAD "claw-node ed25519 seed v1\n"

/* 0 with id set, -1 with errno when the file cannot be opened, -2 when it is not a key. */
static int
read_id(const char *path, struct node_id *id)
{
	struct buf b = BUF_INIT;
	unsigned char seed[32];
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -2;

	if (fd < 0)
		return -1;
	if (file_read_fd(fd, path, 256, &b) == 0 && b.len > strlen(HEAD)
	    && memcmp(b.p, HEAD, strlen(HEAD)) == 0
	    && sodium_base642bin(seed, sizeof seed, b.p + strlen(HEAD), b.len - strlen(HEAD),
	    "\n", &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 && n == 32) {
		crypto_sign_seed_keypair(id->pk, id->sk, seed);
		rc = 0;
	}
	close(fd);
	sodium_memzero(seed, sizeof seed);
	if (b.p)
		sodium_memzero(b.p, b.cap);
	buf_free(&b);
	return rc;
}

int
ident_load(struct node_id *id, int *created)
{
	char dir[PATH_MAX], path[PATH_MAX], text[128];
	unsigned char seed[32];
	size_t n;
	int rc;

	*created = 0;
	if ((rc = secret_harden()))
		return rc;
	if (sodium_init() < 0)
		return err_set(EX_SOFTWARE, "libsodium: cannot initialise");
	if ((rc = path_mkhome("keys")) || (rc = path_in_home(dir, sizeof dir, "keys")))
		return rc;
	snprintf(path, sizeof path, "%s/node.key", dir);
	if ((rc = read_id(path, id)) == 0)
		return 0;
	if (rc == -2 || errno != ENOENT)
		return err_set(EX_CONFIG, "%s: unreadable or damaged identity key:", path);
	randombytes_buf(seed, sizeof seed);
	n = snprintf(text, sizeof text, "%s", HEAD);
	sodium_bin2base64(text + n, sizeof text - n, seed, sizeof seed,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	n = strlen(text);
	text[n++] = '\n';
	rc = file_create_once(path, text, n, created);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(text, sizeof text);
	if (rc)
		return rc;
	if (read_id(path, id) != 0)
		return err_set(EX_IOERR, "%s: cannot read the identity back", path);
	return 0;
}

void
ident_wipe(struct node_id *id)
{
	sodium_memzero(id, sizeof *id);
}

void
ident_key_text(const unsigned char pk[32], char out[NODE_KEYTEXT])
{
	sodium_bin2base64(out, NODE_KEYTEXT, pk, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
ident_key_parse(const char *s, unsigned char pk[32])
{
	size_t n = 0, len = strlen(s);

	if (len == 64)
		return sodium_hex2bin(pk, 32, s, len, NULL, &n, NULL) == 0 && n == 32 ? 0 : -1;
	if (len != 43)
		return -1;
	return sodium_base642bin(pk, 32, s, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 && n == 32 ? 0 : -1;
}

void
ident_fingerprint(const unsigned char pk[32], char out[NODE_FPTEXT])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
	snprintf(out, NODE_FPTEXT, "%02x%02x-%02x%02x-%02x%02x-%02x%02x", h[0], h[1], h[2], h[3],
	    h[4], h[5], h[6], h[7]);
}
