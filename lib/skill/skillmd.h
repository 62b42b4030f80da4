/* skillmd: a skill's SKILL.md — YAML front matter (OpenClaw / AgentSkills fields)
 * read into a struct, the Markdown body left in place, and both shown as JSON. */
#ifndef CLAW_SKILLMD_H
#define CLAW_SKILLMD_H
#include <stddef.h>

#include "base/proc.h"

#define SKILLMD_MAXFILE    (1u << 20)  /* SKILL.md, config.json: read whole, bigger refused */
#define SKILLMD_MAXFRONT   65536   /* bytes between the two --- lines */
#define SKILLMD_MAXITEMS   256     /* per list */
#define SKILLMD_MAXSTR     4096    /* bytes per string */
#define SKILLMD_TIMEOUT    30      /* seconds, when the file names none */
#define SKILLMD_MAXTIMEOUT PROC_TIMEOUT_MAX
#define SKILLMD_MAXNAME    64      /* bytes in a skill name */

struct skillmd_list {
	char **v;
	size_t n;
};

struct skillmd {
	char *name;                   /* the directory's name when the file has none */
	char *description;
	struct skillmd_list triggers;
	/* net, display, fs.read:PATH, fs.write:PATH, exec:BIN, env:VAR */
	struct skillmd_list permissions;
	long timeout;
	char *version;                /* NULL when absent, as the rest */
	/* metadata.openclaw */
	struct skillmd_list bins, any_bins, env, config;  /* requires.* */
	struct skillmd_list os;
	int always;
	char *emoji;
	char *homepage;               /* metadata.openclaw.homepage, else the top-level key */
	char *install;                /* compact JSON of that value, never interpreted */
	/* Everything after the closing ---: points into the parsed text. */
	const char *body;
	size_t bodylen;
};

/* Parse text[0..len).  0, or EX_DATAERR with err_set("what: why, line N"); out
 * is zeroed on error and safe to skillmd_free either way. */
int skillmd_parse(const char *text, size_t len, const char *dirname, struct skillmd *out);
void skillmd_free(struct skillmd *s);

/* The one rule for a skill's name, wherever one arrives (SKILL.md, install, new,
 * a URL): [a-z0-9][a-z0-9._-]*, at most SKILLMD_MAXNAME bytes.  s need not be
 * NUL-terminated. */
int skill_name_valid(const char *s, size_t n);

/* The body with each {baseDir} replaced by basedir; malloc'd, NULL when out of memory. */
char *skillmd_body_expand(const struct skillmd *s, const char *basedir);

/* One compact JSON object: name, description, triggers, permissions, timeout, version,
 * requires{bins,anyBins,env,config}, os, always, emoji, homepage, install. */
char *skillmd_to_json(const struct skillmd *s);
#endif
