/* responses: field for field as OpenAI's API reference shows them; what a chat
 * turn cannot say (tools, reasoning items, annotations) is left empty. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "gateway/reply.h"
#include "gateway/responses.h"

void
gw_resp_init(struct gw_resp *r, const char *id, long long created)
{
	unsigned char rnd[12];
	size_t i;

	memset(r, 0, sizeof *r);
	r->id = id;
	r->created = created;
	randombytes_buf(rnd, sizeof rnd);
	memcpy(r->item, "msg_", 4);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(r->item + 4 + 2 * i, 3, "%02x", rnd[i]);
}

static void
part(struct buf *b, const char *text, size_t tn)
{
	buf_adds(b, "{\"type\":\"output_text\",\"annotations\":[],\"text\":");
	buf_add_json_str(b, text, tn);
	buf_addc(b, '}');
}

/* The message item: in progress and empty (text NULL), or completed with its part. */
static void
item(struct buf *b, const struct gw_resp *r, const char *text, size_t tn)
{
	buf_printf(b, "{\"id\":\"%s\",\"type\":\"message\",\"status\":\"%s\","
	    "\"role\":\"assistant\",\"content\":[", r->item, text ? "completed" : "in_progress");
	if (text)
		part(b, text, tn);
	buf_adds(b, "]}");
}

/* The response: in progress (text NULL) or completed, with usage. */
static void
object(struct buf *b, const struct gw_resp *r, const char *model, const char *text, size_t tn,
    long long in, long long out)
{
	buf_printf(b, "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%lld,"
	    "\"status\":\"%s\",\"error\":null,\"incomplete_details\":null,\"model\":",
	    r->id, r->created, text ? "completed" : "in_progress");
	buf_add_json_str(b, model, strlen(model));
	buf_adds(b, ",\"output\":[");
	if (text)
		item(b, r, text, tn);
	buf_adds(b, "],\"parallel_tool_calls\":false,\"tool_choice\":\"auto\",\"tools\":[],"
	    "\"text\":{\"format\":{\"type\":\"text\"}},\"usage\":");
	if (text)
		buf_printf(b, "{\"input_tokens\":%lld,"
		    "\"input_tokens_details\":{\"cached_tokens\":%lld},\"output_tokens\":%lld,"
		    "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":%lld}",
		    in, r->cached, out, in + out);
	else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

void
gw_resp_object(struct buf *b, const struct gw_resp *r, const char *model, const char *text,
    size_t tn, long long in, long long out)
{
	object(b, r, model, text ? text : "", tn, in, out);
}

/* "event: TYPE" and its data up to the point where the caller adds its own fields. */
static void
event(struct buf *b, struct gw_resp *r, const char *type)
{
	buf_printf(b, "event: %s\ndata: {\"type\":\"%s\",\"sequence_number\":%ld", type, type,
	    r->seq++);
}

static void
at_part(struct buf *b, const struct gw_resp *r)
{
	buf_printf(b, ",\"item_id\":\"%s\",\"output_index\":0,\"content_index\":0", r->item);
}

void
gw_resp_begin(struct buf *b, struct gw_resp *r, const char *model)
{
	static const char *const states[] = { "response.created", "response.in_progress" };
	size_t i;

	for (i = 0; i < 2; i++) {
		event(b, r, states[i]);
		buf_adds(b, ",\"response\":");
		object(b, r, model, NULL, 0, 0, 0);
		buf_adds(b, "}\n\n");
	}
	event(b, r, "response.output_item.added");
	buf_adds(b, ",\"output_index\":0,\"item\":");
	item(b, r, NULL, 0);
	buf_adds(b, "}\n\n");
	event(b, r, "response.content_part.added");
	at_part(b, r);
	buf_adds(b, ",\"part\":");
	part(b, "", 0);
	buf_adds(b, "}\n\n");
}

void
gw_resp_delta(struct buf *b, struct gw_resp *r, const char *t, size_t n)
{
	event(b, r, "response.output_text.delta");
	at_part(b, r);
	buf_adds(b, ",\"delta\":");
	buf_add_json_str(b, t, n);
	buf_adds(b, ",\"logprobs\":[]}\n\n");
}

void
gw_resp_end(struct buf *b, struct gw_resp *r, const char *model, const char *text, size_t tn,
    long long in, long long out)
{
	text = text ? text : "";
	event(b, r, "response.output_text.done");
	at_part(b, r);
	buf_adds(b, ",\"text\":");
	buf_add_json_str(b, text, tn);
	buf_adds(b, ",\"logprobs\":[]}\n\n");
	event(b, r, "response.content_part.done");
	at_part(b, r);
	buf_adds(b, ",\"part\":");
	part(b, text, tn);
	buf_adds(b, "}\n\n");
	event(b, r, "response.output_item.done");
	buf_adds(b, ",\"output_index\":0,\"item\":");
	item(b, r, text, tn);
	buf_adds(b, "}\n\n");
	event(b, r, "response.completed");
	buf_adds(b, ",\"response\":");
	object(b, r, model, text, tn, in, out);
	buf_adds(b, "}\n\n");
}

/* OpenAI's error event carries code and message itself; clients that read a
 * nested "error" object (openai-node throws on one, the AI SDK parses it) find
 * them there too. */
void
gw_resp_error(struct buf *b, struct gw_resp *r, int status, const char *message)
{
	event(b, r, "error");
	buf_printf(b, ",\"code\":\"%d\",\"param\":null,\"message\":", status);
	buf_add_json_str(b, message, strlen(message));
	buf_printf(b, ",\"error\":{\"type\":\"%s\",\"code\":\"%d\",\"param\":null,"
	    "\"message\":", gw_error_type(status), status);
	buf_add_json_str(b, message, strlen(message));
	buf_adds(b, "}}\n\n");
}
