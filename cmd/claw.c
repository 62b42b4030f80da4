/* claw: the front door.  `claw SUB args…` runs claw-SUB as git runs git-SUB;
 * `claw config` is served here, since every other program reads what it writes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/config.h"
#include "base/err.h"
#include "base/path.h"
#include "store/store.h"

static const char usage[] =
    "usage: claw COMMAND [ARG...]\n"
    "       claw config set KEY=VALUE | set KEY VALUE | get [--reveal] KEY | unset KEY | list [--json]\n"
    "       claw help | --help | --version\n";

static const char commands[] =
    "commands:\n"
    "  chat       talk to a model (claw-chat)\n"
    "  skill      find, check, install and run skills (claw-skill)\n"
    "  evolve     one self-evolution cycle (claw-evolve)\n"
    "  node       identity, peers and remote execution (claw-node)\n"
    "  cluster    balance work across nodes (claw-node cluster)\n"
    "  gateway    the HTTP API (claw-gateway)\n"
    "  monitor    live metrics (claw-monitor)\n"
    "  status     what claw is doing (claw-monitor status)\n"
    "  profile    where the time goes (claw-monitor profile)\n"
    "  doctor     check the installation (claw-monitor doctor)\n"
    "  config     get and set configuration\n"
    "  help       this text\n";

/* Commands served by another program under another verb. */
static const struct alias {
	const char *cmd, *prog;
	int keep;     /* pass the command itself on as the first argument */
} aliases[] = {
	{ "status", "monitor", 1 }, { "monitor", "monitor", 0 }, { "profile", "monitor", 1 },
	{ "doctor", "monitor", 1 }, { "cluster", "node", 1 },
};

static const char *const known[] = { "chat", "skill", "evolve", "node", "gateway", "monitor" };

static int
exec_sub(const char *sub, char **argv, int argc, int keep)
{
	char path[PATH_MAX], prog[128];
	char **av = calloc((size_t)argc + 2, sizeof *av);
	int i, n = 0;

	if (!av)
		return ENOMEM;
	snprintf(prog, sizeof prog, "claw-%s", sub);
	av[n++] = prog;
	if (keep)
		av[n++] = argv[0];
	for (i = 1; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	if (path_find_prog(prog, path, sizeof path) == 0)
		execv(path, av);
	else
		errno = ENOENT;
	i = errno;
	free(av);
	return i;
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
	buf_printf(&b, ",\"source\":\"%s\",\"secret\":%s}\n", config_source_name(src), secret ? "true" : "false");
	if (b.oom)
		return err_set(EX_SOFTWARE, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}

static int
config_usage(void)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

static int
cmd_config(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	sqlite3 *db = NULL;
	char *key = NULL, *value = NULL;
	int rc, reveal = 0, json = 0;

	if (strcmp(verb, "set") == 0) {
		if (argc == 3 && (value = strchr(argv[2], '='))) {
			key = argv[2];
			*value++ = '\0';
		} else if (argc == 4 && !strchr(argv[2], '=')) {
			key = argv[2];
			value = argv[3];
		} else
			return config_usage();
		if ((rc = config_check(key, value)))
			return diag_err();
		if ((rc = store_open(&db)) || (rc = config_set(db, key, value)))
			rc = diag_err();
		store_close(db);
		return rc;
	}
	if (strcmp(verb, "get") == 0) {
		enum config_source src;
		if (argc == 4 && strcmp(argv[2], "--reveal") == 0)
			reveal = 1, key = argv[3];
		else if (argc == 3 && argv[2][0] != '-')
			key = argv[2];
		else
			return config_usage();
		if (config_check_key(key))
			return diag_err();
		/* The environment answers without opening the store. */
		rc = config_get(NULL, key, &value, &src);
		if (rc == EX_NORESULT || (rc == 0 && src == CONFIG_DEFAULT)) {
			free(value);
			value = NULL;
			if ((rc = store_open(&db)) == 0)
				rc = config_get(db, key, &value, &src);
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
	if (strcmp(verb, "unset") == 0) {
		if (argc != 3)
			return config_usage();
		if (config_check_key(argv[2]))
			return diag_err();
		if ((rc = store_open(&db)) || (rc = config_unset(db, argv[2])))
			rc == EX_NORESULT ? diag("%s: not set", argv[2]) : (void)diag_err();
		store_close(db);
		return rc;
	}
	if (strcmp(verb, "list") == 0) {
		if (argc == 3 && strcmp(argv[2], "--json") == 0)
			json = 1;
		else if (argc != 2)
			return config_usage();
		if ((rc = store_open(&db)) || (rc = config_list(db, print_entry, &json)))
			rc = diag_err();
		store_close(db);
		return rc ? rc : out_finish();
	}
	if (*verb)
		diag("config: unknown verb '%s'", verb);
	return config_usage();
}

int
main(int argc, char **argv)
{
	const char *cmd;
	size_t i;
	int keep = 0, e;

	diag_init("claw");
	if (argc < 2) {
		fputs(usage, stderr);
		fputs(commands, stderr);
		return EX_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		puts("claw " CLAW_VERSION);
		return out_finish();
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc > 2 && strcmp(cmd, "help") == 0) {
			/* claw help SUB: the program's own help */
			char *av[] = { argv[2], "--help", NULL };
			return exec_sub(argv[2], av, 2, 0), diag("%s: no such command", argv[2]), EX_USAGE;
		}
		fputs(usage, stdout);
		fputs(commands, stdout);
		return out_finish();
	}
	if (strcmp(cmd, "config") == 0)
		return cmd_config(argc - 1, argv + 1);
	if (cmd[0] == '-' || strchr(cmd, '/')) {
		diag("%s: unknown option", cmd);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(cmd, aliases[i].cmd) == 0) {
			keep = aliases[i].keep;
			cmd = aliases[i].prog;
			break;
		}
	e = exec_sub(cmd, argv + 1, argc - 1, keep);
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(cmd, known[i]) == 0) {
			errno = e;
			diag("claw-%s: cannot run it:", cmd);
			return e == ENOENT ? EX_UNAVAILABLE : e == EACCES ? EX_NOPERM : EX_SOFTWARE;
		}
	diag("'%s' is not a claw command", argv[1]);
	fputs(commands, stderr);
	return EX_USAGE;
}
