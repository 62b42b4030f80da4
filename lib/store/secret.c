/* secret: values sealed with a per-home key.  The key sits on the same disk as the
 * store, so this keeps secrets out of dumps, backups of claw.db and `config list`;
 * it is not protection against someone who can read $CLAW_HOME/keys. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "store/secret.h"

static unsigned char key[crypto_secretbox_KEYBYTES];
static int have_key;

/* 0 with key set; -1 when path cannot be opened (errno says why); -2 when it is
 * not a key (another size, or unreadable). */
static int
read_key(const char *path)
{
	struct buf b = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	if (fd < 0)
		return -1;
	rc = file_read_fd(fd, path, sizeof key, &b) || b.len != sizeof key ? -2 : 0;
	close(fd);
	if (rc == 0)
		memcpy(key, b.p, sizeof key);
	if (b.p)
		sodium_memzero(b.p, b.cap);
	buf_free(&b);
	if (rc)
		errno = EINVAL;
	return rc;
}

int
secret_harden(void)
{
	static const struct rlimit none = { .rlim_cur = 0, .rlim_max = 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_set(EX_SOFTWARE, "cannot turn core dumps off:");
	return 0;
}

/* Create the key atomically (file_create_once): of many processes racing, one
 * wins and every other one reads the winner's. */
static int
load_key(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned char k[crypto_secretbox_KEYBYTES];
	int created, rc;

	if (have_key)
		return 0;
	if ((rc = secret_harden()))
		return rc;
	if (sodium_init() < 0)
		return err_set(EX_SOFTWARE, "libsodium: cannot initialise");
	if ((rc = path_mkhome("keys")) || (rc = path_in_home(dir, sizeof dir, "keys")))
		return rc;
	snprintf(path, sizeof path, "%s/store.key", dir);
	if ((rc = read_key(path)) == 0)
		return have_key = 1, 0;
	if (rc == -2 || errno != ENOENT)
		return err_set(EX_CONFIG, "%s: unreadable or damaged store key:", path);
	randombytes_buf(k, sizeof k);
	rc = file_create_once(path, k, sizeof k, &created);
	sodium_memzero(k, sizeof k);
	if (rc)
		return rc;
	if (read_key(path) < 0)
		return err_set(EX_IOERR, "%s:", path);
	have_key = 1;
	return 0;
}

int
secret_seal(const char *plain, char **sealed)
{
	size_t n = strlen(plain);
	size_t boxlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t b64len = sodium_base64_ENCODED_LEN(boxlen, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *box;
	int rc;

	*sealed = NULL;
	if ((rc = load_key()))
		return rc;
	if (!(box = malloc(boxlen)) || !(*sealed = malloc(b64len))) {
		free(box);
		return err_set(EX_SOFTWARE, "out of memory");
	}
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n,
	    box, key);
	sodium_bin2base64(*sealed, b64len, box, boxlen, sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return 0;
}

int
secret_open(const char *sealed, char **plain)
{
	size_t len = strlen(sealed), boxlen;
	unsigned char *box;
	int rc;

	*plain = NULL;
	if ((rc = load_key()))
		return rc;
	if (!(box = malloc(len + 1)))
		return err_set(EX_SOFTWARE, "out of memory");
	if (sodium_base642bin(box, len + 1, sealed, len, NULL, &boxlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) < 0 ||
	    boxlen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		goto bad;
	boxlen -= crypto_secretbox_NONCEBYTES;
	if (!(*plain = malloc(boxlen - crypto_secretbox_MACBYTES + 1)))
		goto bad;
	if (crypto_secretbox_open_easy((unsigned char *)*plain, box + crypto_secretbox_NONCEBYTES,
	    boxlen, box, key) < 0) {
		free(*plain);
		*plain = NULL;
		goto bad;
	}
	(*plain)[boxlen - crypto_secretbox_MACBYTES] = '\0';
	free(box);
	return 0;
bad:
	free(box);
	return err_set(EX_CONFIG,
	    "a stored secret does not open with keys/store.key (key replaced?)");
}

void
secret_free(char *plain)
{
	if (plain) {
		sodium_memzero(plain, strlen(plain));
		free(plain);
	}
}
