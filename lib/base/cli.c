/* cli: help, version and verb tables the same way in every program. */
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "base/err.h"

int
cli_front(int argc, char **argv, const char *usage)
{
	const char *a = argc > 1 ? argv[1] : "";

	if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
		fputs(usage, stdout);
		return out_finish();
	}
	if (!strcmp(a, "--version") || !strcmp(a, "version")) {
		printf("%s %s\n", diag_prog(), CLAW_VERSION);
		return out_finish();
	}
	return -1;
}

int
cli_usage_error(const char *usage)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

const struct cli_verb *
cli_verb(const struct cli_verb *verbs, const char *name)
{
	for (; verbs->name; verbs++)
		if (!strcmp(verbs->name, name))
			return verbs;
	return NULL;
}

int
cli_dispatch(int argc, char **argv, const char *usage, const struct cli_verb *verbs)
{
	const struct cli_verb *v;
	int rc;

	if ((rc = cli_front(argc, argv, usage)) >= 0)
		return rc;
	if (argc < 2 || !(v = cli_verb(verbs, argv[1])))
		return cli_usage_error(usage);
	return v->run(argc - 1, argv + 1);
}
