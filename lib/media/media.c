/* media: which engine the config names, and each job's steps — sniff, decode, listen;
 * or write the text, speak, encode — in a scratch directory removed afterwards. */
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
#include "base/sniff.h"
#include "media/cloud.h"
#include "media/local.h"
#include "media/media.h"

int
media_svc_parse(const char *value, struct media_svc *s)
{
	const char *slash = strchr(value, '/'), *colon;

	memset(s, 0, sizeof *s);
	if (strcmp(value, "off") == 0)
		return 0;
	if (strcmp(value, "local") == 0) {
		s->kind = MEDIA_LOCAL;
		snprintf(s->provider, sizeof s->provider, "local");
		return 0;
	}
	if (!slash || slash == value || !slash[1] || (size_t)(slash - value) >= sizeof s->provider)
		return err_set(EX_CONFIG, "%s: want off, local, local/ENGINE[:VOICE] or"
		    " provider/model[:voice]", value);
	snprintf(s->provider, sizeof s->provider, "%.*s", (int)(slash - value), value);
	colon = strchr(slash + 1, ':');
	snprintf(s->model, sizeof s->model, "%.*s", (int)(colon ? colon - slash - 1
	    : (long)strlen(slash + 1)), slash + 1);
	if (colon)
		snprintf(s->voice, sizeof s->voice, "%s", colon + 1);
	s->kind = !strcmp(s->provider, "local") ? MEDIA_LOCAL
	    : !strcmp(s->provider, "elevenlabs") ? MEDIA_ELEVENLABS : MEDIA_OPENAI;
	return 0;
}

const char *
media_audio_type(const char *path, int *rc)
{
	char head[SNIFF_HEAD];
	const char *t;
	ssize_t n;
	int fd;

	*rc = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		*rc = err_set(EX_NOINPUT, "%s:", path);
		return NULL;
	}
	n = read(fd, head, sizeof head);
	close(fd);
	t = n > 0 ? sniff_type(head, (size_t)n) : NULL;
	return t && !strncmp(t, "audio/", 6) ? t : NULL;
}

/* A scratch directory of ours for one job: 0 or EX_CANTCREAT. */
static int
scratch(char *dir, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, n, "%s/claw-media.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return err_set(EX_CANTCREAT, "%s:", dir);
	}
	return 0;
}

int
media_transcribe(const struct media_svc *s, const char *path, struct buf *text,
    struct buf *segments)
{
	char dir[PATH_MAX], wav[PATH_MAX];
	const char *type, *name = strrchr(path, '/');
	struct buf audio = BUF_INIT;
	struct stat st;
	int rc;

	name = name ? name + 1 : path;
	if (s->kind == MEDIA_OFF)
		return err_set(EX_CONFIG, "%s: speech to text is off: run: claw config set"
		    " stt=local (pocketsphinx) or stt=openai/whisper-1", path);
	if (s->kind == MEDIA_ELEVENLABS)
		return err_set(EX_CONFIG, "stt: elevenlabs is text to speech only here");
	if (stat(path, &st) < 0)
		return err_set(EX_NOINPUT, "%s:", path);
	if (!S_ISREG(st.st_mode))
		return err_set(EX_NOINPUT, "%s: not a regular file", path);
	if (!(type = media_audio_type(path, &rc)))
		return rc ? rc : err_set(EX_DATAERR, "%s: not audio (wav, ogg, opus, flac, mp3,"
		    " webm, m4a, aiff: known by content)", path);
	if (s->kind != MEDIA_LOCAL) {
		if ((rc = file_read(path, MEDIA_UPLOAD_MAX, &audio)) == EX_DATAERR)
			rc = err_set(EX_DATAERR, "%s: over the %u-byte upload limit of %s/%s", path,
			    MEDIA_UPLOAD_MAX, s->provider, s->model);
		if (!rc)
			rc = cloud_transcribe(s, name, type, &audio, text, segments);
		buf_free(&audio);
		return rc;
	}
	if (s->model[0] && strcmp(s->model, "pocketsphinx"))
		return err_set(EX_CONFIG, "stt: local/%s: the local engine is pocketsphinx",
		    s->model);
	if ((rc = scratch(dir, sizeof dir)))
		return rc;
	if ((rc = local_decode16k(dir, path, type, wav, sizeof wav)) == 0)
		rc = local_transcribe(dir, wav, text, segments);
	path_rmtree(dir);
	return rc;
}

/* The format the caller wants: the flag, else out's extension, else WAV. */
static int
format_of(const char *out, const char *flag, char *fmt, size_t n)
{
	static const char *const known[] = { "wav", "mp3", "ogg", "opus", "flac" };
	const char *dot = strrchr(out, '.'), *f = flag;
	size_t i;

	if (!f)
		f = dot && !strchr(dot, '/') && strcmp(out, "-") ? dot + 1 : "wav";
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(known[i], f) == 0) {
			snprintf(fmt, n, "%s", f);
			return 0;
		}
	return err_set(EX_USAGE, "%s: not an audio format to write (wav, mp3, ogg, opus, flac)",
	    f);
}

/* Copy the file at src to out (a file, or stdout for "-"). */
static int
copy_out(const char *src, FILE *out)
{
	struct buf b = BUF_INIT;
	int rc = file_read(src, 512u << 20, &b);

	if (!rc && b.len && fwrite(b.p, 1, b.len, out) != b.len)
		rc = err_set(EX_IOERR, "cannot write the audio:");
	buf_free(&b);
	return rc;
}

static int
speak_local(const struct media_svc *s, const char *text, const char *fmt, FILE *out)
{
	char dir[PATH_MAX], txt[PATH_MAX], wav[PATH_MAX], enc[PATH_MAX], prog[PATH_MAX];
	const char *engine = s->model;
	FILE *f;
	int rc;

	/* local alone: flite's slt voice, which speech recognisers hear best, else espeak-ng. */
	if (!*engine)
		engine = local_find("flite", prog, sizeof prog) == 0 ? "flite" : "espeak-ng";
	if ((rc = scratch(dir, sizeof dir)))
		return rc;
	snprintf(txt, sizeof txt, "%s/text.txt", dir);
	snprintf(wav, sizeof wav, "%s/speech.wav", dir);
	snprintf(enc, sizeof enc, "%s/speech.%s", dir, fmt);
	if (!(f = fopen(txt, "wx")) || fputs(text, f) == EOF || fclose(f) == EOF)
		rc = err_set(EX_CANTCREAT, "%s:", txt);
	if (!rc)
		rc = local_speak(dir, engine, s->voice, txt, wav);
	if (!rc && strcmp(fmt, "wav"))
		rc = local_encode(dir, wav, fmt, enc);
	if (!rc)
		rc = copy_out(strcmp(fmt, "wav") ? enc : wav, out);
	path_rmtree(dir);
	return rc;
}

int
media_speak(const struct media_svc *s, const char *text, const char *out, const char *format)
{
	char fmt[8], tmp[PATH_MAX];
	FILE *f = stdout;
	int rc, fd = -1;

	if (s->kind == MEDIA_OFF)
		return err_set(EX_CONFIG, "text to speech is off: run: claw config set tts=local"
		    " (flite, espeak-ng) or tts=openai/tts-1");
	if ((rc = format_of(out, format, fmt, sizeof fmt)))
		return rc;
	if (!*text)
		return err_set(EX_DATAERR, "nothing to speak: the text is empty");
	if (strlen(text) > MEDIA_TTS_MAX * 4)
		return err_set(EX_DATAERR, "%zu bytes of text is over the %d-character limit of"
		    " speech: cut it", strlen(text), MEDIA_TTS_MAX);
	/* A file is written beside its name and renamed: never half an answer under it. */
	if (strcmp(out, "-")) {
		snprintf(tmp, sizeof tmp, "%s.XXXXXX", out);
		if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd), unlink(tmp);
			return err_set(EX_CANTCREAT, "%s:", out);
		}
	}
	rc = s->kind == MEDIA_LOCAL ? speak_local(s, text, fmt, f) : cloud_speak(s, text, fmt, f);
	if (f != stdout) {
		if (fclose(f) == EOF && !rc)
			rc = err_set(EX_IOERR, "%s:", out);
		if (!rc && rename(tmp, out) < 0)
			rc = err_set(EX_CANTCREAT, "%s:", out);
		if (rc)
			unlink(tmp);
	} else if (fflush(stdout) == EOF && !rc)
		rc = err_set(EX_IOERR, "stdout:");
	return rc;
}
