/* child: running claw-chat and claw-skill from a cycle, their output read as NDJSON
 * through base/record, never trusted further than that. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/record.h"
#include "evolve/child.h"
#include "evolve/proposal.h"

extern char **environ;

/* Our environment with CLAW_SKILLS_PATH set to path (NULL: as it is); malloc'd. */
static char **
env_with(const char *path)
{
	size_t n = 0, i, j = 0;
	char **out, *cur = getenv("CLAW_SKILLS_PATH");

	while (environ[n])
		n++;
	if (!(out = calloc(n + 2, sizeof *out)))
		return NULL;
	for (i = 0; i < n; i++)
		if (!path || strncmp(environ[i], "CLAW_SKILLS_PATH=", 17) != 0)
			out[j++] = environ[i];
	if (path) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "CLAW_SKILLS_PATH=%s%s%s", path, cur && *cur ? ":" : "",
		    cur ? cur : "");
		if (!(out[j] = buf_steal(&b))) {
			free(out);
			return NULL;
		}
	}
	return out;
}

static void
env_free(char **env, const char *path)
{
	size_t i;

	for (i = 0; path && env && env[i]; i++)
		if (strncmp(env[i], "CLAW_SKILLS_PATH=", 17) == 0)
			free(env[i]);
	free(env);
}

struct answer {
	struct buf *text;
	struct buf error;
	int code;
};

static int
on_event(const char *rec, size_t len, long lineno, const char *why, void *ctx)
{
	struct answer *a = ctx;
	char type[16], num[16];
	const char *v;
	size_t vn;

	if (!rec || !json_member_str(rec, len, "type", type, sizeof type))
		return 0;
	if (strcmp(type, "message") == 0) {
		buf_reset(a->text);
		json_member_text(rec, len, "text", a->text);
	} else if (strcmp(type, "error") == 0) {
		buf_reset(&a->error);
		json_member_text(rec, len, "message", &a->error);
		if (json_member(rec, len, "code", &v, &vn) && vn < sizeof num) {
			memcpy(num, v, vn), num[vn] = '\0';
			a->code = atoi(num);
		}
	}
	return 0;
}

/* The last line of a child's stderr, for a message. */
static const char *
last_line(struct buf *e)
{
	char *p;

	if (!e->p)
		return "";
	while (e->len && (e->p[e->len - 1] == '\n' || e->p[e->len - 1] == '\r'))
		e->p[--e->len] = '\0';
	return (p = strrchr(e->p, '\n')) ? p + 1 : e->p;
}

static const char *
ended(int rc)
{
	return rc == PROC_TIMEDOUT ? "out of time" : rc == PROC_TOOBIG ? "output over the cap" :
	    "could not start";
}

int
child_ask(const char *session, const char *system, const char *prompt, struct buf *answer)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "--requests", "--no-tools", NULL };
	struct buf req = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	struct answer a = { answer, BUF_INIT, 0 };
	int rc;

	if (path_find_prog("claw-chat", prog, sizeof prog) < 0)
		return err_set(EX_UNAVAILABLE, "claw-chat is not installed: no model to ask");
	buf_adds(&req, "{\"id\":\"evolve\",\"session\":");
	buf_add_json_str(&req, session, strlen(session));
	buf_adds(&req, ",\"system\":");
	buf_add_json_str(&req, system, strlen(system));
	buf_adds(&req, ",\"prompt\":");
	buf_add_json_str(&req, prompt, strlen(prompt));
	buf_adds(&req, "}\n");
	if (req.oom)
		return buf_free(&req), err_set(EX_SOFTWARE, "out of memory");
	rc = proc_run_err(argv, NULL, req.p, req.len, &out, PROPOSAL_MAXTEXT * 2 + 65536, &err,
	    8192, NULL, CHILD_MODEL_MS);
	record_each_mem(out.p ? out.p : "", out.len, RECORD_MAXLINE, on_event, &a);
	if (rc < 0)
		rc = err_set(EX_TEMPFAIL, "claw-chat: %s", ended(rc));
	else if (a.error.len || rc)
		rc = err_set(rc > 0 && rc < 128 ? rc : EX_UNAVAILABLE, "the model: %s",
		    a.error.len ? a.error.p : *last_line(&err) ? last_line(&err) :
		    "claw-chat failed");
	else if (!answer->len)
		rc = err_set(EX_UNAVAILABLE, "the model: an empty answer");
	buf_free(&req);
	buf_free(&out);
	buf_free(&err);
	buf_free(&a.error);
	return rc;
}

int
child_test(const char *skills_path, const char *name, struct buf *report)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "test", (char *)name, NULL };
	char **env;
	struct buf err = BUF_INIT;
	int rc;

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0)
		return err_set(EX_UNAVAILABLE, "claw-skill is not installed: nothing can validate");
	if (!(env = env_with(skills_path)))
		return err_set(EX_SOFTWARE, "out of memory");
	rc = proc_run_err(argv, env, NULL, 0, report, CHILD_MAXREPORT, &err, 8192, NULL,
	    CHILD_TEST_MS);
	env_free(env, skills_path);
	if (rc < 0)
		rc = err_set(EX_NORESULT, "tests: %s", ended(rc));
	else if (rc)
		rc = err_set(EX_NORESULT, "tests failed%s%s", err.len ? ": " : "",
		    last_line(&err));
	else if (!report->p || strstr(report->p, "1..0"))
		rc = err_set(EX_NORESULT, "no test ran (a skill must come with its tests)");
	else if (!strstr(report->p, "\nok ") && strncmp(report->p, "ok ", 3) != 0)
		rc = err_set(EX_NORESULT, "no test passed (all skipped)");
	buf_free(&err);
	return rc;
}

int
child_canary(const char *skills_path, const char *name, const char *args, struct buf *report)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, "run", (char *)name, (char *)args, NULL };
	char **env;
	struct buf out = BUF_INIT, err = BUF_INIT;
	int rc;

	if (path_find_prog("claw-skill", prog, sizeof prog) < 0)
		return err_set(EX_UNAVAILABLE, "claw-skill is not installed: nothing can validate");
	if (!(env = env_with(skills_path)))
		return err_set(EX_SOFTWARE, "out of memory");
	/* Its stderr is the skill's: kept out of ours, as a test's is. */
	rc = proc_run_err(argv, env, "", 0, &out, 1u << 20, &err, 8192, NULL, CHILD_TEST_MS);
	buf_free(&err);
	env_free(env, skills_path);
	buf_printf(report, "# canary: claw-skill run %s %s: exit %d\n", name, args, rc);
	if (rc < 0)
		rc = err_set(EX_NORESULT, "canary: %s", ended(rc));
	else if (!out.p || !strstr(out.p, "\"type\""))
		rc = err_set(EX_NORESULT, "canary: the run said nothing");
	else
		rc = 0;
	buf_free(&out);
	return rc;
}
