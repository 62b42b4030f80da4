/* voice: the speech side of channels.  The audio is made by claw-chat --say as a child
 * (channel/ never links media/), into a file beside the kept voice notes, then sent. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/path.h"
#include "base/proc.h"
#include "channel/voice.h"
#include "store/config.h"

#define SAY_TIMEOUT_MS (5 * 60 * 1000)   /* a long answer through a slow engine */

static int
key_on(struct chan *c, const char *key)
{
	char *v = NULL;
	int on;

	config_get(c->db, key, &v, NULL);
	on = v && v[0] && strcmp(v, "off") != 0;
	free(v);
	return on;
}

int voice_stt_on(struct chan *c) { return key_on(c, "stt"); }
int voice_tts_on(struct chan *c) { return key_on(c, "tts"); }

int
voice_wanted(struct chan *c, int came_as_voice)
{
	if (!c->conn->voice || c->voice_reply == VOICE_NEVER
	    || (c->voice_reply == VOICE_AUTO && !came_as_voice))
		return 0;
	return voice_tts_on(c);
}

/* claw-chat --say path --format ogg with the text on stdin: 0, or why into r. */
static int
say(const char *path, const char *text, struct chan_sent *r)
{
	char prog[4096];
	char *argv[] = { prog, "--say", (char *)path, "--format", "ogg", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	int st;

	if (path_find_prog("claw-chat", prog, sizeof prog)) {
		snprintf(r->why, sizeof r->why, "voice: claw-chat is not installed");
		return -1;
	}
	st = proc_run_err(argv, NULL, text, strlen(text), &out, 1 << 16, &err, 4096, NULL,
	    SAY_TIMEOUT_MS);
	if (st != 0) {
		size_t n = err.p ? strcspn(err.p, "\n") : 0;
		if (st == PROC_NOSTART)
			snprintf(r->why, sizeof r->why, "voice: %s", err_msg());
		else if (n)
			snprintf(r->why, sizeof r->why, "voice: %.*s", (int)n, err.p);
		else
			snprintf(r->why, sizeof r->why, "voice: claw-chat --say %s", st ==
			    PROC_TIMEDOUT ? "timed out" : "failed");
	}
	buf_free(&out);
	buf_free(&err);
	return st;
}

void
voice_send(struct chan *c, const struct q_out *o, struct chan_sent *r)
{
	char path[4200];

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	r->how = SENT_FATAL;
	if (!c->conn->voice) {
		snprintf(r->why, sizeof r->why, "voice: %s cannot send voice notes", c->conn->kind);
		return;
	}
	if (path_in_home(path, sizeof path, "media")) {
		snprintf(r->why, sizeof r->why, "voice: %s", err_msg());
		return;
	}
	snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", c->name);
	if (path_mkdirs(path, 0700)) {
		snprintf(r->why, sizeof r->why, "voice: %s: cannot create it", path);
		return;
	}
	snprintf(path + strlen(path), sizeof path - strlen(path), "/out-%lld.ogg", o->id);
	/* A failed engine (not installed, tts off) is not cured by waiting: a dead letter
	 * that says why, retried by hand after the fix. */
	if (say(path, o->text, r) == 0) {
		struct buf audio = BUF_INIT;
		if (file_read(path, CHAN_MEDIA_MAX, &audio))
			snprintf(r->why, sizeof r->why, "voice: %s", err_msg());
		else
			c->conn->voice(c, o->peer, path, &audio, o->reply_to, r);
		buf_free(&audio);
	}
	unlink(path);
}
