/* cli: the one front-door convention of every claw program.  -h, --help and help
 * print the usage on stdout and exit 0; --version and version exit 0; an unknown
 * verb or option exits 64 with the usage on stderr.  A program's verbs are a table. */
#ifndef CLAW_CLI_H
#define CLAW_CLI_H

struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv);   /* argv[0] is the verb; returns the exit code */
};

/* argv[1] when it is a help or version word: prints what it asks for and returns
 * 0 (the caller exits with it), else -1.  usage is the program's usage text. */
int cli_front(int argc, char **argv, const char *usage);
/* The usage on stderr; returns EX_USAGE. */
int cli_usage_error(const char *usage);
/* The verb named name in a table ending with a { NULL } entry, or NULL. */
const struct cli_verb *cli_verb(const struct cli_verb *verbs, const char *name);
/* cli_front, then the verb of argv[1] run with argc-1, argv+1; an unknown or
 * missing verb is a usage error.  What the program's main returns. */
int cli_dispatch(int argc, char **argv, const char *usage, const struct cli_verb *verbs);
#endif
