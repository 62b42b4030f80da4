/* attach: a result's attachments made to outlive its run.  A skill names files in its
 * working directory ({"type":"result", ..., "attachments":[{"path":"screen.png"}]});
 * the directory is removed when the run ends, so each file is handed on as an event. */
#ifndef CLAW_SKILLATTACH_H
#define CLAW_SKILLATTACH_H
#include <stddef.h>

#include "skill/run.h"

#define SKILL_ATTACH_MAX   (5u << 20)   /* bytes of one file: Anthropic's limit per image */
#define SKILL_ATTACH_TOTAL (8u << 20)   /* bytes of all the files of one result */
#define SKILL_ATTACH_COUNT 8

/* For each {"path"} of result's "attachments" (a plain file name in dir: no '/', no
 * link followed): {"type":"attachment","path","media_type","bytes","data"} (base64,
 * the type known by content, application/octet-stream when unknown) through fn;
 * one that cannot be given (missing, a link, over a cap) is a {"type":"log"} event
 * saying why.  Nothing when result has no attachments. */
void skill_attach_events(const char *result, size_t n, const char *dir, skillrun_fn *fn,
    void *ctx);
#endif
