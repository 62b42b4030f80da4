/* fuzz/ndjson: the NDJSON record loop.  The input is a whole stream, in memory for
 * ndjson_each_mem and as a FILE for ndjson_each, each at the real cap and a small one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/ndjson.h"

static FILE *sink;

/* What a program does with a record: write it, or write the error event for it. */
static int
consume(jv rec, long lineno, void *ctx)
{
	if (jv_is_valid(rec))
		return ndjson_write(sink, rec) < 0;
	jv msg = jv_invalid_get_msg(rec);
	if (jv_get_kind(msg) != JV_KIND_STRING)
		__builtin_trap();   /* the contract: a bad line carries a message */
	ndjson_write(sink, ndjson_error_event(65, lineno, jv_string_value(msg)));
	jv_free(msg);
	(*(long *)ctx)++;
	return 0;
}

/* Only objects pass; a bad line carries a message (consume checks). */
static int
only_objects(jv rec, long lineno, void *ctx)
{
	if (jv_is_valid(rec) && jv_get_kind(rec) != JV_KIND_OBJECT)
		__builtin_trap();
	return consume(rec, lineno, ctx);
}

static void
in_memory(const uint8_t *data, size_t size, size_t maxline)
{
	long bad = 0;

	ndjson_each_mem((const char *)data, size, maxline, only_objects, &bad);
}

static void
each(const uint8_t *data, size_t size, size_t maxline)
{
	long bad = 0;
	FILE *in;

	static char empty[1];

	/* fmemopen refuses a zero-sized buffer: an empty stream is one byte already read. */
	if (!(in = size ? fmemopen((void *)data, size, "r") : fmemopen(empty, 1, "r")))
		return;
	if (!size)
		fgetc(in);
	ndjson_each(in, maxline, consume, &bad);
	fclose(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks a small cap; the rest is the input.  A private copy,
	 * exactly size bytes, so a read past the end is caught by ASan. */
	size_t small = size ? 1 + data[0] % 40 : 8;
	uint8_t *copy = malloc(size ? size : 1);

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	/* Leak checks stay on for every input: a line reaches libjq only once
	 * record_check (json_valid) took it, so libjq 1.6's leaks on text it rejects
	 * itself ("{\"a\" \"b\"}", "{0\"a\"") cannot happen here, and any leak is ours. */
	in_memory(copy, size, NDJSON_MAXLINE);
	in_memory(copy, size, small);
	each(copy, size, NDJSON_MAXLINE);
	each(copy, size, small);
	free(copy);
	return 0;
}
