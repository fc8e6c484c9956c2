/* SPDX-License-Identifier: MIT */
/*
 * main.c -- the xsipc command: global options, the usage text, and the
 * dispatch to one function per command (cmd_*.c).  Shared helpers for
 * messages, the registry, whole reads and writes and human sizes live
 * here too.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsipc-tool.h"

const char *tool_cmd;

void tool_error(const char *fmt, ...)
{
    va_list ap;

    fputs("xsipc: ", stderr);
    if (tool_cmd != NULL)
        fprintf(stderr, "%s: ", tool_cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int tool_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("xsipc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'xsipc --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

const char *tool_name(const char *name)
{
    static char buf[1024];
    char *shown;

    if ((shown = table_escape(name, NULL)) == NULL)
        return "(out of memory)";
    snprintf(buf, sizeof buf, "%s", shown);
    free(shown);
    return buf;
}

const char *tool_strip_op(const char *text)
{
    size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz_");

    if (strncmp(text, "xsipc_", 6) == 0 && strncmp(text + n, ": ", 2) == 0)
        return text + n + 2;
    return text;
}

void tool_name_error(const char *name, int code, const char *text)
{
    const char *s = text != NULL ? tool_strip_op(text) : "";

    /* The library's text is "CAUSE: OBJECT" already, the object (the
     * name, its key file) last and shortened in the middle when long. */
    if (code == XSIPC_NOT_FOUND)
        tool_error("no such name: \"%s\"", tool_name(name));
    else if (*s != '\0')
        tool_error("%s", s);
    else
        tool_error("%s: \"%s\"", xsipc_strerror((xsipc_error)code),
                   tool_name(name));
    /* A key file whose record does not parse helps no one: say how it
     * goes (the message above named the file). */
    if (code == XSIPC_KEY_ERROR && strstr(s, "bad record") != NULL)
        fprintf(stderr,
                "xsipc: hint: xsipc rm --force \"%s\" removes that key file "
                "when no object is at its key\n",
                tool_name(name));
}

void tool_owner_died(const char *name, const char *more)
{
    tool_error("the previous holder died holding the lock, what it guards "
               "may be half-written%s: \"%s\"",
               more, tool_name(name));
}

xsipc_registry *tool_registry(const tool *t, unsigned flags)
{
    xsipc_status st;
    xsipc_registry *reg = xsipc_registry_open(t->regdir, flags, &st);

    if (reg == NULL)
        tool_error("%s", st.text[0] ? tool_strip_op(st.text)
                                    : xsipc_strerror(st.code));
    return reg;
}

int tool_read_all(int fd, char **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);

    if (buf == NULL)
        return -1;
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *more = cap > (size_t)-1 / 2 ? NULL : realloc(buf, cap * 2);
            if (more == NULL) {
                free(buf);
                errno = ENOMEM;
                return -1;
            }
            buf = more;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            free(buf);
            errno = saved;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *data = buf;
    *len = n;
    return 0;
}

int tool_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

void tool_human_size(unsigned long long n, char *buf, size_t len)
{
    static const char units[] = "BKMGTPE";
    unsigned long long whole = n, rest = 0;
    int u = 0;

    while (whole >= 1024 && units[u + 1] != '\0') {
        rest = whole % 1024;
        whole /= 1024;
        u++;
    }
    /* One decimal, rounded, as lsipc; none when it is 0. */
    rest = (rest * 10 + 512) / 1024;
    if (rest >= 10) {
        whole++;
        rest = 0;
    }
    if (rest == 0 || whole >= 10)
        snprintf(buf, len, "%llu%c", whole, units[u]);
    else
        snprintf(buf, len, "%llu.%llu%c", whole, rest, units[u]);
}

static const struct command {
    const char *name;
    int (*fn)(const tool *t, int argc, char **argv);
    const char *summary;
} commands[] = {
    {"key", cmd_key, "key files and keys of NAME"},
    {"ls", cmd_ls, "list the registry"},
    {"info", cmd_info, "details of NAME's objects"},
    {"create", cmd_create, "make a persistent segment"},
    {"put", cmd_put, "copy FILE or stdin into NAME"},
    {"get", cmd_get, "copy NAME to stdout or FILE"},
    {"rm", cmd_rm, "remove NAME's objects and key files"},
    {"gc", cmd_gc, "remove what is provably dead"},
    {"lock", cmd_lock, "run COMMAND holding NAME's lock"},
    {"sem", cmd_sem, "use a QSystemSemaphore"},
    {"send", cmd_send, "send stdin to the channel NAME"},
    {"recv", cmd_recv, "write NAME's next messages to stdout"},
    {"limits", cmd_limits, "System V limits and use"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void commands_help(FILE *out)
{
    size_t i;

    fputs("\nCommands:\n", out);
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(out, " %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\nEach command takes --help.\n", out);
}

static const tool_opt main_opts[] = {
    {"registry", 'r', "DIR",
     "the registry directory (default: $TMPDIR, "
     "else /tmp)"},
    {"version", 'V', NULL, "display version"},
    {NULL, 0, NULL, NULL}};

static const tool_command main_cmd = {
    NULL,
    "<command> [arguments]",
    "Named System V shared memory and semaphores, as Qt's QSharedMemory\n"
    "and QSystemSemaphore name them.",
    main_opts,
    1,
    commands_help};

int main(int argc, char **argv)
{
    tool t = {NULL};
    size_t i;
    int c;

    /* Character classes and widths of names in tables; numbers and
     * messages stay as in the C locale. */
    setlocale(LC_CTYPE, "");
    /* In order: stop at the command, whose options are its own. */
    while ((c = tool_getopt(&main_cmd, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            t.regdir = optarg;
            break;
        case 'V':
            printf("xsipc %s\n", xsipc_version());
            return EXIT_OK;
        case TOOL_OPT_HELP:
            return EXIT_OK;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return tool_usage_error("no command given");
    for (i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[optind], commands[i].name) == 0) {
            int rc;
            char **sub = argv + optind;
            int subc = argc - optind;
            optind = 0; /* glibc: a full reset for the command's options */
            tool_cmd = commands[i].name; /* failures say which command */
            rc = commands[i].fn(&t, subc, sub);
            if (fflush(stdout) != 0 && rc == EXIT_OK) {
                tool_error("write error: %s", strerror(errno));
                rc = EXIT_FAIL;
            }
            return rc;
        }
    }
    return tool_usage_error("unknown command '%s'", argv[optind]);
}
