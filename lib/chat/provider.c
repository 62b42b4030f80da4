/* provider: built-in providers plus any providers.NAME.* from the config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/config.h"
#include "base/err.h"
#include "chat/provider.h"
#include "store/secret.h"

static const struct {
	const char *name, *env;
} key_env[] = {
	{ "openai", "OPENAI_API_KEY" },
	{ "anthropic", "ANTHROPIC_API_KEY" },
	{ "deepseek", "DEEPSEEK_API_KEY" },
	{ "elevenlabs", "ELEVENLABS_API_KEY" },         /* text to speech (media) */
};

/* Context windows of well-known model families, by name prefix. */
static const struct {
	const char *prefix;
	long tokens;
} windows[] = {
	{ "claude", 200000 }, { "gpt-4o", 128000 }, { "gpt-4.1", 1000000 }, { "gpt-5", 400000 },
	{ "o1", 200000 }, { "o3", 200000 }, { "o4", 200000 }, { "deepseek", 64000 },
	{ "llama3", 128000 }, { "qwen", 32000 }, { "mistral", 32000 },
};

/* The config's value of providers.NAME.field, checked as `claw config set` checks
 * it (the environment may hold anything): 0, EX_NORESULT or EX_CONFIG. */
static int
field(sqlite3 *db, const char *prov, const char *name, char **v)
{
	char key[160];
	int rc;

	snprintf(key, sizeof key, "providers.%s.%s", prov, name);
	if ((rc = config_get(db, key, v, NULL)) == 0 && (rc = config_check(key, *v))) {
		free(*v);
		*v = NULL;
	}
	return rc;
}

/* provider/model: the names, and the context window of a well-known model family. */
static int
spec_parse(const char *spec, struct provider *p)
{
	const char *slash = strchr(spec, '/');
	size_t i;

	if (!slash || slash == spec || !slash[1] || (size_t)(slash - spec) >= sizeof p->name)
		return err_set(EX_CONFIG, "%s: a model is provider/model (e.g. openai/gpt-4o-mini)",
		    spec);
	snprintf(p->name, sizeof p->name, "%.*s", (int)(slash - spec), spec);
	snprintf(p->model, sizeof p->model, "%s", slash + 1);
	p->deepseek = strcmp(p->name, "deepseek") == 0;
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++)
		if (strncmp(p->model, windows[i].prefix, strlen(windows[i].prefix)) == 0) {
			p->context = windows[i].tokens;
			break;
		}
	return 0;
}

/* Where it is (base_url without trailing slashes, and whether on this machine)
 * and which wire format it speaks. */
static int
endpoint(sqlite3 *db, const char *spec, struct provider *p)
{
	char *v = NULL;
	size_t i;
	int rc;

	if ((rc = field(db, p->name, "base_url", &v)) == EX_NORESULT)
		return err_set(EX_CONFIG, "%s: no base URL for provider '%s': run: claw config set "
		    "providers.%s.base_url=URL", spec, p->name, p->name);
	if (rc)
		return rc;
	snprintf(p->base_url, sizeof p->base_url, "%s", v);
	free(v);
	for (i = strlen(p->base_url); i > 0 && p->base_url[i - 1] == '/'; i--)
		p->base_url[i - 1] = '\0';
	p->local = strstr(p->base_url, "://127.") || strstr(p->base_url, "://localhost")
	    || strstr(p->base_url, "://[::1]");
	if ((rc = field(db, p->name, "kind", &v)))
		return rc;
	p->kind = strcmp(v, "anthropic") == 0 ? WIRE_ANTHROPIC : WIRE_OPENAI;
	free(v);
	return 0;
}

/* The key: the config's (an empty one means none), the provider's usual
 * variable, CLAW_API_KEY.  A built-in provider with none is unavailable. */
static int
api_key(sqlite3 *db, const char *spec, struct provider *p)
{
	char key[160];
	size_t i;
	int rc;

	snprintf(key, sizeof key, "providers.%s.api_key", p->name);
	if ((rc = config_get(db, key, &p->api_key, NULL)) && rc != EX_NORESULT)
		return rc;
	if (p->api_key && !*p->api_key) {       /* CLAW_PROVIDERS_X_API_KEY= means none */
		free(p->api_key);
		p->api_key = NULL;
	}
	for (i = 0; !p->api_key && i < sizeof key_env / sizeof key_env[0]; i++)
		if (strcmp(p->name, key_env[i].name) == 0 && getenv(key_env[i].env)
		    && *getenv(key_env[i].env))
			p->api_key = strdup(getenv(key_env[i].env));
	if (!p->api_key && getenv("CLAW_API_KEY") && *getenv("CLAW_API_KEY"))
		p->api_key = strdup(getenv("CLAW_API_KEY"));
	for (i = 0; !p->api_key && i < sizeof key_env / sizeof key_env[0]; i++)
		if (strcmp(p->name, key_env[i].name) == 0)
			return err_set(EX_UNAVAILABLE,
			    "%s: no API key: set %s or run: claw config set "
			    "providers.%s.api_key=KEY", spec, key_env[i].env, p->name);
	return 0;
}

/* The request headers of its wire format, the key among them. */
static int
headers(struct provider *p)
{
	size_t i = 0;

	if (!(p->headers[i++] = strdup("Content-Type: application/json")))
		return err_set(EX_SOFTWARE, "out of memory");
	if (p->kind == WIRE_ANTHROPIC) {
		p->headers[i++] = strdup("anthropic-version: 2023-06-01");
		if (p->api_key && asprintf(&p->headers[i++], "x-api-key: %s", p->api_key) < 0)
			p->headers[--i] = NULL;
	} else if (p->api_key && asprintf(&p->headers[i++], "Authorization: Bearer %s",
	    p->api_key) < 0)
		p->headers[--i] = NULL;
	return 0;
}

int
provider_resolve(sqlite3 *db, const char *spec, struct provider *p)
{
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = spec_parse(spec, p)) || (rc = endpoint(db, spec, p))
	    || (rc = api_key(db, spec, p)))
		return rc;
	return headers(p);
}

void
provider_free(struct provider *p)
{
	size_t i;

	for (i = 0; i < sizeof p->headers / sizeof p->headers[0]; i++) {
		secret_free(p->headers[i]);
		p->headers[i] = NULL;
	}
	secret_free(p->api_key);
	p->api_key = NULL;
}

void
provider_url(const struct provider *p, char *dst, size_t n)
{
	snprintf(dst, n, "%s%s", p->base_url,
	    p->kind == WIRE_ANTHROPIC ? "/messages" : "/chat/completions");
}

void
provider_scrub(const struct provider *p, char *text)
{
	size_t klen = p->api_key ? strlen(p->api_key) : 0;
	char *s;

	if (klen < 4)
		return;
	while ((s = strstr(text, p->api_key)))
		memset(s, '*', klen);
}
