/* claw: the front door.  `claw SUB args…` runs claw-SUB as git runs git-SUB;
 * `claw config` is served here, since every other program reads what it writes. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/err.h"
#include "base/line.h"
#include "base/path.h"
#include "monitor/status.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

#define STATUS_SYNOPSIS "claw status [--json]\n"
#define CONFIG_SYNOPSIS \
    "claw config set KEY=VALUE | set KEY VALUE | set KEY [-] | get [--reveal] KEY" \
    " | unset KEY | list [--json]\n"

static const char usage[] =
    "usage: claw COMMAND [ARG...]\n"
    "       " STATUS_SYNOPSIS
    "       " CONFIG_SYNOPSIS
    "       claw help [COMMAND] | --help | --version\n";

static const char config_usage[] = "usage: " CONFIG_SYNOPSIS;
static const char status_usage[] = "usage: " STATUS_SYNOPSIS;

/* What `claw help` lists.  prog: the program that serves the command (claw-PROG),
 * NULL for one served here, with its own usage; keep: pass the command on as its
 * first argument. */
static const struct command {
	const char *name, *prog;
	int keep;
	const char *what, *usage;
} commands[] = {
	{ "chat", "chat", 0, "talk to a model (claw-chat)", NULL },
	{ "skill", "skill", 0, "find, check, install and run skills (claw-skill)", NULL },
	{ "evolve", "evolve", 0, "one self-evolution cycle (claw-evolve)", NULL },
	{ "node", "node", 0, "identity, peers and remote execution (claw-node)", NULL },
	{ "cluster", "node", 1, "balance work across nodes (claw-node cluster)", NULL },
	{ "gateway", "gateway", 0, "the HTTP API (claw-gateway)", NULL },
	{ "channel", "channel", 0, "Telegram and WhatsApp channels (claw-channel)", NULL },
	{ "monitor", "monitor", 0, "live metrics (claw-monitor)", NULL },
	{ "status", NULL, 0, "what claw is doing (claw-monitor status)", status_usage },
	{ "profile", "monitor", 1, "where the time goes (claw-monitor profile)", NULL },
	{ "doctor", "monitor", 1, "check the installation (claw-monitor doctor)", NULL },
	{ "config", NULL, 0, "get and set configuration", config_usage },
	{ "help", NULL, 0, "this text", usage },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
help(FILE *f)
{
	size_t i;

	fputs(usage, f);
	fputs("commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
}

static const struct command *
command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Execute claw-PROG [VERB] ARG... (argv[0] is not passed on); returns errno when
 * it could not. */
static int
exec_sub(const char *prog, const char *verb, int argc, char **argv)
{
	char path[PATH_MAX], name[128];
	char **av = calloc((size_t)argc + 2, sizeof *av);
	int i, n = 0;

	if (!av)
		return ENOMEM;
	snprintf(name, sizeof name, "claw-%s", prog);
	av[n++] = name;
	if (verb)
		av[n++] = (char *)verb;
	for (i = 1; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	if (path_find_prog(name, path, sizeof path) == 0)
		execv(path, av);
	else
		errno = ENOENT;
	i = errno;
	free(av);
	return i;
}

/* Say, once, that an existing $CLAW_HOME (or keys/) open to others was made private. */
static void
say_tightened(void)
{
	const char *t = path_tightened();

	if (t)
		diag("%s: group and others had access", t);
}

/* Check an existing home here, where it can be said: the programs tighten it
 * quietly, and refuse one that is not ours themselves. */
static void
check_home(void)
{
	const char *h = path_home();

	if (h && access(h, F_OK) == 0 && path_mkhome(NULL) == 0)
		say_tightened();
}

/* claw CMD ARG...: argv[0] is CMD.  Returns only when claw-PROG did not start. */
static int
run_sub(int argc, char **argv)
{
	const struct command *c = command(argv[0]);
	const char *prog = c ? c->prog : argv[0];
	int e;

	if (c)
		check_home();
	/* An option or a path is never a command (claw help ../x). */
	e = !c && (*prog == '-' || strchr(prog, '/')) ? ENOENT :
	    exec_sub(prog, c && c->keep ? c->name : NULL, argc, argv);

	if (!c && e == ENOENT) {
		diag("'%s' is not a claw command", argv[0]);
		help(stderr);
		return EX_USAGE;
	}
	if (e == ENOENT) {
		diag("%s: not installed (claw-%s)", c->name, prog);
		return EX_UNAVAILABLE;
	}
	errno = e;
	diag("claw-%s: cannot run it:", prog);
	return e == EACCES ? EX_NOPERM : EX_SOFTWARE;
}

static int
print_entry(const char *key, const char *value, enum config_source src, int secret, void *ctx)
{
	struct buf b = BUF_INIT;
	int json = *(int *)ctx;

	if (!json) {
		printf("%s=%s\n", key, secret ? "***" : value ? value : "");
		return 0;
	}
	buf_adds(&b, "{\"type\":\"config\",\"key\":");
	buf_add_json_str(&b, key, strlen(key));
	buf_adds(&b, ",\"value\":");
	if (secret)
		buf_adds(&b, "\"***\"");
	else
		buf_add_json_str(&b, value ? value : "", value ? strlen(value) : 0);
	buf_printf(&b, ",\"source\":\"%s\",\"secret\":%s}\n", config_source_name(src),
	    secret ? "true" : "false");
	if (b.oom)
		return err_set(EX_SOFTWARE, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}

#define VALUE_MAX 65536             /* the longest value read from standard input */

static struct termios tty_saved;

/* A signal while echo is off: give the terminal back, then die of it. */
static void
on_prompt_signal(int sig)
{
	tcsetattr(0, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* KEY's value from standard input: one line, its newline dropped.  On a terminal
 * it is asked for with echo off.  stdin is unbuffered, so no copy stays in stdio. */
static int
read_value(const char *key, char **value)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
	struct sigaction sa = { .sa_handler = on_prompt_signal }, old[5];
	size_t len = 0, cap = 0, i;
	int tty = isatty(0) && tcgetattr(0, &tty_saved) == 0, toolong = 0, r;

	*value = NULL;
	setvbuf(stdin, NULL, _IONBF, 0);
	if (tty) {
		struct termios quiet = tty_saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaction(sigs[i], &sa, &old[i]);
		tcsetattr(0, TCSANOW, &quiet);    /* TCSANOW: keep what was typed ahead */
		fprintf(stderr, "%s: ", key);
	}
	r = line_read(stdin, VALUE_MAX, value, &len, &cap, &toolong);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &tty_saved);
		for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaction(sigs[i], &old[i], NULL);
		fputc('\n', stderr);
	}
	if (r == 1 && !toolong)
		return 0;
	if (*value)
		memset(*value, 0, cap);
	free(*value);
	*value = NULL;
	if (r < 0)
		return err_set(EX_IOERR, "%s: standard input:", key);
	return err_set(EX_DATAERR, toolong ? "%s: the value is longer than %d bytes"
	    : "%s: no value on standard input", key, VALUE_MAX);
}

/* claw config set KEY=VALUE | set KEY VALUE | set KEY - | set SECRET-KEY */
static int
config_verb_set(int argc, char **argv)
{
	sqlite3 *db = NULL;
	char *key, *value, *input = NULL;
	int rc = 0;

	if (argc == 2 && (value = strchr(argv[1], '='))) {
		key = argv[1];
		*value++ = '\0';
	} else if (argc == 3 && !strchr(argv[1], '=')) {
		key = argv[1];
		value = argv[2];
	} else if (argc == 2 && config_is_secret(argv[1])) {
		key = argv[1];
		value = "-";
	} else
		return cli_usage_error(config_usage);
	if (config_check_key(key))
		return diag_err();
	if (strcmp(value, "-") == 0) {
		/* Harden before the value is in memory, not at sealing. */
		if ((config_is_secret(key) && secret_harden()) || read_value(key, &input))
			return diag_err();
		value = input;
	}
	if (config_check(key, value))
		rc = diag_err();
	else if (!input && config_is_secret(key))
		diag("warning: %s: a value on the command line can be read by other users (ps);"
		    " give it on standard input: claw config set %s -", key, key);
	if (!rc && ((rc = store_open(&db)) || (rc = config_set(db, key, value))))
		rc = diag_err();
	store_close(db);
	if (input) {
		memset(input, 0, strlen(input));
		free(input);
	}
	return rc;
}

/* claw config get [--reveal] KEY */
static int
config_verb_get(int argc, char **argv)
{
	enum config_source src;
	sqlite3 *db = NULL;
	char *key, *value = NULL;
	int rc, reveal = 0;

	if (argc == 3 && strcmp(argv[1], "--reveal") == 0)
		reveal = 1, key = argv[2];
	else if (argc == 2 && argv[1][0] != '-')
		key = argv[1];
	else
		return cli_usage_error(config_usage);
	if (config_check_key(key))
		return diag_err();
	/* The environment, or the store's current copy of config, answers without
	 * opening the store; else the store does, and the copy is made again. */
	if ((rc = config_get_cached(key, &value, &src)) < 0) {
		if ((rc = store_open(&db)) == 0) {
			rc = config_get(db, key, &value, &src);
			if (rc == 0 || rc == EX_NORESULT)   /* an error keeps its own message */
				config_copy_refresh(db);
		}
	}
	if (rc == EX_NORESULT)
		diag("%s: not set", key);
	else if (rc)
		diag_err();
	else if (config_is_secret(key) && !reveal)
		puts("***");
	else
		puts(value);
	if (value && config_is_secret(key))
		memset(value, 0, strlen(value));
	free(value);
	store_close(db);
	return rc ? rc : out_finish();
}

/* claw config unset KEY */
static int
config_verb_unset(int argc, char **argv)
{
	sqlite3 *db = NULL;
	int rc;

	if (argc != 2)
		return cli_usage_error(config_usage);
	if (config_check_key(argv[1]))
		return diag_err();
	if ((rc = store_open(&db)) || (rc = config_unset(db, argv[1])))
		rc == EX_NORESULT ? diag("%s: not set", argv[1]) : (void)diag_err();
	store_close(db);
	return rc;
}

/* claw config list [--json] */
static int
config_verb_list(int argc, char **argv)
{
	sqlite3 *db = NULL;
	int rc, json = 0;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return cli_usage_error(config_usage);
	if ((rc = store_open(&db)) || (rc = config_list(db, print_entry, &json)))
		rc = diag_err();
	store_close(db);
	return rc ? rc : out_finish();
}

static const struct cli_verb config_verbs[] = {
	{ "set", config_verb_set }, { "get", config_verb_get },
	{ "unset", config_verb_unset }, { "list", config_verb_list }, { NULL, NULL },
};

/* claw config VERB ARG... */
static int
cmd_config(int argc, char **argv)
{
	const struct cli_verb *v;
	int rc;

	if ((rc = cli_front(argc, argv, config_usage)) >= 0)
		return rc;
	if (argc < 2)
		return cli_usage_error(config_usage);
	if (!(v = cli_verb(config_verbs, argv[1]))) {
		diag("config: unknown verb '%s'", argv[1]);
		return cli_usage_error(config_usage);
	}
	rc = v->run(argc - 1, argv + 1);
	say_tightened();
	return rc;
}

/* claw status [--json]: served here, by the code of claw-monitor status, since
 * an exec of claw-monitor was half of what it cost. */
static int
cmd_status(int argc, char **argv)
{
	check_home();
	return status_main(argc, argv, status_usage);
}

/* claw help [COMMAND]: the command list, or the command's own usage. */
static int
cmd_help(int argc, char **argv)
{
	const struct command *c;
	char *av[3] = { NULL, "--help", NULL };

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "help") == 0)) {
		help(stdout);
		return out_finish();
	}
	if (argc > 2)
		return cli_usage_error(usage);
	if ((c = command(argv[1])) && !c->prog) {
		fputs(c->usage, stdout);        /* help is answered above */
		return out_finish();
	}
	av[0] = argv[1];
	return run_sub(2, av);
}

static const struct cli_verb verbs[] = {
	{ "config", cmd_config }, { "status", cmd_status }, { "help", cmd_help },
	{ "--help", cmd_help },
	{ "-h", cmd_help }, { NULL, NULL },
};

int
main(int argc, char **argv)
{
	const struct cli_verb *v;
	int rc;

	diag_init("claw");
	if (argc < 2) {
		help(stderr);
		return EX_USAGE;
	}
	if ((v = cli_verb(verbs, argv[1])))
		return v->run(argc - 1, argv + 1);
	if ((rc = cli_front(argc, argv, usage)) >= 0)      /* --version, version */
		return rc;
	if (argv[1][0] == '-' || strchr(argv[1], '/')) {
		diag("%s: unknown option", argv[1]);
		return cli_usage_error(usage);
	}
	return run_sub(argc - 1, argv + 1);
}
