/* local: the engines on this machine — sox and ffmpeg to decode, pocketsphinx to
 * listen, flite or espeak-ng to speak — each run under claw-sandbox without network. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "base/proc.h"
#include "media/local.h"

#define PS_MODEL "/usr/share/pocketsphinx/model/en-us"

int
local_find(const char *prog, char *dst, size_t n)
{
	const char *p = PATH_DEFAULT;

	while (*p) {
		size_t len = strcspn(p, ":");
		snprintf(dst, n, "%.*s/%s", (int)len, p, prog);
		if (access(dst, X_OK) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	return -1;
}

int
local_need(const char *prog, const char *package, char *dst, size_t n)
{
	if (local_find(prog, dst, n) == 0)
		return 0;
	return err_set(EX_UNAVAILABLE, "%s is not installed: apt-get install %s", prog, package);
}

int
local_run(const char *dir, const char *input, char *const argv[], struct buf *out, int secs)
{
	char sandbox[PATH_MAX], num[16];
	char *v[64];
	struct buf errb = BUF_INIT;
	int n = 0, i, st;

	if (path_find_prog("claw-sandbox", sandbox, sizeof sandbox) < 0)
		return err_set(EX_UNAVAILABLE, "claw-sandbox is not installed: %s is not run"
		    " unsandboxed", argv[0]);
	snprintf(num, sizeof num, "%d", secs);
	v[n++] = sandbox;
	v[n++] = "-t"; v[n++] = num;
	v[n++] = "-T"; v[n++] = num;
	v[n++] = "-m"; v[n++] = "1024";     /* the language model and a decoded hour */
	v[n++] = "-f"; v[n++] = "512";
	v[n++] = "-d"; v[n++] = (char *)dir;
	if (input) {
		v[n++] = "-r";
		v[n++] = (char *)input;
	}
	v[n++] = "--";
	for (i = 0; argv[i] && n < 63; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	st = proc_run_err(v, NULL, NULL, 0, out, 1u << 20, &errb, 4096, NULL,
	    (secs + 5) * 1000);
	if (st == 0) {
		buf_free(&errb);
		return 0;
	}
	while (errb.len && (errb.p[errb.len - 1] == '\n' || errb.p[errb.len - 1] == '\r'))
		errb.len--;
	{
		/* The last line a failing engine wrote says most. */
		const char *last = errb.p ? errb.p : "";
		size_t k = errb.len;
		while (k > 0 && errb.p[k - 1] != '\n')
			k--;
		last = errb.p ? errb.p + k : "";
		if (st == PROC_TIMEDOUT || st == 124)
			err_set(EX_DATAERR, "%s: out of time after %d s", argv[0], secs);
		else if (st == PROC_NOSTART)
			;       /* err says why */
		else
			err_set(EX_DATAERR, "%s: exited with status %d%s%.*s", argv[0], st,
			    errb.len ? ": " : "", (int)(errb.len - k > 200 ? 200 : errb.len - k),
			    last);
	}
	buf_free(&errb);
	return err_code();
}

/* sox reads these by name; Opus, WebM and MP4 need ffmpeg. */
static const char *
sox_type(const char *type)
{
	static const char *const t[][2] = {
		{ "audio/wav", "wav" }, { "audio/ogg", "ogg" }, { "audio/flac", "flac" },
		{ "audio/mpeg", "mp3" }, { "audio/aiff", "aiff" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i][0], type) == 0)
			return t[i][1];
	return NULL;
}

int
local_decode16k(const char *dir, const char *path, const char *type, char *wav, size_t n)
{
	char prog[PATH_MAX], full[PATH_MAX];
	const char *st = sox_type(type);
	struct buf out = BUF_INIT;
	int rc;

	if (!realpath(path, full))
		return err_set(EX_NOINPUT, "%s:", path);
	snprintf(wav, n, "%s/in16k.wav", dir);
	if (st) {
		if ((rc = local_need("sox", "sox libsox-fmt-all", prog, sizeof prog)))
			return rc;
		char *argv[] = { prog, "-q", "-t", (char *)st, full, "-r", "16000", "-c", "1",
		    "-b", "16", "-e", "signed-integer", wav, NULL };
		rc = local_run(dir, full, argv, &out, 120);
	} else {
		if ((rc = local_need("ffmpeg", "ffmpeg", prog, sizeof prog)))
			return rc;
		char *argv[] = { prog, "-nostdin", "-v", "error", "-i", full, "-vn", "-ar",
		    "16000", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", wav, NULL };
		rc = local_run(dir, full, argv, &out, 120);
	}
	buf_free(&out);
	if (rc) {
		char why[300];
		snprintf(why, sizeof why, "%s", err_msg());   /* err_set overwrites it */
		return err_set(rc == EX_UNAVAILABLE ? rc : EX_DATAERR, "%s: cannot decode this %s"
		    " file (truncated or corrupt?): %s", path, type, why);
	}
	return 0;
}

/* pocketsphinx_continuous -time yes: the hypothesis, then "word start end prob" lines;
 * <s>, </s>, <sil> and fillers ([NOISE]) are not words. */
static void
ps_parse(const struct buf *out, struct buf *text, struct buf *segments)
{
	const char *p = out->p ? out->p : "", *end = p + out->len;
	int first = 1, nseg = 0;

	if (segments)
		buf_addc(segments, '[');
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char word[128];
		double a, b, pr;
		char line[512];

		snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), p);
		if (sscanf(line, "%127s %lf %lf %lf", word, &a, &b, &pr) == 4) {
			if (segments && word[0] != '<' && word[0] != '[') {
				char *paren = strchr(word, '(');      /* alternate pronunciations */
				if (paren)
					*paren = '\0';
				buf_printf(segments, "%s{\"start\":%.2f,\"end\":%.2f,\"text\":",
				    nseg++ ? "," : "", a, b);
				buf_add_json_str(segments, word, strlen(word));
				buf_addc(segments, '}');
			}
		} else if (first && len) {
			buf_add(text, p, len);
			first = 0;
		}
		p = nl ? nl + 1 : end;
	}
	if (segments)
		buf_addc(segments, ']');
}

int
local_transcribe(const char *dir, const char *wav, struct buf *text, struct buf *segments)
{
	char prog[PATH_MAX];
	struct buf out = BUF_INIT;
	struct stat st;
	int rc;

	if (stat(wav, &st) == 0 && st.st_size / 32000 > MEDIA_STT_LOCAL_MAX)
		return err_set(EX_DATAERR, "%lld s of audio is over the local engine's limit of"
		    " %d s: cut it (sox in.wav out.wav trim 0 %d) or use a cloud stt",
		    (long long)(st.st_size / 32000), MEDIA_STT_LOCAL_MAX, MEDIA_STT_LOCAL_MAX);
	if ((rc = local_need("pocketsphinx_continuous", "pocketsphinx pocketsphinx-en-us",
	    prog, sizeof prog)))
		return rc;
	if (access(PS_MODEL, R_OK) != 0)
		return err_set(EX_UNAVAILABLE, "no en-us model in %s: apt-get install"
		    " pocketsphinx-en-us", PS_MODEL);
	char *argv[] = { prog, "-infile", (char *)wav, "-logfn", "/dev/null", "-time", "yes",
	    NULL };
	/* About 1 s of processing per second of audio on a loaded 2-core machine, and a
	 * few seconds to load the model: a generous margin. */
	if ((rc = local_run(dir, NULL, argv, &out, 60 + 3 * MEDIA_STT_LOCAL_MAX)) == 0)
		ps_parse(&out, text, segments);
	buf_free(&out);
	return rc;
}

int
local_speak(const char *dir, const char *engine, const char *voice, const char *textfile,
    const char *wav)
{
	char prog[PATH_MAX];
	struct buf out = BUF_INIT;
	int rc, flite = strcmp(engine, "flite") == 0;

	if (!flite && strcmp(engine, "espeak-ng"))
		return err_set(EX_CONFIG, "tts: %s: the local engines are flite and espeak-ng",
		    engine);
	if ((rc = local_need(engine, engine, prog, sizeof prog)))
		return rc;
	if (flite) {
		char *argv[] = { prog, "-voice", (char *)(*voice ? voice : "slt"), "-f",
		    (char *)textfile, "-o", (char *)wav, NULL };
		rc = local_run(dir, NULL, argv, &out, 120);
	} else {
		char *argv[] = { prog, "-v", (char *)(*voice ? voice : "en-us"), "-f",
		    (char *)textfile, "-w", (char *)wav, NULL };
		rc = local_run(dir, NULL, argv, &out, 120);
	}
	buf_free(&out);
	return rc;
}

int
local_encode(const char *dir, const char *wav, const char *format, const char *dst)
{
	char prog[PATH_MAX];
	struct buf out = BUF_INIT;
	int rc;

	if (strcmp(format, "flac") == 0) {
		if ((rc = local_need("sox", "sox", prog, sizeof prog)))
			return rc;
		char *argv[] = { prog, "-q", (char *)wav, (char *)dst, NULL };
		rc = local_run(dir, NULL, argv, &out, 120);
	} else {
		/* ogg and opus: Opus in Ogg, as messengers send voice notes; mp3: LAME. */
		int mp3 = strcmp(format, "mp3") == 0;
		if ((rc = local_need("ffmpeg", "ffmpeg", prog, sizeof prog)))
			return rc;
		char *argv[] = { prog, "-nostdin", "-v", "error", "-y", "-i", (char *)wav,
		    "-c:a", mp3 ? "libmp3lame" : "libopus", "-f", mp3 ? "mp3" : "ogg",
		    (char *)dst, NULL };
		rc = local_run(dir, NULL, argv, &out, 120);
	}
	buf_free(&out);
	return rc;
}
