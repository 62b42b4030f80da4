/* convo: a conversation as OpenAI's clients send it — chat completions'
 * messages, or the Responses API's input items — as a claw-chat request. */
#ifndef CLAW_GW_CONVO_H
#define CLAW_GW_CONVO_H
#include <stddef.h>

#include "base/buf.h"
#include "gateway/gateway.h"

#define GW_PART_SEP "\n"          /* between the text parts of one message */

/* arr[0..n) is a JSON array of messages ({role, content}) or, for the
 * Responses API (what names the field in errors: "input"), of input items.
 * Appends ,"messages":[{role, content}…] to req, and ,"attachments":[data: URLs]
 * for the images of the user messages: 0, or -1 with a 400 in o that says
 * what is not passed on.  developer and system become system; content parts'
 * text is joined with GW_PART_SEP.  With flat (previous_response_id), only
 * system, developer and user messages may come: their text goes to req as
 * ,"system" and ,"prompt" instead, to go on the session's history. */
int gw_convo(const char *arr, size_t n, const char *what, int flat, struct buf *req,
    struct gw_out *o);
#endif
