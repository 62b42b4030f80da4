/* mem: the allocator SQLite is given (SQLITE_CONFIG_MALLOC) before it starts.
 * Debian's SQLite is built without lookaside, so every parse node, schema object and
 * statement is a malloc and a free, in bursts of the same few sizes (parsing the
 * schema makes thousands), which glibc's small caches overflow into its slow paths:
 * they were a fifth of `claw status`'s instructions.  Here a request of up to 2 KiB
 * takes a block of its size class from the thread's free list, or carves one from
 * the thread's 64 KiB chunk; a free puts it back on the freeing thread's list.
 * Larger requests (page-cache bulks, big rows) go to malloc.  Chunks are never
 * returned: a program's SQLite memory is bounded by its peak per class.  A
 * connection stays on the thread that opened it (store.h), so blocks do not drift
 * between threads.  The checkers' builds -- STATIC=0 (valgrind), SANITIZE=1 and
 * the fuzz targets (ASan) -- keep SQLite on malloc, each allocation seen. */
#ifndef CLAW_MEM_H
#define CLAW_MEM_H
#include <sqlite3.h>

extern const sqlite3_mem_methods mem_methods;
#endif
