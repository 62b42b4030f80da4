/* cloud: OpenAI's /v1/audio/transcriptions (multipart/form-data) and /v1/audio/speech,
 * and ElevenLabs' /v1/text-to-speech/VOICE/stream, through net/fetch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "media/cloud.h"
#include "net/fetch.h"
#include "net/multipart.h"
#include "store/secret.h"

#define ANSWER_MAX (4u << 20)

struct sink {
	struct buf *body;   /* collected, or NULL */
	FILE *out;          /* streamed, or NULL */
	size_t n, max;
	int failed;
};

static int
take(const char *p, size_t n, void *ctx)
{
	struct sink *s = ctx;

	if ((s->n += n) > s->max)
		return 1;
	if (s->body)
		buf_add(s->body, p, n);
	if (s->out && fwrite(p, 1, n, s->out) != n)
		return s->failed = 1;
	return 0;
}

/* POST and sort out what came back: 0 or the exit code the answer means. */
static int
post(const char *url, const char *const *headers, const struct buf *body, struct sink *s,
    const char *what)
{
	void *h = fetch_handle();
	struct fetch f = { .url = url, .headers = headers, .body = body->p, .len = body->len,
	    .connect_timeout = 20, .idle_timeout = 120, .fn = take, .ctx = s };
	struct buf msg = BUF_INIT;
	int t, rc = 0;

	if (!h)
		return err_set(EX_SOFTWARE, "cannot start libcurl");
	t = fetch_post(h, &f);
	fetch_handle_free(h);
	if (t)
		rc = err_set(t == FETCH_TIMEOUT ? EX_TEMPFAIL : EX_UNAVAILABLE, "%s: %s", what,
		    f.error[0] ? f.error : "the service cannot be reached");
	else if (f.status >= 300) {
		/* OpenAI: {"error":{"message"}}; ElevenLabs: {"detail":{"message"}} or a string. */
		const char *e;
		size_t en;
		if ((json_member(f.errbody.p ? f.errbody.p : "", f.errbody.len, "error", &e, &en)
		    || json_member(f.errbody.p ? f.errbody.p : "", f.errbody.len, "detail", &e,
		    &en)) && *e == '{')
			json_member_text(e, en, "message", &msg);
		else if (json_member(f.errbody.p ? f.errbody.p : "", f.errbody.len, "detail", &e,
		    &en) && *e == '"')
			json_str_decode(e, en, &msg);
		rc = f.status == 401 || f.status == 403 ? EX_CONFIG
		    : f.status == 408 || f.status == 429 || f.status >= 500 ? EX_TEMPFAIL
		    : f.status == 413 ? EX_DATAERR : EX_DATAERR;
		err_set(rc, "%s: HTTP %ld%s%.300s", what, f.status, msg.len ? ": " : "",
		    msg.p ? msg.p : "");
	} else if (s->failed)
		rc = err_set(EX_IOERR, "%s: cannot write the audio:", what);
	else if (f.stopped)
		rc = err_set(EX_DATAERR, "%s: the answer is over %zu bytes", what, s->max);
	buf_free(&msg);
	buf_free(&f.errbody);
	return rc;
}

int
cloud_transcribe(const struct media_svc *s, const char *name, const char *type,
    const struct buf *audio, struct buf *text, struct buf *segments)
{
	char boundary[MULTIPART_BOUNDARY_LEN], url[600], ctype[96], *auth = NULL;
	struct buf body = BUF_INIT, ans = BUF_INIT;
	struct sink sk = { .body = &ans, .max = ANSWER_MAX };
	const char *v;
	size_t vn;
	int rc;

	if (audio->len > MEDIA_UPLOAD_MAX)
		return err_set(EX_DATAERR, "%s: %zu bytes is over the %u-byte upload limit of"
		    " %s/%s", name, audio->len, MEDIA_UPLOAD_MAX, s->provider, s->model);
	multipart_boundary(boundary);
	multipart_field(&body, boundary, "model", s->model);
	multipart_field(&body, boundary, "response_format", segments ? "verbose_json" : "json");
	if (segments)
		multipart_field(&body, boundary, "timestamp_granularities[]", "segment");
	/* OpenAI knows the format by the file name's extension. */
	multipart_file(&body, boundary, "file", name, strcmp(type, "audio/opus") == 0
	    ? "audio/ogg" : type, audio->p, audio->len);
	multipart_end(&body, boundary);
	snprintf(url, sizeof url, "%s/audio/transcriptions", s->base_url);
	snprintf(ctype, sizeof ctype, "Content-Type: multipart/form-data; boundary=%s", boundary);
	if (s->key && asprintf(&auth, "Authorization: Bearer %s", s->key) < 0)
		auth = NULL;
	const char *headers[] = { ctype, auth ? auth : NULL, NULL };
	if (body.oom)
		rc = err_set(EX_SOFTWARE, "out of memory");
	else
		rc = post(url, headers, &body, &sk, "stt");
	secret_free(auth);
	buf_free(&body);
	if (!rc && json_member_text(ans.p ? ans.p : "", ans.len, "text", text) != 1)
		rc = err_set(EX_DATAERR, "stt: the answer has no text: %.100s",
		    ans.p ? ans.p : "");
	if (!rc && segments) {
		buf_addc(segments, '[');
		if (json_member(ans.p, ans.len, "segments", &v, &vn) && *v == '[') {
			const char *e;
			size_t en, off = 0;
			int k = 0;
			while (json_array_next(v, vn, &off, &e, &en)) {
				const char *x;
				size_t xn;
				buf_adds(segments, k++ ? ",{" : "{");
				if (json_member(e, en, "start", &x, &xn))
					buf_printf(segments, "\"start\":%.*s,", (int)xn, x);
				if (json_member(e, en, "end", &x, &xn))
					buf_printf(segments, "\"end\":%.*s,", (int)xn, x);
				buf_adds(segments, "\"text\":");
				if (json_member(e, en, "text", &x, &xn) && *x == '"')
					buf_add(segments, x, xn);
				else
					buf_adds(segments, "\"\"");
				buf_addc(segments, '}');
			}
		}
		buf_addc(segments, ']');
	}
	buf_free(&ans);
	return rc;
}

int
cloud_speak(const struct media_svc *s, const char *text, const char *format, FILE *out)
{
	char url[900], *auth = NULL;
	struct buf body = BUF_INIT;
	struct sink sk = { .out = out, .max = 512u << 20 };
	const char *ofmt;
	int rc;

	if (s->kind == MEDIA_ELEVENLABS) {
		/* Its own formats: MP3, Opus, or raw PCM (a WAV header is ours to add). */
		ofmt = !strcmp(format, "mp3") ? "mp3_44100_128"
		    : !strcmp(format, "wav") ? "pcm_16000"
		    : !strcmp(format, "ogg") || !strcmp(format, "opus") ? "opus_48000_64" : NULL;
		if (!ofmt)
			return err_set(EX_USAGE, "tts: ElevenLabs gives mp3, wav or ogg, not %s",
			    format);
		snprintf(url, sizeof url, "%s/text-to-speech/%s/stream?output_format=%s",
		    s->base_url, s->model, ofmt);
		buf_adds(&body, "{\"text\":");
		buf_add_json_str(&body, text, strlen(text));
		buf_adds(&body, ",\"model_id\":");
		buf_add_json_str(&body, *s->voice ? s->voice : "eleven_multilingual_v2",
		    strlen(*s->voice ? s->voice : "eleven_multilingual_v2"));
		buf_addc(&body, '}');
		if (s->key && asprintf(&auth, "xi-api-key: %s", s->key) < 0)
			auth = NULL;
		if (!strcmp(format, "wav") && out) {
			/* 16 kHz mono S16LE of unknown length: the streaming placeholder
			 * sizes espeak-ng writes too. */
			static const unsigned char hdr[44] = { 'R', 'I', 'F', 'F', 0x24, 0xf0, 0xff,
			    0x7f, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0,
			    0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0, 'd', 'a', 't', 'a', 0x00,
			    0xf0, 0xff, 0x7f };
			if (fwrite(hdr, 1, sizeof hdr, out) != sizeof hdr)
				return err_set(EX_IOERR, "tts: cannot write the audio:");
		}
	} else {
		snprintf(url, sizeof url, "%s/audio/speech", s->base_url);
		buf_adds(&body, "{\"model\":");
		buf_add_json_str(&body, s->model, strlen(s->model));
		buf_adds(&body, ",\"input\":");
		buf_add_json_str(&body, text, strlen(text));
		buf_adds(&body, ",\"voice\":");
		buf_add_json_str(&body, *s->voice ? s->voice : "alloy",
		    strlen(*s->voice ? s->voice : "alloy"));
		buf_printf(&body, ",\"response_format\":\"%s\"}",
		    !strcmp(format, "ogg") ? "opus" : format);
		if (s->key && asprintf(&auth, "Authorization: Bearer %s", s->key) < 0)
			auth = NULL;
	}
	const char *headers[] = { "Content-Type: application/json", auth ? auth : NULL, NULL };
	rc = body.oom ? err_set(EX_SOFTWARE, "out of memory") : post(url, headers, &body, &sk,
	    "tts");
	secret_free(auth);
	buf_free(&body);
	if (!rc && sk.n == 0)
		rc = err_set(EX_DATAERR, "tts: the service sent no audio");
	/* Into a file, the WAV header's sizes can be made true. */
	if (!rc && s->kind == MEDIA_ELEVENLABS && !strcmp(format, "wav") && out
	    && fseek(out, 4, SEEK_SET) == 0) {
		unsigned char le[4];
		unsigned long riff = (unsigned long)sk.n + 36, data = (unsigned long)sk.n;
		int i;
		for (i = 0; i < 4; i++)
			le[i] = (unsigned char)(riff >> (8 * i));
		fwrite(le, 1, 4, out);
		for (i = 0; i < 4; i++)
			le[i] = (unsigned char)(data >> (8 * i));
		if (fseek(out, 40, SEEK_SET) == 0)
			fwrite(le, 1, 4, out);
		fseek(out, 0, SEEK_END);
	}
	return rc;
}
