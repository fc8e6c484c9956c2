/* SPDX-License-Identifier: MIT */
/*
 * xsipc-tool.h -- what the files of the xsipc command share: the exit
 * codes, the registry the global options chose, messages, and the table
 * printer behind ls, key and limits.
 */
#ifndef XSIPC_TOOL_H
#define XSIPC_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include <xsipc.h>

/* Exit statuses, as xsipc(1) documents them. */
#define EXIT_OK 0
#define EXIT_USAGE 1 /* bad usage, or a lock wait that timed out */
#define EXIT_FAIL 2

/* The global options. */
typedef struct tool {
    const char *regdir; /* -r DIR; NULL: the Qt directory */
} tool;

/* The command running, for messages; NULL before one is chosen. */
extern const char *tool_cmd;

/* Prints "xsipc: ", the command's name and ": " (once there is one), and
 * the message to stderr.  A failure's message gives the cause first and
 * the name or path it is about last ("CAUSE: OBJECT", as the library's,
 * common/status.c), so that a long one cannot push the cause away. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As tool_error, then the "Try 'xsipc --help'" line; returns EXIT_USAGE. */
int tool_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* The message for getopt's '?' (opterr is 0); returns EXIT_USAGE. */
int tool_bad_option(char **argv);
/* Opens the registry of the global options; NULL after printing why. */
xsipc_registry *tool_registry(const tool *t, unsigned flags);
/* Reports a library failure about name as "xsipc: CMD: CAUSE: OBJECT",
 * in one wording per situation (XSIPC_NOT_FOUND: 'no such name: "NAME"'
 * whatever the command), without the library's function name; code is an
 * xsipc_error, text the library's message (may be NULL). */
void tool_name_error(const char *name, int code, const char *text);
/* "xsipc: CMD: the previous holder died holding the lock, ...MORE: NAME" */
void tool_owner_died(const char *name, const char *more);
/* name as messages and tables show it: control characters and bytes that
 * are not text in the locale escaped as \xHH.  A static buffer,
 * overwritten by the next call. */
const char *tool_name(const char *name);
/* A library message without its leading "xsipc_function: ". */
const char *tool_strip_op(const char *text);
/* Parses SECONDS (may have a fraction) into milliseconds; -1 when bad. */
int tool_parse_seconds(const char *s, long *ms);
/* Takes shm's lock, waiting ms milliseconds (ms < 0: for ever).  Returns
 * 0 or XSIPC_OWNER_DIED (reported) with the lock held, or -1 after a
 * message, with *rc set: EXIT_USAGE when the wait timed out, else
 * EXIT_FAIL. */
int tool_shm_lock(xsipc_shm *shm, long ms, const char *name, int *rc);
/* Parses a size: digits with an optional K, M or G (powers of 1024). */
int tool_parse_size(const char *s, size_t *out);
/* Formats n as lsipc does: 512B, 1.5K, 64M. */
void tool_human_size(unsigned long long n, char *buf, size_t len);

/* A column of a table. */
typedef struct table_col {
    const char *name; /* UPPERCASE heading; lowercase for JSON */
    int right;        /* right-aligned (numbers) */
    int numeric;      /* JSON: a number when the cell is one */
} table_col;

typedef struct table {
    const table_col *cols;
    size_t ncols;
    char **cells; /* nrows * ncols strings */
    size_t nrows, cap;
    size_t sort[3]; /* the columns rows are sorted by, in order */
    size_t nsort;
} table;

/* Chosen output: -o columns (indexes), --json, -n. */
typedef struct table_opts {
    size_t sel[32];
    size_t nsel; /* 0: all columns */
    int json;
    int noheadings;
} table_opts;

void table_init(table *t, const table_col *cols, size_t ncols);
/* Adds a row of empty cells; its index, or -1 when out of memory. */
long table_add_row(table *t);
/* Sets a cell to a printf-formatted string; -1 when out of memory. */
int table_set(table *t, long row, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses an -o LIST into o; EXIT_USAGE after a message when a column is
 * unknown, else 0. */
int table_select(const table *t, const char *list, table_opts *o);
/* Sorts the rows by up to three columns (strcmp; absent cells last) when
 * printed; without it, rows keep the order they were added in. */
void table_sort_by(table *t, const size_t *cols, size_t n);
/* Prints as a table or, with o->json, as {"key": [ {...}, ... ]}; -1 when
 * out of memory. */
int table_print(table *t, const table_opts *o, const char *key, FILE *out);
/* s with what a terminal should not get escaped as \xHH (see table.c),
 * malloc'd; *width (when not NULL) gets its width in display cells.  NULL
 * when out of memory. */
char *table_escape(const char *s, size_t *width);
void table_free(table *t);

/* The commands: argc/argv start at the command's name. */
int cmd_key(const tool *t, int argc, char **argv);
int cmd_ls(const tool *t, int argc, char **argv);
int cmd_info(const tool *t, int argc, char **argv);
int cmd_create(const tool *t, int argc, char **argv);
int cmd_put(const tool *t, int argc, char **argv);
int cmd_get(const tool *t, int argc, char **argv);
int cmd_rm(const tool *t, int argc, char **argv);
int cmd_gc(const tool *t, int argc, char **argv);
int cmd_lock(const tool *t, int argc, char **argv);
int cmd_sem(const tool *t, int argc, char **argv);
int cmd_limits(const tool *t, int argc, char **argv);

#endif /* XSIPC_TOOL_H */
