/* responses: the answers of OpenAI's Responses API — the response object, and
 * its stream of named server-sent events in the order OpenAI sends them. */
#ifndef CLAW_GW_RESPONSES_H
#define CLAW_GW_RESPONSES_H
#include <stddef.h>

#include "base/buf.h"

struct gw_resp {
	const char *id;               /* resp_…, chosen by the route */
	char item[40];                /* msg_…: the one output message */
	long long created;            /* seconds */
	long seq;                     /* the stream's next sequence_number */
	long long cached;             /* of the input tokens: from the provider's cache */
};

void gw_resp_init(struct gw_resp *r, const char *id, long long created);
/* The whole response object, status "completed", with text as its one message. */
void gw_resp_object(struct buf *b, const struct gw_resp *r, const char *model,
    const char *text, size_t tn, long long in, long long out);
/* Stream events: response.created and .in_progress, the message item and its
 * output_text part added; then a delta; then their .done events and
 * response.completed; or an error event. */
void gw_resp_begin(struct buf *b, struct gw_resp *r, const char *model);
void gw_resp_delta(struct buf *b, struct gw_resp *r, const char *t, size_t n);
void gw_resp_end(struct buf *b, struct gw_resp *r, const char *model, const char *text,
    size_t tn, long long in, long long out);
void gw_resp_error(struct buf *b, struct gw_resp *r, int status, const char *message);
#endif
