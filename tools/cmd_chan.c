/* SPDX-License-Identifier: MIT */
/*
 * cmd_chan.c -- `xsipc send` and `xsipc recv`: a channel (xsipc_channel(3),
 * a bounded queue of whole messages in one named segment) from the shell.
 *
 * send takes its standard input as one message, read whole before the
 * channel is opened (as put reads its data before it takes the lock), or
 * with -l each line as one message, read and sent as it comes, so that a
 * pipe feeds the channel line by line.  A channel that --create makes is
 * persistent: the library removes a channel with its last user otherwise,
 * and a shell's sender exits before anyone receives.
 *
 * recv writes each message it takes whole to standard output with one
 * write(2), message and terminator together, so that readers of a pipe
 * never see half a message from it.  A message is taken from the channel
 * before it is written: one that a closed pipe refuses is lost, as a line
 * read by a program that a closed pipe kills.
 *
 * -w bounds each wait (for room, for a message) as get and put bound
 * their lock wait; without it they wait for ever, and -w 0 tries once.
 * A wait that ends is exit status 1, as for the lock wait of get and put.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

/* The largest message a channel made by --create takes when MAX is not
 * given: 64 KiB, or what CAPACITY leaves for one. */
#define DEFAULT_MAX_MESSAGE 65536UL
/* What a message takes in a channel beside its bytes (xsipc.h). */
#define RECORD_HEADER 8UL

/* The sizes of --create; capacity 0: no --create. */
typedef struct chan_sizes {
    size_t capacity, max_message;
} chan_sizes;

/* The bytes a message of len takes in a channel: 8 more, rounded up to
 * 8.  len must be well below SIZE_MAX (the callers check). */
static size_t record_size(size_t len)
{
    return RECORD_HEADER + ((len + 7) & ~(size_t)7);
}

/* Parses --create CAPACITY[,MAX]; 0 or EXIT_USAGE after a message.  The
 * library rounds CAPACITY up to 8 (xsipc_channel_create): the defaults
 * and the checks here use the rounded value, so that what they accept it
 * accepts. */
static int parse_create(const char *arg, chan_sizes *sz)
{
    const char *comma = strchr(arg, ',');
    char cap[128];
    size_t n = comma != NULL ? (size_t)(comma - arg) : strlen(arg), room;

    if (n >= sizeof cap)
        n = sizeof cap - 1; /* too long for a size: refused below */
    memcpy(cap, arg, n);
    cap[n] = '\0';
    if (tool_parse_size("CAPACITY", cap, &sz->capacity) != 0)
        return EXIT_USAGE;
    if (sz->capacity > (size_t)-1 - 7)
        return tool_usage_error("%s: CAPACITY: '%s' is too large", tool_cmd,
                                cap);
    room = (sz->capacity + 7) & ~(size_t)7;
    if (room < record_size(1))
        return tool_usage_error("%s: CAPACITY: '%s' leaves no room for a "
                                "message (9 bytes at least)",
                                tool_cmd, cap);
    if (comma == NULL) {
        sz->max_message = room - RECORD_HEADER;
        if (sz->max_message > DEFAULT_MAX_MESSAGE)
            sz->max_message = DEFAULT_MAX_MESSAGE;
        return 0;
    }
    if (tool_parse_size("MAX", comma + 1, &sz->max_message) != 0)
        return EXIT_USAGE;
    if (sz->max_message > room - RECORD_HEADER ||
        record_size(sz->max_message) > room)
        return tool_usage_error("%s: MAX: a message of '%s' does not fit a "
                                "CAPACITY of '%s' (each takes 8 bytes more, "
                                "rounded up to 8)",
                                tool_cmd, comma + 1, cap);
    return 0;
}

/* Reports a failed call of ch about name; returns EXIT_FAIL. */
static int chan_error(xsipc_channel *ch, const char *name)
{
    tool_name_error(name, xsipc_channel_error(ch),
                    xsipc_channel_error_string(ch));
    return EXIT_FAIL;
}

/* Makes the channel name, persistent, with the sizes of --create; 0, or
 * -1 with the handle's error (XSIPC_ALREADY_EXISTS: someone made it
 * first).  In Qt's own directory (no -r), a note says what Qt 6.6 and
 * later do to a segment no one attaches, as create's note does. */
static int create_channel(const tool *t, xsipc_channel *ch, const char *name,
                          const chan_sizes *sz)
{
    if (xsipc_channel_set_persistent(ch, 1) < 0 ||
        xsipc_channel_create(ch, sz->capacity, sz->max_message) < 0)
        return -1;
    if (t->regdir == NULL)
        fprintf(stderr,
                "xsipc: note: a Qt 6.6+ program's failed create() of \"%s\" "
                "removes this channel while nothing is attached; see "
                "xsipc(1)\n",
                tool_name(name));
    return 0;
}

/* Opens the channel of *ch, or makes it (sz->capacity != 0) when it does
 * not exist; a sender that made it meanwhile wins, and its channel is
 * opened (each try needs another sender to have raced this one).  0, or
 * -1 with the error in *ch (NULL when out of memory). */
static int open_or_create(const tool *t, xsipc_registry *reg, const char *name,
                          const chan_sizes *sz, xsipc_channel **ch)
{
    int tries;

    for (tries = 0; tries < 3; tries++) {
        if (xsipc_channel_open(*ch) == 0)
            return 0;
        if (xsipc_channel_error(*ch) != XSIPC_NOT_FOUND || sz->capacity == 0)
            return -1;
        /* A fresh handle: the failed open may have left state in this
         * one that create should not start from. */
        xsipc_channel_free(*ch);
        if ((*ch = xsipc_channel_new_in(reg, name)) == NULL)
            return -1;
        if (create_channel(t, *ch, name, sz) == 0)
            return 0;
        if (xsipc_channel_error(*ch) != XSIPC_ALREADY_EXISTS)
            return -1;
    }
    return -1;
}

/* Opens the channel name, or makes it as open_or_create.  NULL after a
 * message. */
static xsipc_channel *open_channel(const tool *t, xsipc_registry *reg,
                                   const char *name, const chan_sizes *sz)
{
    xsipc_channel *ch = xsipc_channel_new_in(reg, name);

    /* A bad name is kept in the handle: it is the error to report. */
    if (ch != NULL && xsipc_channel_error(ch) == XSIPC_NO_ERROR &&
        open_or_create(t, reg, name, sz, &ch) == 0)
        return ch;
    /* The library's message tells a segment that is no channel from a
     * lock set that has no channel's semaphores (XSIPC_INVALID_ARGUMENT
     * both). */
    if (ch == NULL)
        tool_error("out of memory");
    else
        chan_error(ch, name);
    xsipc_channel_free(ch);
    return NULL;
}

/* The largest message of an open channel; 0 after a message. */
static size_t max_message(xsipc_channel *ch, const char *name)
{
    xsipc_channel_info info;

    if (xsipc_channel_stat(ch, &info) < 0) {
        chan_error(ch, name);
        return 0;
    }
    return info.max_message;
}

/* Reports a send or recv that did not happen: a wait that ended (-w) is
 * EXIT_USAGE, as get's and put's lock wait; anything else EXIT_FAIL. */
static int wait_error(xsipc_channel *ch, const char *name, long ms,
                      const char *why)
{
    xsipc_error e = xsipc_channel_error(ch);

    if (e == XSIPC_WOULD_BLOCK) {
        tool_error("%s: \"%s\"", why, tool_name(name));
        return EXIT_USAGE;
    }
    if (e == XSIPC_TIMEOUT) {
        tool_error("gave up after %ld.%03ld s, %s: \"%s\"", ms / 1000,
                   ms % 1000, why, tool_name(name));
        return EXIT_USAGE;
    }
    return chan_error(ch, name);
}

/* Sends one message of len bytes (0 < len); EXIT_OK, or the status after
 * a message. */
static int send_one(xsipc_channel *ch, const char *name, size_t max,
                    const char *msg, size_t len, long ms)
{
    if (len > max) {
        tool_error("%zu bytes exceed the channel's largest message of %zu "
                   "bytes: \"%s\"",
                   len, max, tool_name(name));
        return EXIT_FAIL;
    }
    if (xsipc_channel_send(ch, msg, len, ms) < 0)
        return wait_error(ch, name, ms, "the channel is full");
    return EXIT_OK;
}

/* -l: each line of stdin, without its newline, as it comes; empty lines
 * are no messages (a message has one byte at least) and are skipped. */
static int send_lines(xsipc_channel *ch, const char *name, size_t max, long ms)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = EXIT_OK;

    errno = 0;
    while (rc == EXIT_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0)
            rc = send_one(ch, name, max, line, len, ms);
        errno = 0;
    }
    if (rc == EXIT_OK && ferror(stdin)) {
        tool_error("cannot read the input: %s: stdin",
                   strerror(errno ? errno : EIO));
        rc = EXIT_FAIL;
    }
    free(line);
    return rc;
}

static const tool_opt send_opts[] = {
    {"wait", 'w', "SECONDS", "give up after SECONDS waiting for room"},
    {"create", 'c', "CAPACITY[,MAX]",
     "create the channel when it does not exist"},
    {"lines", 'l', NULL, "send each line as a message (empty ones skipped)"},
    {NULL, 0, NULL, NULL}};
static const tool_command send_cmd = {
    "send",
    "NAME",
    "Send standard input as one message (-l: one per line) to the channel\n"
    "NAME.  --create makes a persistent channel of CAPACITY bytes for\n"
    "messages of MAX bytes (default: 64 KiB, or what CAPACITY leaves), sizes\n"
    "as create takes them.",
    send_opts,
    0,
    NULL};

int cmd_send(const tool *t, int argc, char **argv)
{
    chan_sizes sz = {0, 0};
    const char *name;
    xsipc_registry *reg;
    xsipc_channel *ch;
    char *data = NULL;
    size_t len = 0, max;
    long ms = -1;
    int c, lines = 0, rc = EXIT_OK;

    while ((c = tool_getopt(&send_cmd, argc, argv)) != -1) {
        if (c == 'l')
            lines = 1;
        else if (c == 'c') {
            if (parse_create(optarg, &sz) != 0)
                return EXIT_USAGE;
        } else if (c != 'w')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        else if (tool_parse_seconds("SECONDS", optarg, TOOL_MAX_SECONDS, &ms) !=
                 0)
            return EXIT_USAGE;
    }
    if (argc - optind != 1)
        return tool_usage_error("send: expected NAME");
    name = argv[optind];
    if (!lines && tool_read_all(0, &data, &len) < 0) {
        tool_error("cannot read the input: %s: stdin", strerror(errno));
        return EXIT_FAIL;
    }
    if (!lines && len == 0) {
        tool_error("no input, and a message has one byte at least: \"%s\"",
                   tool_name(name));
        free(data);
        return EXIT_FAIL;
    }
    if ((reg = tool_registry(t, 0)) == NULL) {
        free(data);
        return EXIT_FAIL;
    }
    if ((ch = open_channel(t, reg, name, &sz)) == NULL)
        rc = EXIT_FAIL;
    else {
        if ((max = max_message(ch, name)) == 0)
            rc = EXIT_FAIL;
        else if (lines)
            rc = send_lines(ch, name, max, ms);
        else
            rc = send_one(ch, name, max, data, len, ms);
    }
    free(data);
    xsipc_channel_free(ch); /* a persistent channel stays, with its queue */
    xsipc_registry_close(reg);
    return rc;
}

/* Takes count messages, each written with its terminator as it comes. */
static int recv_loop(xsipc_channel *ch, const char *name, unsigned long count,
                     long ms, char end)
{
    size_t max = max_message(ch, name), len;
    unsigned long i;
    char *buf;
    int rc = EXIT_OK;

    if (max == 0)
        return EXIT_FAIL;
    /* One byte more than the largest message, for the terminator. */
    if (max == (size_t)-1 || (buf = malloc(max + 1)) == NULL) {
        tool_error("out of memory for a message of %zu bytes: \"%s\"", max,
                   tool_name(name));
        return EXIT_FAIL;
    }
    for (i = 0; rc == EXIT_OK && i < count; i++) {
        if (xsipc_channel_recv(ch, buf, max, &len, ms) < 0) {
            rc = wait_error(ch, name, ms, "the channel is empty");
            break;
        }
        buf[len] = end;
        if (tool_write_all(1, buf, len + 1) < 0) {
            /* A reader that closed the pipe (SIGPIPE is ignored): quietly
             * 128 + SIGPIPE, as get. */
            if (errno == EPIPE)
                rc = 128 + SIGPIPE;
            else {
                tool_error("cannot write the output: %s: stdout",
                           strerror(errno));
                rc = EXIT_FAIL;
            }
        }
    }
    free(buf);
    return rc;
}

static const tool_opt recv_opts[] = {
    {"wait", 'w', "SECONDS", "give up after SECONDS waiting for a message"},
    {"count", 'n', "COUNT", "stop after COUNT messages (default 1)"},
    {"null", '0', NULL, "end each message with a NUL, not a newline"},
    {NULL, 0, NULL, NULL}};
static const tool_command recv_cmd = {
    "recv",
    "NAME",
    "Write the next message (-n: COUNT messages) of the channel NAME to\n"
    "standard output, each followed by a newline (-0: a NUL).",
    recv_opts,
    0,
    NULL};

int cmd_recv(const tool *t, int argc, char **argv)
{
    chan_sizes none = {0, 0};
    unsigned long count = 1;
    const char *name;
    xsipc_registry *reg;
    xsipc_channel *ch;
    long ms = -1;
    char end = '\n';
    int c, rc = EXIT_OK;

    while ((c = tool_getopt(&recv_cmd, argc, argv)) != -1) {
        if (c == '0')
            end = '\0';
        else if (c == 'n') {
            if (tool_parse_ulong("COUNT", optarg, 1, ULONG_MAX, &count) != 0)
                return EXIT_USAGE;
        } else if (c != 'w')
            return c == TOOL_OPT_HELP ? EXIT_OK : EXIT_USAGE;
        else if (tool_parse_seconds("SECONDS", optarg, TOOL_MAX_SECONDS, &ms) !=
                 0)
            return EXIT_USAGE;
    }
    if (argc - optind != 1)
        return tool_usage_error("recv: expected NAME");
    name = argv[optind];
    signal(SIGPIPE, SIG_IGN); /* EPIPE instead: see recv_loop */
    if ((reg = tool_registry(t, 0)) == NULL)
        return EXIT_FAIL;
    if ((ch = open_channel(t, reg, name, &none)) == NULL)
        rc = EXIT_FAIL;
    else
        rc = recv_loop(ch, name, count, ms, end);
    xsipc_channel_free(ch);
    xsipc_registry_close(reg);
    return rc;
}
