/* eligible: requires.bins, anyBins, env, config and os checked against this
 * machine, each missing item named, so list and check can say why. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/line.h"
#include "base/path.h"
#include "skill/eligible.h"
#include "store/config.h"

/* A listing asks for the same few programs once per skill (jq, cat, head: 80
 * lookups of 30 names): answers are kept for a second, for this PATH, so a program
 * installed later is seen soon after.  For that second PATH's directories stay
 * open, each once -- PATH often names one twice, or /bin beside the /usr/bin it
 * links to -- and none that does not exist; a name is looked up in each with
 * faccessat(2), one component rather than the whole path walked again.  With
 * access(2) of every DIR/NAME, claw status made 330 calls for 33 names. */
#define MEMO_SLOTS 64
#define MEMO_MS 1000
static struct memo {
	char bin[48];
	int found;
} memo[MEMO_SLOTS];
static size_t nmemo;
static long long memo_at;
static char *memo_path;          /* the PATH they are for */
static int *dirs;                /* its directories, open (O_PATH), in order */
static size_t ndirs;

static void
forget_dirs(void)
{
	while (ndirs)
		close(dirs[--ndirs]);
}

/* Open p's directories into dirs: 0, or -1 when out of memory. */
static int
open_dirs(const char *p)
{
	struct stat st, *seen = NULL;
	const char *end;
	char dir[PATH_MAX];
	size_t n, i, cap = 0;
	int fd;

	forget_dirs();
	for (; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		n = end == p ? 1 : (size_t)(end - p);       /* an empty entry is "." */
		if (n >= sizeof dir)
			continue;
		memcpy(dir, end == p ? "." : p, n);
		dir[n] = '\0';
		if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		if (fstat(fd, &st) < 0) {
			close(fd);
			continue;
		}
		for (i = 0; i < ndirs; i++)
			if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
				break;
		if (i < ndirs) {
			close(fd);
			continue;
		}
		if (ndirs == cap) {
			void *d, *v;
			cap = cap ? 2 * cap : 16;
			if (!(d = realloc(dirs, cap * sizeof *dirs)) ||
			    (dirs = d, !(v = realloc(seen, cap * sizeof *seen)))) {
				close(fd);
				free(seen);
				forget_dirs();
				return -1;
			}
			seen = v;
		}
		seen[ndirs] = st;
		dirs[ndirs++] = fd;
	}
	free(seen);
	return 0;
}

/* 1 when bin is an executable in one of the open directories.  Which one does not
 * matter here, so the one that answered moves to the front: most programs are in
 * one directory (/usr/bin), looked in first from then on. */
static int
lookup(const char *bin)
{
	size_t i;
	int fd;

	for (i = 0; i < ndirs; i++)
		if (faccessat(dirs[i], bin, X_OK, 0) == 0) {
			fd = dirs[i];
			memmove(dirs + 1, dirs, i * sizeof *dirs);
			dirs[0] = fd;
			return 1;
		}
	return 0;
}

static int
on_path(const char *bin)
{
	const char *p = getenv("PATH");
	long long now = clock_mono_ms();
	size_t i;
	int found;

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	p = p ? p : PATH_DEFAULT;
	if (!memo_path || now - memo_at > MEMO_MS || strcmp(p, memo_path)) {
		nmemo = 0;
		memo_at = now;
		free(memo_path);
		if (!(memo_path = strdup(p)) || open_dirs(p)) {
			free(memo_path);
			memo_path = NULL;
			return 0;
		}
	}
	for (i = 0; i < nmemo; i++)
		if (memo[i].bin[0] == bin[0] && strcmp(memo[i].bin, bin) == 0)
			return memo[i].found;
	found = lookup(bin);
	if (nmemo < MEMO_SLOTS && strlen(bin) < sizeof memo[0].bin) {
		memcpy(memo[nmemo].bin, bin, strlen(bin) + 1);
		memo[nmemo++].found = found;
	}
	return found;
}

/* 1 when config key is set, 0 when not, -1 when the copy cannot say (token: read
 * config from the copy written under it, not from db). */
static int
key_set(sqlite3 *db, const int *token, const char *key)
{
	char *v = NULL;
	int rc;

	if (config_check_key(key))
		return 0;
	rc = token ? config_get_copy(key, *token, &v, NULL) : config_get(db, key, &v, NULL);
	free(v);
	return rc < 0 ? -1 : rc == 0;
}

/* "; " after the first, then what: item -- by pieces: buf_printf for each of the
 * fixtures' missing programs was a fifth of a list from its copy. */
static void
say(struct buf *why, size_t start, const char *what, const char *item)
{
	if (why->len > start)
		buf_adds(why, "; ");
	buf_adds(why, what);
	buf_adds(why, item);
}

static int
missing(sqlite3 *db, const int *token, const struct skill *k, struct buf *why)
{
	int any = 0, anyok = 0, osok = 0, oses = 0, set;
	size_t start = why->len;
	const char *p;
	char b[512];

	if (k->error) {
		say(why, why->len, "broken: ", k->error);
		return 0;
	}
	for (p = k->bins; line_next(&p, b, sizeof b);)
		if (!on_path(b))
			say(why, start, "bins: ", b);
	for (p = k->any_bins; line_next(&p, b, sizeof b);) {
		any = 1;
		anyok = anyok || on_path(b);
	}
	if (any && !anyok)
		say(why, start, "anyBins: one of ", k->any_bins);
	for (p = k->env; line_next(&p, b, sizeof b);)
		if (!getenv(b) || !*getenv(b))
			say(why, start, "env: ", b);
	for (p = k->config_keys; line_next(&p, b, sizeof b);)
		if ((set = key_set(db, token, b)) < 0)
			return -1;
		else if (!set)
			say(why, start, "config: ", b);
	for (p = k->os; line_next(&p, b, sizeof b);) {
		oses = 1;
		osok |= strcmp(b, "linux") == 0;
	}
	if (oses && !osok)
		say(why, start, "os: ", k->os);
	if (why->len > start)
		for (char *s = why->p + start; *s; s++)
			if (*s == '\n')
				*s = ',';
	return 0;
}

void
skill_missing(sqlite3 *db, const struct skill *k, struct buf *why)
{
	missing(db, NULL, k, why);
}

int
skill_missing_copy(int token, const struct skill *k, struct buf *why)
{
	return missing(NULL, &token, k, why);
}
