/* fuzz/gw_convo: what OpenAI's clients send, as claw-gateway turns it into a
 * claw-chat request.  Whatever the JSON array, the request written must be one
 * valid JSON object, or the answer a 400; a first byte picks the flat form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "gateway/convo.h"
#include "gateway/reply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_out o;
	struct buf req = BUF_INIT;
	const char *p = (const char *)data + 1;
	char why[64];
	size_t n = size ? size - 1 : 0;
	int flat = size && data[0] & 1;

	if (!size || !json_valid(p, n, why, sizeof why))
		return 0;
	while (n && strchr(" \t\r\n", *p))
		p++, n--;
	if (*p != '[')
		return 0;
	memset(&o, 0, sizeof o);
	buf_addc(&req, '{');
	if (gw_convo(p, n, "input", flat, &req, &o) == 0) {
		buf_addc(&req, '}');
		if (!req.oom && !json_valid(req.p, req.len, why, sizeof why))
			__builtin_trap();          /* a request claw-chat could not read */
		if (o.status)
			__builtin_trap();
	} else if (o.status != 400)
		__builtin_trap();              /* refused without saying so */
	buf_free(&req);
	gw_out_free(&o);
	return 0;
}
