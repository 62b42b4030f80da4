/* SKILL.md parsing: every real OpenClaw skill in the shared fixtures reads, the
 * values come out as written, and each malformed file is refused with a reason. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "skill/skillmd.h"
#include "tap.h"

static char fixdir[4096];

static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f;

	if (!(f = fopen(path, "rb")))
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_steal(&b);
}

/* Parse one fixture by its directory name; the text stays alive in *text. */
static int
fixture(const char *name, char **text, struct skillmd *s)
{
	char path[8192], dir[8192];
	size_t len;

	snprintf(dir, sizeof dir, "%s/%s", fixdir, name);
	snprintf(path, sizeof path, "%s/SKILL.md", dir);
	if (!(*text = slurp(path, &len))) {
		memset(s, 0, sizeof *s);
		note("cannot read %s", path);
		return -1;
	}
	return skillmd_parse(*text, len, dir, s);
}

static int
parse(const char *text, struct skillmd *s)
{
	return skillmd_parse(text, strlen(text), "from-dir", s);
}

static int
has(const struct skillmd_list *l, const char *v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], v))
			return 1;
	return 0;
}

static int
jsonok(const char *s)
{
	char why[96];

	if (!s)
		return 0;
	if (!json_valid(s, strlen(s), why, sizeof why)) {
		note("%s: %s", why, s);
		return 0;
	}
	return 1;
}

/* Refused with EX_DATAERR, this exact message, and nothing left in *s. */
static void
fails(const char *text, const char *dir, const char *want, const char *label)
{
	struct skillmd s;
	int r = skillmd_parse(text, strlen(text), dir, &s);

	is_str(r == EX_DATAERR ? err_msg() : r ? "(other code)" : "(accepted)", want,
	    "refused: %s", label);
	ok(!s.name && !s.description && !s.install && s.triggers.n == 0, "%s: nothing left over",
	    label);
	skillmd_free(&s);
}

static void
failss(const char *text, const char *want, const char *label)
{
	fails(text, "dir", want, label);
}

static void
all_fixtures(void)
{
	char pat[8192], *text, *json, *dir;
	struct skillmd s;
	size_t i, len;
	glob_t g;
	int r;

	snprintf(pat, sizeof pat, "%s/*/SKILL.md", fixdir);
	if (glob(pat, 0, NULL, &g))
		g.gl_pathc = 0;
	ok(g.gl_pathc >= 51, "found the fixtures (%zu in %s)", g.gl_pathc, fixdir);
	for (i = 0; i < g.gl_pathc; i++) {
		dir = strdup(g.gl_pathv[i]);
		*strrchr(dir, '/') = '\0';
		text = slurp(g.gl_pathv[i], &len);
		r = text ? skillmd_parse(text, len, dir, &s) : -1;
		if (r)
			note("%s", r > 0 ? err_msg() : "unreadable");
		json = r ? NULL : skillmd_to_json(&s);
		/* Every fixture names itself after its directory. */
		ok(r == 0 && jsonok(json) && !strcmp(s.name, strrchr(dir, '/') + 1) &&
		    s.description && s.timeout == SKILLMD_TIMEOUT && s.body && s.bodylen > 0,
		    "fixture %s parses", strrchr(dir, '/') + 1);
		free(json);
		if (!r)
			skillmd_free(&s);
		free(text);
		free(dir);
	}
	globfree(&g);
}

static void
spot_checks(void)
{
	struct skillmd s;
	char *text, *x;

	if (fixture("github", &text, &s) == 0) {
		is_str(s.name, "github", "github: name");
		ok(s.bins.n == 1 && has(&s.bins, "gh"), "github: requires.bins is [gh]");
		is_str(s.emoji, "\xf0\x9f\x90\x99", "github: emoji");
		is_str(s.install, "[{\"id\":\"brew\",\"kind\":\"brew\",\"formula\":\"gh\","
		    "\"bins\":[\"gh\"],\"label\":\"Install GitHub CLI (brew)\"}]",
		    "github: install as compact JSON, trailing commas gone");
		ok(s.homepage == NULL && s.os.n == 0 && !s.always,
		    "github: no homepage, os, always");
		ok(s.bodylen > 100 && !strncmp(s.body, "\n# GitHub\n", 10),
		    "github: the body starts after the closing ---");
	} else
		ok(0, "github parses: %s", err_msg());
	skillmd_free(&s);
	free(text);

	if (fixture("weather", &text, &s) == 0) {
		is_str(s.name, "weather", "weather: name");
		is_str(s.description, "Current weather and forecasts with web_fetch, falling back "
		    "to wttr.in curl for locations, rain, temperature, travel planning.",
		    "weather: description");
		is_str(s.homepage, "https://wttr.in/:help", "weather: top-level homepage");
		ok(s.bins.n == 0 && s.any_bins.n == 0, "weather: requires nothing");
		is_str(s.emoji, "\xe2\x98\x94", "weather: emoji");
	} else
		ok(0, "weather parses: %s", err_msg());
	skillmd_free(&s);
	free(text);

	if (fixture("coding-agent", &text, &s) == 0) {
		ok(s.any_bins.n == 3 && !strcmp(s.any_bins.v[0], "claude") &&
		    !strcmp(s.any_bins.v[1], "codex") && !strcmp(s.any_bins.v[2], "opencode"),
		    "coding-agent: requires.anyBins is [claude, codex, opencode]");
		ok(s.config.n == 1 && has(&s.config, "skills.entries.coding-agent.enabled"),
		    "coding-agent: requires.config");
		ok(s.bins.n == 0, "coding-agent: no bins");
	} else
		ok(0, "coding-agent parses: %s", err_msg());
	skillmd_free(&s);
	free(text);

	if (fixture("trello", &text, &s) == 0) {
		ok(s.env.n == 2 && !strcmp(s.env.v[0], "TRELLO_API_KEY") &&
		    !strcmp(s.env.v[1], "TRELLO_TOKEN"), "trello: requires.env");
		ok(s.bins.n == 2 && has(&s.bins, "curl") && has(&s.bins, "jq"),
		    "trello: requires.bins");
	} else
		ok(0, "trello parses: %s", err_msg());
	skillmd_free(&s);
	free(text);

	if (fixture("sherpa-onnx-tts", &text, &s) == 0) {
		ok(s.os.n == 3 && !strcmp(s.os.v[0], "darwin") && !strcmp(s.os.v[1], "linux") &&
		    !strcmp(s.os.v[2], "win32"), "sherpa-onnx-tts: os");
		ok(s.install && strstr(s.install, "\"extract\":true,\"stripComponents\":1,"),
		    "sherpa-onnx-tts: install keeps booleans and numbers as JSON");
		ok(jsonok(s.install), "sherpa-onnx-tts: install is valid JSON");
	} else
		ok(0, "sherpa-onnx-tts parses: %s", err_msg());
	skillmd_free(&s);
	free(text);

	if (fixture("meme-maker", &text, &s) == 0) {
		is_str(s.description, "Search meme templates, suggest formats, and generate local "
		    "or hosted image memes.", "meme-maker: an unquoted description");
		ok(s.bins.n == 1 && has(&s.bins, "node"), "meme-maker: one-line flow metadata");
		x = skillmd_body_expand(&s, "/opt/skills/meme-maker");
		ok(x && !strstr(x, "{baseDir}") &&
		    strstr(x, "`/opt/skills/meme-maker/scripts/meme.mjs search \"bad choice\"`"),
		    "meme-maker: {baseDir} expanded everywhere");
		free(x);
	} else
		ok(0, "meme-maker parses: %s", err_msg());
	skillmd_free(&s);
	free(text);
}

static void
claw_fields(void)
{
	static const char full[] =
	    "---\n"
	    "name: shout\n"
	    "description: Shout the text back.\n"
	    "triggers: [shout, yell]\n"
	    "permissions:\n"
	    "  - net\n"
	    "  - fs.read:/etc/hosts\n"
	    "  - fs.write:/tmp/out\n"
	    "  - exec:git\n"
	    "  - env:HOME\n"
	    "timeout: 120\n"
	    "version: 1.2.0\n"
	    "user-invocable: true\n"
	    "future-key: {anything: [1, 2, {x: y}]}\n"
	    "metadata: {openclaw: {always: true, os: linux, homepage: https://x.example,\n"
	    "  install: [{kind: brew, n: 2, f: 1.5e3, q: \"2\", none: ~, odd: 0x1f}]}}\n"
	    "homepage: https://top.example\n"
	    "---\n"
	    "Run {baseDir}/run, then {baseDir}.\n";
	struct skillmd s;
	char *x;

	if (parse(full, &s) == 0) {
		is_str(s.name, "shout", "claw fields: name");
		ok(s.triggers.n == 2 && !strcmp(s.triggers.v[1], "yell"), "claw fields: triggers");
		ok(s.permissions.n == 5 && !strcmp(s.permissions.v[1], "fs.read:/etc/hosts") &&
		    !strcmp(s.permissions.v[4], "env:HOME"),
		        "claw fields: every kind of permission");
		is_int(s.timeout, 120, "claw fields: timeout");
		is_str(s.version, "1.2.0", "claw fields: version stays a string");
		ok(s.always == 1 && s.os.n == 1 && !strcmp(s.os.v[0], "linux"),
		    "claw fields: always, and os as one string");
		is_str(s.homepage, "https://x.example",
		    "metadata.openclaw.homepage wins over the top level");
		is_str(s.body, "Run {baseDir}/run, then {baseDir}.\n", "the body, untouched");
		x = skillmd_body_expand(&s, "/s/shout");
		is_str(x, "Run /s/shout/run, then /s/shout.\n", "{baseDir} expanded");
		free(x);
		x = skillmd_to_json(&s);
		is_str(x, "{\"name\":\"shout\",\"description\":\"Shout the text back.\","
		    "\"triggers\":[\"shout\",\"yell\"],\"permissions\":[\"net\","
		    "\"fs.read:/etc/hosts\",\"fs.write:/tmp/out\",\"exec:git\",\"env:HOME\"],"
		    "\"timeout\":120,\"version\":\"1.2.0\",\"requires\":{\"bins\":[],"
		    "\"anyBins\":[],\"env\":[],\"config\":[]},\"os\":[\"linux\"],\"always\":true,"
		    "\"emoji\":null,\"homepage\":\"https://x.example\",\"install\":[{\"kind\":"
		    "\"brew\",\"n\":2,\"f\":1.5e3,\"q\":\"2\",\"none\":null,\"odd\":\"0x1f\"}]}",
		    "to_json: one compact object");
		ok(jsonok(x), "to_json: valid JSON");
		free(x);
	} else
		ok(0, "claw fields parse: %s", err_msg());
	skillmd_free(&s);

	if (parse("---\ndescription: d\ntriggers: only one\n---\n", &s) == 0) {
		is_str(s.name, "from-dir", "name defaults to the directory");
		ok(s.triggers.n == 1 && !strcmp(s.triggers.v[0], "only one"),
		    "triggers: one string is a list of one");
		is_int(s.timeout, 30, "timeout defaults to 30");
		is_int((long long)s.bodylen, 0, "an empty body");
		x = skillmd_to_json(&s);
		is_str(x,
		    "{\"name\":\"from-dir\",\"description\":\"d\",\"triggers\":[\"only one\"],"
		    "\"permissions\":[],\"timeout\":30,\"version\":null,\"requires\":{\"bins\":[],"
		    "\"anyBins\":[],\"env\":[],\"config\":[]},\"os\":[],\"always\":false,"
		    "\"emoji\":null,\"homepage\":null,\"install\":null}", "to_json: the defaults");
		free(x);
	} else
		ok(0, "defaults parse: %s", err_msg());
	skillmd_free(&s);

	if (skillmd_parse("---\ndescription: d\n---\n", 22, "skills/my.skill-2//", &s) == 0)
		is_str(s.name, "my.skill-2", "name: the last component of a directory path");
	else
		ok(0, "a path as dirname: %s", err_msg());
	skillmd_free(&s);
	fails("---\nname:\ndescription: d\n---\n", NULL, "name: missing",
	    "no name, no directory");

	ok(parse("---\nname: x\ndescription: d\ntimeout: 3600\n---\n", &s) == 0 &&
	    s.timeout == 3600, "timeout: 3600 is the most");
	skillmd_free(&s);
	ok(parse("---\nname: x\ndescription: d\ntimeout: \"1\"\n---\n", &s) == 0 &&
	    s.timeout == 1, "timeout: 1, quoted");
	skillmd_free(&s);
}

static void
yaml_forms(void)
{
	static const char commas[] =
	    "---\n"
	    "name: x\n"
	    "description: d\n"
	    "metadata: {\n"
	    "  \"openclaw\": {\n"
	    "    \"requires\": { \"bins\": [\"a\", \"b\", ], \"env\": [\"E\",\n"
	    "      ],\n"
	    "    },\n"
	    "    \"os\": [\"linux\",],\n"
	    "    \"install\": [ { \"id\": \"x\", }, ],\n"
	    "  },\n"
	    "}\n"
	    "---\n";
	static const char blocks[] =
	    "---\n"
	    "name: x\n"
	    "description: |\n"
	    "  line one\n"
	    "  line two\n"
	    "version: >-\n"
	    "  folded\n"
	    "  together\n"
	    "triggers:\n"
	    "  - 'it''s'\n"
	    "  - \"tab\\there \\u00e9\"\n"
	    "  - a plain scalar\n"
	    "    over two lines\n"
	    "  - |-\n"
	    "    kept\n"
	    "---\n"
	    "body\n";
	struct skillmd s;

	if (parse(commas, &s) == 0) {
		ok(s.bins.n == 2 && !strcmp(s.bins.v[1], "b"),
		    "trailing commas: [a, b, ] is two items");
		ok(s.env.n == 1 && !strcmp(s.env.v[0], "E"),
		    "trailing commas: before a newline and ]");
		ok(s.os.n == 1, "trailing commas: [linux,]");
		is_str(s.install, "[{\"id\":\"x\"}]",
		    "trailing commas: in install, gone from its JSON");
	} else
		ok(0, "trailing commas parse: %s", err_msg());
	skillmd_free(&s);

	if (parse(blocks, &s) == 0) {
		is_str(s.description, "line one\nline two\n", "block scalar |");
		is_str(s.version, "folded together", "block scalar >-");
		ok(s.triggers.n == 4, "four triggers");
		if (s.triggers.n == 4) {
			is_str(s.triggers.v[0], "it's", "single-quoted with ''");
			is_str(s.triggers.v[1], "tab\there \xc3\xa9", "double-quoted escapes");
			is_str(s.triggers.v[2], "a plain scalar over two lines",
			    "multi-line plain scalar");
			is_str(s.triggers.v[3], "kept", "block scalar |-");
		}
		is_str(s.body, "body\n", "body after block scalars");
	} else
		ok(0, "block scalars parse: %s", err_msg());
	skillmd_free(&s);

	if (parse("---\r\nname: crlf\r\ndescription: |\r\n  a\r\n  b\r\n---\r\nbody\r\n",
	    &s) == 0) {
		is_str(s.name, "crlf", "CRLF: name without a CR");
		is_str(s.description, "a\nb\n", "CRLF: block scalar lines without CRs");
		is_str(s.body, "body\r\n", "CRLF: body after the closing ---");
	} else
		ok(0, "CRLF parses: %s", err_msg());
	skillmd_free(&s);

	if (parse("\xef\xbb\xbf---\nname: bom\ndescription: d\n---\n", &s) == 0)
		is_str(s.name, "bom", "a UTF-8 BOM before the first ---");
	else
		ok(0, "BOM parses: %s", err_msg());
	skillmd_free(&s);

	if (parse("---   \nname: x\ndescription: d\n--- \t\r\nb", &s) == 0)
		is_str(s.body, "b", "blanks after either --- are fine");
	else
		ok(0, "blanks after ---: %s", err_msg());
	skillmd_free(&s);
}

static void
errors(void)
{
	struct buf b = BUF_INIT;
	struct skillmd s;
	int i;

	failss("", "no front matter: line 1 is not ---", "an empty file");
	failss("# Title\n\ntext\n", "no front matter: line 1 is not ---", "no front matter");
	failss("----\nname: x\n---\n", "no front matter: line 1 is not ---", "---- is not ---");
	failss("---", "unterminated front matter: no --- after line 1", "only ---");
	failss("---\nname: x\ndescription: d\n", "unterminated front matter: no --- after line 1",
	    "unterminated front matter");
	failss("---\nname: x\ndescription: d\nbad: a: b\n---\n",
	    "front matter: mapping values are not allowed in this context, line 4",
	    "bad YAML names its line");
	failss("---\nname: x\ndescription: d\nmetadata: {\"a\": [1, 2}\n---\n",
	    "front matter: did not find expected ',' or ']', line 4", "an unclosed flow list");
	failss("---\nname: x\n\tdescription: d\n---\n",
	    "front matter: found a tab character that violates indentation, line 3",
	        "a tab indent");
	failss("---\nname: x\ndescription: d\nk: \xff\n---\n",
	    "front matter: invalid leading UTF-8 octet, line 4", "bad UTF-8 names its line");
	failss("---\nname: x\ndescription: d\n--- {a: 1}\n---\n",
	    "front matter: a second YAML document, line 4", "a second document");
	failss("---\n- a\n- b\n---\n", "front matter: not a mapping of keys, line 2", "a list");
	failss("---\nname: x\ndescription: d\nname: y\n---\n", "name: given twice, line 4",
	    "a key given twice");
	failss("---\nname: Bad_Name\ndescription: d\n---\n",
	    "name: \"Bad_Name\" is not [a-z0-9][a-z0-9._-]{0,63}, line 2", "bad name");
	failss("---\nname: -x\ndescription: d\n---\n",
	    "name: \"-x\" is not [a-z0-9][a-z0-9._-]{0,63}, line 2", "a name starting with -");
	failss("---\nname: \"a\\e[31mb\"\ndescription: d\n---\n",
	    "name: \"a?[31mb\" is not [a-z0-9][a-z0-9._-]{0,63}, line 2",
	    "a control byte is not echoed");
	failss("---\nname: [x]\ndescription: d\n---\n", "name: not a string, line 2",
	    "a list as name");
	failss("---\nname: a0123456789012345678901234567890123456789012345678901234567890123\n"
	    "description: d\n---\n", "name: \"a012345678901234567890123456789012345678901234567890"
	    "1234567890123\" is not [a-z0-9][a-z0-9._-]{0,63}, line 2", "a 65-byte name");
	fails("---\ndescription: d\n---\n", "skills/Bad Dir", "name: none given, and the "
	    "directory name \"Bad Dir\" is not one: use [a-z0-9][a-z0-9._-]{0,63}",
	    "no name, and a directory that is not one");
	failss("---\nname: x\n---\nbody\n", "description: missing", "missing description");
	failss("---\nname: x\ndescription: \"\"\n---\n", "description: missing",
	    "empty description");
	failss("---\n---\n", "description: missing", "empty front matter");
	failss("---\nname: x\ndescription: d\npermissions: [net, sudo]\n---\n",
	    "permissions: \"sudo\": not a permission (net, display, fs.read:PATH, fs.write:PATH, "
	    "exec:PATH, env:VAR), line 4", "unknown permission");
	failss("---\nname: x\ndescription: d\npermissions:\n  - net\n  - \"fs.read:\"\n---\n",
	    "permissions: \"fs.read:\": no PATH, line 6", "fs.read without a path");
	failss("---\nname: x\ndescription: d\npermissions: env:A=B\n---\n",
	    "permissions: \"env:A=B\": VAR is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*), "
	    "line 4",
	    "env with a value");
	failss("---\nname: x\ndescription: d\npermissions: [\"exec:a\\nb\"]\n---\n",
	    "permissions: \"exec:a?b\": a control character, line 4",
	    "a line break in a permission");
	/* The one permission rule: a SKILL.md may ask only for what grant accepts. */
	failss("---\nname: x\ndescription: d\npermissions: fs.read:data\n---\n",
	    "permissions: \"fs.read:data\": PATH must be absolute or start with ~/ (a relative "
	    "path cannot be granted), line 4", "a relative path");
	failss("---\nname: x\ndescription: d\npermissions: fs.write:~ann/x\n---\n",
	    "permissions: \"fs.write:~ann/x\": PATH must be absolute or start with ~/ (a relative "
	    "path cannot be granted), line 4", "another user's ~");
	failss("---\nname: x\ndescription: d\npermissions: fs.read:/a/../b\n---\n",
	    "permissions: \"fs.read:/a/../b\": a .. component in PATH, line 4",
	    "a .. component");
	failss("---\nname: x\ndescription: d\npermissions: exec:bin/x\n---\n",
	    "permissions: \"exec:bin/x\": not a program name ([A-Za-z0-9._+-]) nor an absolute "
	    "PATH, line 4", "exec: a relative path");
	failss("---\nname: x\ndescription: d\ntimeout: 0\n---\n",
	    "timeout: \"0\" is not a whole number of seconds from 1 to 3600, line 4", "timeout 0");
	failss("---\nname: x\ndescription: d\ntimeout: -1\n---\n",
	    "timeout: \"-1\" is not a whole number of seconds from 1 to 3600, line 4",
	        "timeout -1");
	failss("---\nname: x\ndescription: d\ntimeout: 99999\n---\n",
	    "timeout: \"99999\" is not a whole number of seconds from 1 to 3600, line 4",
	    "timeout 99999");
	failss("---\nname: x\ndescription: d\ntimeout: 3601\n---\n",
	    "timeout: \"3601\" is not a whole number of seconds from 1 to 3600, line 4",
	    "timeout 3601");
	failss("---\nname: x\ndescription: d\ntimeout: abc\n---\n",
	    "timeout: \"abc\" is not a whole number of seconds from 1 to 3600, line 4",
	        "timeout abc");
	failss("---\nname: x\ndescription: d\ntimeout: 1.5\n---\n",
	    "timeout: \"1.5\" is not a whole number of seconds from 1 to 3600, line 4",
	        "timeout 1.5");
	failss("---\nname: x\ndescription: d\ntimeout: 99999999999999999999999\n---\n",
	    "timeout: \"99999999999999999999999\" is not a whole number of seconds from 1 to 3600, "
	    "line 4", "a timeout past long");
	failss("---\nname: x\ndescription: d\ntriggers: {a: b}\n---\n",
	    "triggers: not a list of strings, line 4", "a mapping as triggers");
	failss("---\nname: x\ndescription: d\ntriggers: [a, [b]]\n---\n",
	    "triggers: an item is not a string, line 4", "a list inside triggers");
	failss("---\nname: x\ndescription: d\nmetadata: [1]\n---\n",
	    "metadata: not a mapping, line 4", "metadata as a list");
	failss("---\nname: x\ndescription: d\nmetadata: {openclaw: {requires: {bins: [{a: "
	    "1}]}}}\n---\n",
	    "metadata.openclaw.requires.bins: an item is not a string, line 4",
	        "a mapping in bins");
	failss("---\nname: x\ndescription: d\nmetadata: {openclaw: {always: yes}}\n---\n",
	    "metadata.openclaw.always: not true or false, line 4", "always: yes");
	failss("---\nname: x\ndescription: d\nmetadata: {openclaw: {install: [{[a]: 1}]}}\n---\n",
	    "metadata.openclaw.install: a key is not a string, line 4",
	        "a list as a key in install");
	failss("---\nname: x\ndescription: d\nmetadata: {openclaw: {install: &a [1, *a]}}\n---\n",
	    "metadata.openclaw.install: nested too deep, line 4", "an alias looping back");
	failss("---\nname: x\ndescription: \"a\\0b\"\n---\n",
	    "description: a NUL or bad UTF-8, line 3", "a NUL through an escape");

	/* Doubling aliases: small text, exponential JSON — capped, not expanded. */
	buf_adds(&b, "---\nname: x\ndescription: d\nmetadata: {openclaw: {install: [&a0 [1,1,1,1]");
	for (i = 1; i < 24; i++)
		buf_printf(&b, ", &a%d [*a%d, *a%d]", i, i - 1, i - 1);
	buf_adds(&b, "]}}\n---\n");
	failss(b.p, "metadata.openclaw.install: over 65536 bytes as JSON", "a billion laughs");

	/* The caps. */
	buf_reset(&b);
	buf_adds(&b, "---\nname: x\ndescription: d\ntriggers: [t0");
	for (i = 1; i < SKILLMD_MAXITEMS; i++)
		buf_printf(&b, ", t%d", i);
	buf_adds(&b, "]\n---\n");
	ok(parse(b.p, &s) == 0 && s.triggers.n == SKILLMD_MAXITEMS &&
	    !strcmp(s.triggers.v[255], "t255"), "a list of 256 items is fine");
	skillmd_free(&s);
	b.len -= 6;
	buf_adds(&b, ", t256]\n---\n");
	failss(b.p, "triggers: over 256 items, line 4", "a list of 257 items");

	buf_reset(&b);
	buf_adds(&b, "---\nname: x\ndescription: ");
	for (i = 0; i < SKILLMD_MAXSTR; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, "\n---\n");
	ok(parse(b.p, &s) == 0 && strlen(s.description) == SKILLMD_MAXSTR,
	    "a string of 4096 bytes is fine");
	skillmd_free(&s);
	b.len -= 5;
	buf_adds(&b, "a\n---\n");
	failss(b.p, "description: over 4096 bytes, line 3", "a string of 4097 bytes");

	buf_reset(&b);
	buf_adds(&b, "---\nname: x\ndescription: d\n");
	while (b.len < 60 * 1024)
		buf_adds(&b, "# a comment line that pads the front matter out to its limit\n");
	buf_adds(&b, "---\n");
	ok(parse(b.p, &s) == 0, "60 KiB of front matter is fine");
	skillmd_free(&s);
	b.len -= 4;
	while (b.len < 100 * 1024)
		buf_adds(&b, "# a comment line that pads the front matter out to its limit\n");
	buf_adds(&b, "---\n");
	failss(b.p, "front matter: over 65536 bytes, line 1078", "100 KiB of front matter");
	buf_free(&b);
}

int
main(void)
{
	const char *src = getenv("CLAW_SRC");

	snprintf(fixdir, sizeof fixdir, "%s/../shared/fixtures/openclaw-skills",
	    src && *src ? src : ".");
	all_fixtures();
	spot_checks();
	claw_fields();
	yaml_forms();
	errors();
	return done_testing();
}
