/* work: what a channel does with its queues — store what the service sent (and
 * only then let it go), decide who may talk, run the turns through claw-chat
 * --requests (parallel across chats, in order within one), send the answers. */
#ifndef CLAW_CHAN_WORK_H
#define CLAW_CHAN_WORK_H
#include <stddef.h>

#include "channel/chan.h"

/* One getUpdates round (long polling for timeout seconds): the updates stored and
 * the cursor moved past them in one transaction.  *stored: how many were new.
 * 0 or an exit code. */
int work_poll(struct chan *c, int timeout, int *stored);
/* A webhook body: its messages stored (duplicates dropped) and its statuses
 * applied in one transaction.  0 or an exit code (nothing stored then). */
int work_ingest(struct chan *c, const char *body, size_t n, int *stored, int *dups);
/* One batch: up to channels.NAME.parallel chats' oldest waiting message each,
 * answered.  How many were handled (0: nothing waited), or -exit code. */
int work_turns(struct chan *c);
/* Send every part that is due; wait for retries due within wait_ms.  How many
 * were sent, or -exit code. */
int work_send(struct chan *c, long long wait_ms);
/* ms until the next queued part is due (0: now), -1 when none waits. */
long long work_next_due(struct chan *c);
#endif
