/* convo: read with base/json.c, never libjq.  Only what reaches the model is
 * accepted: an image it cannot get (a URL to fetch, an uploaded file, a type the
 * providers do not take) is a 400 naming it, never dropped in silence. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "gateway/convo.h"
#include "gateway/reply.h"

static const char *const image_types[] = {
	"data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
	"data:image/webp;base64,",
};

struct conv {
	const char *what;
	struct buf msgs, atts, system, prompt;
	size_t nmsgs, natts, nsaid;      /* nsaid: messages that are not system */
	char why[200];
};

static int
fail(struct conv *c, const char *fmt, size_t i, size_t j, const char *s)
{
	char where[64];

	if (j == (size_t)-1)
		snprintf(where, sizeof where, "%s[%zu]", c->what, i);
	else
		snprintf(where, sizeof where, "%s[%zu].content[%zu]", c->what, i, j);
	snprintf(c->why, sizeof c->why, fmt, where, s);
	return -1;
}

/* An image part's URL: a data: URL of a type the providers take, as an attachment. */
static int
image(struct conv *c, const char *v, size_t vn, size_t i, size_t j, int user)
{
	struct buf url = BUF_INIT;
	size_t k;
	int rc = 0;

	if (*v == '{') {                /* chat: {"url", "detail"}; Responses: a string */
		if (json_member_text(v, vn, "url", &url) <= 0)
			rc = fail(c, "%s: image_url: want {\"url\": \"data:…\"}%s", i, j, "");
	} else if (json_str_decode(v, vn, &url) != 1)
		rc = fail(c, "%s: image_url: want a data: URL%s", i, j, "");
	if (rc)
		goto out;
	if (!user) {
		rc = fail(c, "%s: an image goes in a user message%s", i, j, "");
		goto out;
	}
	for (k = 0; k < sizeof image_types / sizeof image_types[0]; k++)
		if (url.len > strlen(image_types[k])
		    && strncmp(url.p, image_types[k], strlen(image_types[k])) == 0)
			break;
	if (k == sizeof image_types / sizeof image_types[0]) {
		rc = fail(c, "%s: image not passed on: %s", i, j,
		    strncmp(url.p ? url.p : "", "data:", 5) == 0
		    ? "want a base64 data: URL of a png, jpeg, gif or webp image"
		    : "only data: URLs are passed on (the gateway fetches no URL)");
		goto out;
	}
	buf_adds(&c->atts, c->natts++ ? "," : "");
	buf_add_json_str(&c->atts, url.p, url.len);
out:
	buf_free(&url);
	return rc;
}

/* content: a string, null, or parts; the text into text, images into c->atts. */
static int
content(struct conv *c, const char *v, size_t vn, size_t i, int user, struct buf *text)
{
	const char *part, *iv;
	size_t pn, ivn, off = 0, j;
	char type[32];
	int parts = 0;

	if (*v == 'n')
		return 0;
	if (*v == '"')
		return json_str_decode(v, vn, text) == 1 ? 0
		    : fail(c, "%s: content: want a string or an array of parts%s", i, -1, "");
	if (*v != '[')
		return fail(c, "%s: content: want a string or an array of parts%s", i, -1, "");
	for (j = 0; json_array_next(v, vn, &off, &part, &pn); j++) {
		if (*part != '{' || !json_member_str(part, pn, "type", type, sizeof type))
			return fail(c, "%s: want {\"type\": …}%s", i, j, "");
		if (strcmp(type, "text") == 0 || strcmp(type, "input_text") == 0
		    || strcmp(type, "output_text") == 0) {
			if (parts++)
				buf_adds(text, GW_PART_SEP);
			if (json_member_text(part, pn, "text", text) <= 0)
				return fail(c, "%s: text: want a string%s", i, j, "");
		} else if (strcmp(type, "image_url") == 0 || strcmp(type, "input_image") == 0) {
			if (!json_member(part, pn, "image_url", &iv, &ivn))
				return fail(c, "%s: image not passed on: %s", i, j,
				    "only images given as image_url data: URLs are (no file_id)");
			if (image(c, iv, ivn, i, j, user))
				return -1;
		} else
			return fail(c, "%s: a %s part is not passed on: want text or an image",
			    i, j, type);
	}
	return 0;
}

static int
message(struct conv *c, const char *m, size_t mn, size_t i, int flat)
{
	static const char *const roles[] = { "system", "developer", "user", "assistant", "tool" };
	struct buf text = BUF_INIT;
	const char *v;
	size_t vn, k;
	char role[16], type[40];
	int sys, rc = 0;

	if (*m != '{')
		return fail(c, "%s: want an object%s", i, -1, "");
	if (json_member_str(m, mn, "type", type, sizeof type) && strcmp(type, "message"))
		return fail(c, "%s: a %s item is not passed on: want messages", i, -1, type);
	if (!json_member_str(m, mn, "role", role, sizeof role))
		return fail(c, "%s: role: want system, developer, user, assistant or tool%s", i,
		    -1, "");
	for (k = 0; k < sizeof roles / sizeof roles[0] && strcmp(role, roles[k]); k++)
		;
	if (k == sizeof roles / sizeof roles[0] || (flat && k > 2))
		return fail(c, flat ? "%s: role %s: with previous_response_id, input is the"
		    " new user message"
		    : "%s: role %s: want system, developer, user, assistant or tool", i, -1, role);
	sys = k < 2;                   /* developer is what newer clients call system */
	c->nsaid += !sys;
	if (json_member(m, mn, "content", &v, &vn)
	    && (rc = content(c, v, vn, i, strcmp(role, "user") == 0, &text)))
		goto out;
	if (flat) {
		struct buf *to = sys ? &c->system : &c->prompt;
		if (to->len)
			buf_adds(to, sys ? "\n\n" : GW_PART_SEP);
		buf_add(to, text.p ? text.p : "", text.len);
		goto out;
	}
	buf_adds(&c->msgs, c->nmsgs++ ? ",{\"role\":" : "{\"role\":");
	buf_add_json_str(&c->msgs, sys ? "system" : role, strlen(sys ? "system" : role));
	buf_adds(&c->msgs, ",\"content\":");
	buf_add_json_str(&c->msgs, text.p ? text.p : "", text.len);
	buf_addc(&c->msgs, '}');
out:
	buf_free(&text);
	return rc;
}

/* A member's comma, unless it is the object's first. */
static void
member(struct buf *req, const char *name)
{
	if (req->len && req->p[req->len - 1] != '{')
		buf_addc(req, ',');
	buf_adds(req, name);
}

int
gw_convo(const char *arr, size_t n, const char *what, int flat, struct buf *req,
    struct gw_out *o)
{
	struct conv c = { .what = what };
	const char *m;
	size_t mn, off = 0, i;
	int rc = 0;

	for (i = 0; !rc && json_array_next(arr, n, &off, &m, &mn); i++)
		rc = message(&c, m, mn, i, flat);
	if (!rc && !c.nsaid) {
		snprintf(c.why, sizeof c.why, "%s: want a user message, not only a system one",
		    what);
		rc = -1;
	}
	if (rc)
		gw_error(o, 400, c.why);
	else if (flat) {
		if (c.system.len) {
			member(req, "\"system\":");
			buf_add_json_str(req, c.system.p, c.system.len);
		}
		member(req, "\"prompt\":");
		buf_add_json_str(req, c.prompt.p ? c.prompt.p : "", c.prompt.len);
	} else {
		member(req, "\"messages\":[");
		buf_add(req, c.msgs.p ? c.msgs.p : "", c.msgs.len);
		buf_addc(req, ']');
	}
	if (!rc && c.natts) {
		member(req, "\"attachments\":[");
		buf_add(req, c.atts.p, c.atts.len);
		buf_addc(req, ']');
	}
	buf_free(&c.msgs);
	buf_free(&c.atts);
	buf_free(&c.system);
	buf_free(&c.prompt);
	return rc;
}
