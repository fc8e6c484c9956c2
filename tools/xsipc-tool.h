/* SPDX-License-Identifier: MIT */
/*
 * xsipc-tool.h -- what the files of the xsipc command share: the exit
 * codes, the registry the global options chose, messages, and the table
 * printer behind ls, key and limits.
 */
#ifndef XSIPC_TOOL_H
#define XSIPC_TOOL_H

#include <getopt.h> /* optarg, optind: tool_getopt sets them */
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
/* Reads all of fd into a malloc'd buffer (*data, *len; EINTR retried);
 * -1 with errno set. */
int tool_read_all(int fd, char **data, size_t *len);
/* Writes len bytes at p to fd whole (EINTR retried); -1 with errno set. */
int tool_write_all(int fd, const char *p, size_t len);
/* Takes shm's lock, waiting ms milliseconds (ms < 0: for ever).  Returns
 * 0 or XSIPC_OWNER_DIED (reported) with the lock held, or -1 after a
 * message, with *rc set: EXIT_USAGE when the wait timed out, else
 * EXIT_FAIL. */
int tool_shm_lock(xsipc_shm *shm, long ms, const char *name, int *rc);

/* An option of a command: one table per command drives getopt_long and
 * prints the Options: section of its --help.  A letter of 256 and more is
 * a long option only.  The table ends with {NULL}; -h/--help is added. */
typedef struct tool_opt {
    const char *name; /* long name */
    int letter;       /* short letter, or >= 256 */
    const char *arg;  /* argument name; NULL: takes none */
    const char *help;
} tool_opt;

/* A command's usage: "xsipc NAME ARGS", a summary, its options. */
typedef struct tool_command {
    const char *name; /* NULL: xsipc itself */
    const char *args; /* what follows [options], as in the Usage: line */
    const char *summary;
    const tool_opt *opts;
    int in_order;             /* stop at the first argument (getopt's "+") */
    void (*extra)(FILE *out); /* more help (columns); may be NULL */
} tool_command;

/* What tool_getopt returns beside an option's letter and -1. */
#define TOOL_OPT_HELP (-2) /* --help was printed: exit 0 */
#define TOOL_OPT_BAD (-3)  /* a message was printed: exit 1 */

/* getopt_long over cmd's table; optarg and optind as getopt's. */
int tool_getopt(const tool_command *cmd, int argc, char **argv);
/* Prints cmd's --help: Usage:, the summary, Options:, cmd->extra, then
 * "For more details see xsipc(1)." */
void tool_help(const tool_command *cmd, FILE *out);

/* Strict number parsers (parse.c).  Each takes what the number is (for
 * the message: "SECONDS"), prints why it refuses s and returns
 * EXIT_USAGE, or stores the value and returns 0. */
/* Decimal digits only, within [min, max]. */
int tool_parse_ulong(const char *what, const char *s, unsigned long min,
                     unsigned long max, unsigned long *out);
/* The longest wait -w takes: its milliseconds fit a 32-bit long. */
#define TOOL_MAX_SECONDS 2147483L
/* Seconds: digits with an optional decimal fraction, up to max_s;
 * stored in milliseconds, rounded. */
int tool_parse_seconds(const char *what, const char *s, long max_s, long *ms);
/* A size as ipcmk takes it: digits, an optional fraction, and a unit K,
 * M, G or T (or KiB... : powers of 1024) or KB, MB, GB, TB (powers of
 * 1000); a fraction needs a unit.  Refuses 0 and what size_t cannot
 * hold. */
int tool_parse_size(const char *what, const char *s, size_t *out);
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

/* Room for one more element in array (*cap elements of size bytes, n of
 * them in use), doubled when full (first: the first allocation's count);
 * the array, moved maybe, or NULL when out of memory (array unchanged). */
void *tool_grow(void *array, size_t *cap, size_t n, size_t size, size_t first);

void table_init(table *t, const table_col *cols, size_t ncols);
/* Adds a row of empty cells; its index, or -1 when out of memory. */
long table_add_row(table *t);
/* Sets a cell to a printf-formatted string; -1 when out of memory. */
int table_set(table *t, long row, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses an -o LIST into o: column names in any case, separated by
 * commas; EXIT_USAGE after a message naming the columns when one is
 * unknown or empty, else 0. */
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
/* Prints the "Available output columns:" section of a --help (opts.c). */
void tool_help_columns(const table_col *cols, const char *const *help, size_t n,
                       FILE *out);

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
int cmd_send(const tool *t, int argc, char **argv);
int cmd_recv(const tool *t, int argc, char **argv);

#endif /* XSIPC_TOOL_H */
