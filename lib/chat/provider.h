/* provider: from "provider/model" and the config to an endpoint, a wire format
 * and a key.  The key lives in headers only: never argv, URLs or logs. */
#ifndef CLAW_PROVIDER_H
#define CLAW_PROVIDER_H
#include <sqlite3.h>

#include "chat/wire.h"

struct provider {
	char name[64], model[256];
	enum wire_kind kind;
	char base_url[512];
	char *api_key;            /* NULL when the provider needs none */
	int deepseek, local;
	long context;             /* the model's context window when known, else 0 */
	char *headers[5];         /* "Name: value" lines for fetch, NULL-terminated */
};

/* Resolve one "provider/model": 0, EX_CONFIG (bad config), EX_UNAVAILABLE (no key). */
int provider_resolve(sqlite3 *db, const char *spec, struct provider *p);
void provider_free(struct provider *p);
void provider_url(const struct provider *p, char *dst, size_t n);   /* the chat endpoint */
void provider_scrub(const struct provider *p, char *text);          /* hide the key in text */
#endif
