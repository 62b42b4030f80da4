/* fanout: placeholder until the scheduler lands. */
#include "base/err.h"
#include "node/fanout.h"

int
fanout_run(sqlite3 *db, const struct node_id *me, struct peers *ps, const int *order,
    int n, char *const argv[], int timeout_ms, void (*note)(const char *why))
{
	return err_set(EX_UNAVAILABLE, "--requests: not yet");
}
