/* gene: the gene pool in the store — what a kind of change is for (its category and
 * the signals it answers), its priority, its constraints — and how outcomes move it. */
#ifndef CLAW_GENE_H
#define CLAW_GENE_H
#include <sqlite3.h>

#include "base/buf.h"

#define GENE_MAXID 64

struct gene {
	char id[GENE_MAXID + 1];
	char category[16];        /* repair, optimize, innovate */
	char *signals;            /* one kind per line */
	double priority;          /* in [0, 1] */
	long max_files, max_lines;   /* 0: the config's alone */
	char *protected;          /* paths in the skill, one per line */
	char *validation;         /* "tests canary" */
};

/* A gene's fields from words: --category C --signals a,b --priority P --max-files N
 * --max-lines N --protected p,q --validation "tests canary".  set says which were
 * given (for genes set).  0 or EX_USAGE (err set). */
int gene_opts(int argc, char **argv, struct gene *g, unsigned *set);
int gene_add(sqlite3 *db, const struct gene *g);            /* EX_CANTCREAT when it exists */
int gene_set(sqlite3 *db, const struct gene *g, unsigned set); /* EX_NOINPUT when missing */
int gene_remove(sqlite3 *db, const char *id);                /* EX_NOINPUT when missing */
/* Every gene as a line (text: id category priority signals, then its history
 * indented) or one JSON object with "history" into out. */
int gene_list(sqlite3 *db, int json, struct buf *out);

/* Among genes of category whose signals meet kinds (one per line), one drawn with
 * weight priority by u in [0, 1): 0 with *g filled, EX_NORESULT when none fits. */
int gene_choose(sqlite3 *db, const char *category, const char *kinds, double u,
    struct gene *g);
/* Move g's priority by the outcome (ok: up, else down, by share of the way to 1 or 0),
 * recorded in its history for cycle: 0 or exit code; *now is the new priority. */
int gene_reward(sqlite3 *db, const char *id, long long cycle, int ok, double share,
    const char *why, double *now);
void gene_free(struct gene *g);
#endif
