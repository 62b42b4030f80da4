/* Unit tests for lib/store/secret.c: sealing round-trips, every seal is different, a
 * changed byte is refused, and the key file is private and created once. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "store/secret.h"
#include "tap.h"

#define RACERS 8

static char tmp[] = "/tmp/claw-secret-XXXXXX";

static int
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static long long
size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static int
roundtrip(const char *plain)
{
	char *sealed = NULL, *back = NULL;
	int pass;

	pass = secret_seal(plain, &sealed) == 0 && sealed && secret_open(sealed, &back) == 0
	    && back && strcmp(back, plain) == 0;
	free(sealed);
	secret_free(back);
	return pass;
}

static int
file_contains(const char *path, const char *want)
{
	char got[512] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(got, sizeof got, f))
		got[0] = '\0';
	fclose(f);
	return strcmp(got, want) == 0;
}

/* Open sealed in a new process (this program with --open): its exit status. */
static int
run_open(const char *self, const char *sealed)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl(self, self, "--open", sealed, (char *)NULL);
		_exit(126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
	char home[256], keys[300], keyfile[320], path[400], cmd[400];
	char *a = NULL, *b = NULL, *back = NULL, *big;
	const char *argv0;
	pid_t pids[RACERS];
	int i, rc, all, leftovers = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;

	if (argc == 3 && strcmp(argv[1], "--open") == 0) {
		char *plain = NULL;
		rc = secret_open(argv[2], &plain);
		secret_free(plain);
		return rc;
	}
	argv0 = argv[0];
	umask(0);
	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(home, sizeof home, "%s/home", tmp);
	snprintf(keys, sizeof keys, "%s/keys", home);
	snprintf(keyfile, sizeof keyfile, "%s/store.key", keys);
	setenv("CLAW_HOME", home, 1);

	/* A damaged key is refused rather than replaced. */
	mkdir(home, 0700);
	mkdir(keys, 0700);
	if ((f = fopen(keyfile, "w"))) {
		fputs("short", f);
		fclose(f);
	}
	rc = secret_seal("x", &a);
	ok(rc == EX_CONFIG && strstr(err_msg(), "store.key"), "a short store.key is EX_CONFIG (%s)",
	    err_msg());
	ok(a == NULL, "and nothing is sealed");
	ok(file_contains(keyfile, "short"), "the damaged key is left for the user to look at");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", keys);
	ok(system(cmd) == 0, "remove keys/");

	/* Processes racing to create the key agree on one: each seals, the parent opens all. */
	for (i = 0; i < RACERS; i++) {
		if ((pids[i] = fork()) == 0) {
			char *s = NULL, msg[32];
			FILE *out;
			snprintf(msg, sizeof msg, "racer %d", i);
			snprintf(path, sizeof path, "%s/sealed.%d", tmp, i);
			if (secret_seal(msg, &s) || !(out = fopen(path, "w")))
				_exit(1);
			fputs(s, out);
			free(s);
			_exit(fclose(out) == 0 ? 0 : 1);
		}
	}
	all = 1;
	for (i = 0; i < RACERS; i++) {
		int status;
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status)
		    || WEXITSTATUS(status) != 0)
			all = 0;
	}
	ok(all, "%d processes sealing at once all succeed", RACERS);
	all = 1;
	for (i = 0; i < RACERS; i++) {
		char sealed[512] = "", want[32];
		snprintf(path, sizeof path, "%s/sealed.%d", tmp, i);
		snprintf(want, sizeof want, "racer %d", i);
		if ((f = fopen(path, "r"))) {
			if (!fgets(sealed, sizeof sealed, f))
				sealed[0] = '\0';
			fclose(f);
		}
		if (secret_open(sealed, &back) || strcmp(back, want)) {
			note("racer %d: %s", i, back ? back : err_msg());
			all = 0;
		}
		secret_free(back);
		back = NULL;
	}
	ok(all, "every racer's secret opens with the one key that won");

	is_int(mode_of(keys), 0700, "keys/ is mode 0700");
	is_int(mode_of(keyfile), 0600, "keys/store.key is mode 0600");
	is_int(size_of(keyfile), 32, "the key is 32 bytes");
	if ((d = opendir(keys))) {
		while ((de = readdir(d)))
			if (de->d_name[0] == '.' && strcmp(de->d_name, ".") &&
			    strcmp(de->d_name, ".."))
				leftovers++;
		closedir(d);
	}
	is_int(leftovers, 0, "no temporary key files are left behind");

	/* Round trips. */
	ok(roundtrip("sk-test-1234567890"), "seal then open gives the plain text back");
	ok(roundtrip(""), "the empty string round-trips");
	ok(roundtrip("caf\xc3\xa9 \xf0\x9f\x94\x91 \"quoted\" \\ newline\n"),
	    "UTF-8 and specials round-trip");
	big = malloc(100001);
	memset(big, 'k', 100000);
	big[100000] = '\0';
	ok(roundtrip(big), "a 100 kB value round-trips");
	free(big);

	/* Sealed text: not the plain text, base64, and never the same twice. */
	rc = secret_seal("sk-test-1234567890", &a);
	rc |= secret_seal("sk-test-1234567890", &b);
	is_int(rc, 0, "two seals of the same value");
	ok(a && b && !strstr(a, "sk-test") && !strstr(b, "sk-test"),
	    "the sealed form does not contain the value");
	ok(a && b && strcmp(a, b) != 0, "two seals differ (fresh nonce each time)");
	ok(a &&
	    strspn(a,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen(a),
	    "sealed text is base64");
	/* 24 nonce + 16 MAC + 18 value = 58 bytes -> 80 base64 characters. */
	is_int(a ? (long long)strlen(a) : -1, 80, "sealed length is base64(nonce + MAC + value)");

	/* Tampering, truncation and junk are refused with EX_CONFIG. */
	if (a) {
		size_t mid = strlen(a) / 2;
		a[mid] = a[mid] == 'A' ? 'B' : 'A';
		rc = secret_open(a, &back);
		ok(rc == EX_CONFIG && back == NULL,
		    "one changed character: EX_CONFIG, nothing returned (%s)", err_msg());
		a[mid] = '\0';
		rc = secret_open(a, &back);
		ok(rc == EX_CONFIG && back == NULL, "cut in half: EX_CONFIG");
	}
	rc = secret_open("", &back);
	ok(rc == EX_CONFIG && back == NULL, "empty: EX_CONFIG");
	rc = secret_open("AAAA", &back);
	ok(rc == EX_CONFIG && back == NULL, "shorter than nonce + MAC: EX_CONFIG");
	rc = secret_open("not base64 at all!", &back);
	ok(rc == EX_CONFIG && back == NULL, "not base64: EX_CONFIG");
	rc = secret_open("sk-test-1234567890", &back);
	ok(rc == EX_CONFIG && back == NULL, "a plain value where a sealed one belongs: EX_CONFIG");
	if (b) {
		rc = secret_open(b, &back);
		ok(rc == 0 && back && strcmp(back, "sk-test-1234567890") == 0,
		    "the untouched seal still opens");
		secret_free(back);
		back = NULL;
	}
	free(a);
	free(b);

	/* The key persists for other processes, and a replaced key opens nothing. */
	rc = secret_seal("under the first key", &a);
	is_int(rc, 0, "seal a value");
	if (a) {
		is_int(run_open(argv0, a), 0, "another process opens it with the key on disk");
		snprintf(cmd, sizeof cmd, "head -c 32 /dev/urandom > '%s'", keyfile);
		ok(system(cmd) == 0, "replace keys/store.key");
		is_int(run_open(argv0, a), EX_CONFIG,
		    "with a replaced key it does not open: EX_CONFIG");
	}
	free(a);

	/* Having opened secrets, this process makes no core and cannot be attached to
	 * (issue 11 #17): a core once held a decrypted key. */
	{
		struct rlimit rl;
		is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "after seal and open: not dumpable");
		ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0,
		    "and RLIMIT_CORE is 0, hard and soft");
		is_int(secret_harden(), 0, "secret_harden again is harmless");
	}

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		note("could not remove %s", tmp);
	return done_testing();
}
