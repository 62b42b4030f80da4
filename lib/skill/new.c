/* new: the template skill greets someone; each file is made with O_EXCL so an
 * existing skill is never overwritten. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"
#include "skill/new.h"
#include "skill/skillmd.h"

static const char config_json[] = "{\"defaults\": {}, \"parameters\": {\"type\": \"object\","
    " \"properties\": {\"who\": {\"type\": \"string\", \"description\": \"whom to greet\"}}}}\n";
static const char hello_json[] = "{\"args\": {\"who\": \"claw\"}, \"expect\": {\"equals\":"
    " \"hello, claw\"}}\n";

static int
write_file(const char *dir, const char *name, const char *text, int mode)
{
	char path[PATH_MAX];
	int fd;
	size_t n = strlen(text);

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0)
		return err_set(EX_CANTCREAT, "%s:", path);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return err_set(EX_IOERR, "%s:", path);
	}
	return close(fd) < 0 ? err_set(EX_IOERR, "%s:", path) : 0;
}

int
skill_new(const char *name, char *dir, size_t dirlen)
{
	char skills[PATH_MAX], tests[PATH_MAX];
	struct buf md = BUF_INIT, run = BUF_INIT;
	int rc;

	if (!skill_name_valid(name, strlen(name)))
		return err_set(EX_USAGE,
		    "%s: a skill name is [a-z0-9][a-z0-9._-]*, at most %d bytes",
		    name, SKILLMD_MAXNAME);
	if ((rc = path_mkhome("skills")) || (rc = path_in_home(skills, sizeof skills, "skills")))
		return rc;
	snprintf(dir, dirlen, "%s/%s", skills, name);
	if (mkdir(dir, 0755) < 0)
		return err_set(EX_CANTCREAT, "%s:", dir);
	buf_printf(&md, "---\nname: %s\ndescription: Says hello to someone (replace with what %s"
	    " does, in one line).\ntriggers:\n  - hello\npermissions: []\ntimeout: 10\n"
	    "version: \"0.1.0\"\n"
	    "metadata:\n  openclaw:\n    requires:\n      bins: [jq]   # what run executes\n"
	    "---\nCall %s with a name to greet.\n", name, name, name);
	buf_printf(&run, "#!/bin/sh\n# %s: reads {\"args\",\"context\"} on stdin, writes NDJSON"
	    " events.\n"
	    "set -eu\nwho=$(jq -r '.args.who // \"world\"')\n"
	    "jq -cn --arg t \"hello, $who\" '{type: \"result\", text: $t}'\n", name);
	snprintf(tests, sizeof tests, "%s/tests", dir);
	if (md.oom || run.oom)
		rc = err_set(EX_SOFTWARE, "out of memory");
	else if (!(rc = write_file(dir, "SKILL.md", md.p, 0644))
	    && !(rc = write_file(dir, "run", run.p, 0755))
	    && !(rc = write_file(dir, "config.json", config_json, 0644))) {
		if (mkdir(tests, 0755) < 0)
			rc = err_set(EX_CANTCREAT, "%s:", tests);
		else
			rc = write_file(tests, "hello.json", hello_json, 0644);
	}
	buf_free(&md);
	buf_free(&run);
	return rc;
}
