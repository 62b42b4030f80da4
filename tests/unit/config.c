/* Unit tests for lib/store/config.c: key and value checks, defaults, environment names,
 * secrets, and get/set/unset/list against a store in a scratch $CLAW_HOME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/config.h"
#include "base/err.h"
#include "store/store.h"
#include "tap.h"

static int
good(const char *key, const char *value)
{
	return ok(config_check(key, value) == 0, "%s=%s accepted", key, value);
}

static int
bad(const char *key, const char *value)
{
	int rc = config_check(key, value);

	return ok(rc == EX_CONFIG, "%s=%s refused (%s)", key, value, rc ? err_msg() : "accepted");
}

static void
unknown(const char *key, const char *near)
{
	char want[300];
	int rc = config_check_key(key);

	snprintf(want, sizeof want, "(did you mean '%s'?)", near);
	ok(rc == EX_CONFIG && strstr(err_msg(), want),
	    "'%s' refused, suggesting '%s' (%s)", key, near, err_msg());
}

static void
dflt(const char *key, const char *want)
{
	is_str(config_default(key), want, "default of %s", key);
}

/* config_list rows, flattened to "key=value|source|secret" lines. */
static int
lister(const char *key, const char *value, enum config_source src, int secret, void *ctx)
{
	char line[512];

	snprintf(line, sizeof line, "%s=%s|%s|%d\n", key, value ? value : "(null)",
	    config_source_name(src), secret);
	strncat(ctx, line, 8191 - strlen(ctx));
	return 0;
}

static int
stored_value(sqlite3 *db, const char *key, char *dst, size_t n, int *secret)
{
	sqlite3_stmt *st;
	int found = 0;

	dst[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value, secret FROM config WHERE key = ?", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(dst, n, "%s", (const char *)sqlite3_column_text(st, 0));
		*secret = sqlite3_column_int(st, 1);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

extern char **environ;

/* Start from a clean slate: no CLAW_* override inherited from the caller. */
static void
clear_claw_env(void)
{
	char names[64][128];
	int i, n = 0;
	char **e;

	for (e = environ; *e && n < 64; e++)
		if (strncmp(*e, "CLAW_", 5) == 0 && strchr(*e, '='))
			snprintf(names[n++], sizeof names[0], "%.*s", (int)(strchr(*e, '=') - *e),
			    *e);
	for (i = 0; i < n; i++)
		unsetenv(names[i]);
}

int
main(void)
{
	char name[64], tmpl[] = "/tmp/claw-config-XXXXXX", *home, *v = NULL, list[8192] = "\n";
	char raw[512], cmd[600];
	enum config_source src;
	sqlite3 *db = NULL;
	int rc, secret = -1;

	clear_claw_env();
	/* Keys: the known ones, the open namespaces, and refusal with a suggestion. */
	ok(config_check_key("model") == 0, "model is a key");
	ok(config_check_key("thinking") == 0, "thinking is a key");
	ok(config_check_key("providers.openai.api_key") == 0, "providers.openai.api_key is a key");
	ok(config_check_key("providers.my-llm.base_url") == 0,
	    "providers.NAME.base_url for any NAME");
	ok(config_check_key("context.max_tokens") == 0, "context.max_tokens is a key");
	ok(config_check_key("skills.weather.units") == 0, "skills.* is open");
	ok(config_check_key("channels.telegram.bot_token") == 0, "channels.* is open");
	ok(config_check_key("gateway.cors_origin") == 0, "gateway.* is open");
	ok(config_check_key("evolve.strategy") == 0, "evolve.* is open");
	ok(config_check_key("context.policy") == 0, "context.* is open");
	ok(config_check_key("cache.dir") == 0, "cache.* is open");
	ok(config_check_key("providers.x.headers") == 0, "providers.* is open");
	unknown("modle", "model");
	unknown("thinkng", "thinking");
	unknown("gatway.listen", "gateway.listen");
	unknown("Providers.openai.api_key", "providers.openai.api_key");   /* NAME filled in */
	unknown("MODEL", "model");
	ok(config_check_key("foo.bar") == EX_CONFIG, "an unknown namespace is refused");
	ok(config_check_key("Model") == EX_CONFIG, "keys are lower case");
	ok(config_check_key("") == EX_CONFIG, "the empty key is refused");
	ok(config_check_key(".model") == EX_CONFIG, "a leading dot is refused");
	ok(config_check_key("skills..x") == EX_CONFIG, "an empty segment is refused");
	ok(config_check_key("skills.") == EX_CONFIG, "a trailing dot is refused");
	ok(config_check_key("skills.a b") == EX_CONFIG, "a space is refused");
	ok(config_check_key("skills.a=b") == EX_CONFIG, "'=' is refused");
	{
		char longkey[300];
		memset(longkey, 'a', sizeof longkey - 1);
		memcpy(longkey, "skills.", 7);
		longkey[sizeof longkey - 1] = '\0';
		ok(config_check_key(longkey) == EX_CONFIG, "a 299-byte key is refused");
		ok(strlen(err_msg()) < 400, "and the message stays one short line");
	}
	ok(config_check("modle", "x") == EX_CONFIG, "config_check checks the key too");

	/* Values, per type. */
	good("model", "ollama/llama3.2");
	good("model", "generic/deepseek-chat");
	good("model", "openai/gpt-4o,anthropic/claude-3-5-sonnet-latest");
	good("model", "openrouter/meta-llama/llama-3-70b");
	bad("model", "nomodel");
	bad("model", "");
	bad("model", "/gpt-4o");
	bad("model", "openai/");
	bad("model", "OpenAI/gpt-4o");
	bad("model", "openai/gpt 4o");
	bad("model", "openai/gpt-4o,");
	bad("model", "openai/gpt-4o,nomodel");
	good("thinking", "on");
	good("thinking", "off");
	bad("thinking", "maybe");
	bad("thinking", "ON");
	bad("thinking", "");
	good("context.max_tokens", "0");
	good("context.max_tokens", "128000");
	good("evolve.max_files", "999999999");
	bad("context.max_tokens", "abc");
	bad("context.max_tokens", "-1");
	bad("context.max_tokens", "1.5");
	bad("context.max_tokens", "");
	bad("context.max_tokens", "12k");
	bad("evolve.max_lines", "1234567890");
	good("evolve.innovation", "0");
	good("evolve.innovation", "0.6");
	good("evolve.innovation", "1");
	good("evolve.innovation", ".25");
	bad("evolve.innovation", "2");
	bad("evolve.innovation", "-0.1");
	bad("evolve.innovation", "1.01");
	bad("evolve.innovation", "abc");
	bad("evolve.innovation", "");
	bad("evolve.innovation", " 0.5");
	bad("evolve.innovation", "0.5x");
	bad("evolve.innovation", "nan");
	good("gateway.listen", "127.0.0.1:3000");
	good("gateway.listen", "0.0.0.0:1");
	good("gateway.listen", "localhost:65535");
	good("gateway.listen", "[::1]:8080");
	bad("gateway.listen", "bad");
	bad("gateway.listen", ":3000");
	bad("gateway.listen", "127.0.0.1:");
	bad("gateway.listen", "127.0.0.1:0");
	bad("gateway.listen", "127.0.0.1:65536");
	bad("gateway.listen", "127.0.0.1:http");
	bad("gateway.listen", "127.0.0.1:+80");
	bad("gateway.listen", "[::1:80");
	good("providers.generic.base_url", "http://127.0.0.1:8080/v1");
	good("providers.openai.base_url", "https://api.openai.com/v1");
	bad("providers.generic.base_url", "ftp://example.com");
	bad("providers.generic.base_url", "api.openai.com/v1");
	good("providers.generic.kind", "openai");
	good("providers.generic.kind", "anthropic");
	bad("providers.generic.kind", "gemini");
	good("providers.openai.api_key", "sk-test");
	bad("providers.openai.api_key", "");
	good("gateway.jwt_secret", "s3cret");
	bad("gateway.jwt_secret", "");
	good("skills.weather.units", "");
	good("skills.weather.units", "any text at all, even = and spaces");

	/* Environment names. */
	config_env_name("model", name, sizeof name);
	is_str(name, "CLAW_MODEL", "model -> CLAW_MODEL");
	config_env_name("providers.openai.api_key", name, sizeof name);
	is_str(name, "CLAW_PROVIDERS_OPENAI_API_KEY", "dots become underscores, upper case");
	config_env_name("skills.my-skill.x", name, sizeof name);
	is_str(name, "CLAW_SKILLS_MY_SKILL_X", "dashes become underscores too");
	config_env_name("evolve.max_files", name, 8);
	is_str(name, "CLAW_EV", "a short buffer truncates and stays terminated");

	/* Defaults. */
	dflt("model", "ollama/llama3.2");
	dflt("thinking", "off");
	dflt("gateway.listen", "127.0.0.1:3000");
	dflt("evolve.innovation", "0.6");
	dflt("evolve.max_files", "25");
	dflt("evolve.max_lines", "2000");
	dflt("context.max_tokens", NULL);
	dflt("gateway.jwt_secret", NULL);
	dflt("providers.openai.base_url", "https://api.openai.com/v1");
	dflt("providers.anthropic.base_url", "https://api.anthropic.com/v1");
	dflt("providers.deepseek.base_url", "https://api.deepseek.com/v1");
	dflt("providers.ollama.base_url", "http://127.0.0.1:11434/v1");
	dflt("providers.generic.base_url", NULL);
	dflt("providers.openai2.base_url", NULL);
	dflt("providers.open.base_url", NULL);
	dflt("providers.anthropic.kind", "anthropic");
	dflt("providers.openai.kind", "openai");
	dflt("providers.deepseek.kind", "openai");
	dflt("providers.generic.kind", "openai");
	dflt("providers.openai.api_key", NULL);
	dflt("skills.weather.units", NULL);
	dflt("modle", NULL);

	/* Secrets. */
	ok(config_is_secret("providers.openai.api_key"), "providers.openai.api_key is secret");
	ok(config_is_secret("gateway.jwt_secret"), "gateway.jwt_secret is secret");
	ok(config_is_secret("channels.telegram.bot_token"),
	    "channels.telegram.bot_token is secret");
	ok(config_is_secret("skills.github.token"), "skills.github.token is secret");
	ok(config_is_secret("skills.x.client_secret"), "skills.x.client_secret is secret");
	ok(config_is_secret("skills.x.api_key"), "skills.x.api_key is secret");
	ok(!config_is_secret("context.max_tokens"), "context.max_tokens is NOT secret");
	ok(!config_is_secret("model"), "model is not secret");
	ok(!config_is_secret("providers.openai.base_url"),
	    "providers.openai.base_url is not secret");
	ok(!config_is_secret("skills.token_bucket.rate"), "only the last segment decides");

	is_str(config_source_name(CONFIG_DEFAULT), "default", "source name default");
	is_str(config_source_name(CONFIG_STORE), "store", "source name store");
	is_str(config_source_name(CONFIG_ENV), "env", "source name env");

	/* config_get without a store: environment, then default. */
	unsetenv("CLAW_MODEL");
	unsetenv("CLAW_THINKING");
	unsetenv("CLAW_CONTEXT_MAX_TOKENS");
	unsetenv("CLAW_PROVIDERS_OPENAI_API_KEY");
	rc = config_get(NULL, "model", &v, &src);
	ok(rc == 0 && v && strcmp(v, "ollama/llama3.2") == 0 && src == CONFIG_DEFAULT,
	    "no store, no env: model is the default");
	free(v);
	setenv("CLAW_MODEL", "openai/gpt-4o", 1);
	rc = config_get(NULL, "model", &v, &src);
	ok(rc == 0 && v && strcmp(v, "openai/gpt-4o") == 0 && src == CONFIG_ENV,
	    "CLAW_MODEL overrides");
	free(v);
	rc = config_get(NULL, "context.max_tokens", &v, &src);
	ok(rc == EX_NORESULT && v == NULL, "unset with no default: EX_NORESULT, value NULL");

	/* Against a real store. */
	if (!(home = mkdtemp(tmpl))) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	setenv("CLAW_HOME", home, 1);
	rc = store_open(&db);
	is_int(rc, 0, "store_open in a scratch home");
	if (rc) {
		note("%s", err_msg());
		return done_testing();
	}
	unsetenv("CLAW_MODEL");
	is_int(config_set(db, "model", "generic/deepseek-chat"), 0, "config_set model");
	rc = config_get(db, "model", &v, &src);
	ok(rc == 0 && strcmp(v, "generic/deepseek-chat") == 0 && src == CONFIG_STORE,
	    "config_get finds it in the store");
	free(v);
	setenv("CLAW_MODEL", "openai/gpt-4o", 1);
	rc = config_get(db, "model", &v, &src);
	ok(rc == 0 && strcmp(v, "openai/gpt-4o") == 0 && src == CONFIG_ENV,
	    "the environment beats the store");
	free(v);
	unsetenv("CLAW_MODEL");
	is_int(config_set(db, "model", "generic/deepseek-v3"), 0, "config_set again replaces");
	rc = config_get(db, "model", &v, &src);
	is_str(rc == 0 ? v : NULL, "generic/deepseek-v3", "the new value is read");
	free(v);
	is_int(config_set(db, "thinking", "maybe"), EX_CONFIG, "config_set refuses a bad value");
	ok(!stored_value(db, "thinking", raw, sizeof raw, &secret), "and stores nothing");
	is_int(config_set(db, "modle", "x"), EX_CONFIG, "config_set refuses an unknown key");

	is_int(config_set(db, "providers.openai.api_key", "sk-plain-text-1234"), 0,
	    "config_set of a secret");
	ok(stored_value(db, "providers.openai.api_key", raw, sizeof raw, &secret) && secret == 1,
	    "it is stored marked secret");
	ok(raw[0] && !strstr(raw, "sk-plain-text-1234"),
	    "the stored form is not the plain text (%s)", raw);
	rc = config_get(db, "providers.openai.api_key", &v, &src);
	ok(rc == 0 && strcmp(v, "sk-plain-text-1234") == 0 && src == CONFIG_STORE,
	    "config_get opens it");
	free(v);
	is_int(config_stored(db, "providers.openai.api_key"), 1, "config_stored: a sealed key is");
	is_int(config_stored(db, "providers.anthropic.api_key"), 0, "and one never set is not");
	is_int(config_stored(db, "model"), 1, "an open key stored is too");

	is_int(config_set(db, "skills.weather.units", "metric"), 0, "an open key is stored");
	setenv("CLAW_THINKING", "on", 1);
	is_int(config_list(db, lister, list), 0, "config_list");
	unsetenv("CLAW_THINKING");
	ok(strstr(list, "\nmodel=generic/deepseek-v3|store|0\n") != NULL,
	    "list: a stored value, source store");
	ok(strstr(list, "\ngateway.listen=127.0.0.1:3000|default|0\n") != NULL,
	    "list: a default, source default");
	ok(strstr(list, "\nthinking=on|env|0\n") != NULL,
	    "list: an environment override, source env");
	ok(strstr(list, "\nskills.weather.units=metric|store|0\n") != NULL,
	    "list: a free-form stored key");
	ok(strstr(list, "\nproviders.openai.api_key=(null)|store|1\n") != NULL,
	    "list: a secret is marked and its value not passed");
	ok(!strstr(list, "sk-plain") && !strstr(list, "providers.*"),
	    "list: no secret text, no patterns");
	ok(!strstr(list, "context.max_tokens"),
	    "list: a key with no default and no value is not listed");
	{
		/* Sorted by key, each key once. */
		char *line = list + 1, *next, prev[256] = "";
		int sorted = 1;
		for (; *line; line = next + 1) {
			char key[256];
			if (!(next = strchr(line, '\n')))
				break;
			snprintf(key, sizeof key, "%.*s", (int)(strcspn(line, "=")), line);
			if (strcmp(prev, key) >= 0)
				sorted = 0;
			snprintf(prev, sizeof prev, "%s", key);
		}
		ok(sorted, "list: sorted by key, no key twice");
	}
	if (tap_failed)
		note("the list was:%s", list);

	is_int(config_unset(db, "model"), 0, "config_unset");
	rc = config_get(db, "model", &v, &src);
	ok(rc == 0 && strcmp(v, "ollama/llama3.2") == 0 && src == CONFIG_DEFAULT,
	    "back to the default");
	free(v);
	is_int(config_unset(db, "model"), EX_NORESULT, "unset of an unset key: EX_NORESULT");
	is_int(config_unset(db, "modle"), EX_CONFIG, "unset of an unknown key: EX_CONFIG");

	store_close(db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	if (system(cmd) != 0)
		note("could not remove %s", home);
	return done_testing();
}
