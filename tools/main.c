/* SPDX-License-Identifier: MIT */
/*
 * main.c -- the xsipc command: global options, the usage text, and the
 * dispatch to one function per command (cmd_*.c).  Shared helpers for
 * messages, the registry and sizes live here too.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsipc-tool.h"

static void usage(FILE *out)
{
    fputs("Usage:\n"
          " xsipc [options] <command> [arguments]\n"
          "\n"
          "Named System V shared memory and semaphores, as Qt's "
          "QSharedMemory\nand QSystemSemaphore name them.\n"
          "\n"
          "Commands:\n"
          " key NAME... [--create]          key files and keys of NAME\n"
          " ls [--json] [-b] [-o LIST] [-n] [--all]\n"
          "                                 list the registry\n"
          " info NAME                       details of NAME's objects\n"
          " create NAME SIZE [--mode 0660]  make a persistent segment\n"
          " put NAME [FILE] [-w SECONDS]    copy FILE or stdin into NAME\n"
          " get NAME [-o FILE] [-w SECONDS]\n"
          "                                 copy NAME to stdout or FILE\n"
          " rm NAME...                      remove NAME's objects and key "
          "files\n"
          " gc [--dry-run] [--now]          remove what is provably dead\n"
          " lock NAME [-w SECONDS] [--] COMMAND [ARG...]\n"
          "                                 run COMMAND holding NAME's lock\n"
          " sem NAME acquire|release [N]|value [--create INITIAL]\n"
          "                                 use a QSystemSemaphore\n"
          " limits [--json] [-b] [-n]       System V limits and use\n"
          "\n"
          "Options:\n"
          " -r, --registry DIR  the registry directory (default: $TMPDIR, "
          "else /tmp)\n"
          " -h, --help          display this help\n"
          " -V, --version       display version\n"
          "\n"
          "Available ls columns (for -o):\n"
          " NAME KIND KEY ID SIZE NATTCH OWNER PERMS CPID STATUS\n"
          "\n"
          "For more details see xsipc(1).\n",
          out);
}

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

int tool_bad_option(char **argv)
{
    if (optopt != 0)
        return tool_usage_error("invalid option or missing argument -- '%c'",
                                optopt);
    return tool_usage_error("unrecognized option '%s'", argv[optind - 1]);
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

int tool_parse_size(const char *s, size_t *out)
{
    unsigned long long n, mult = 1;
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 'K':
    case 'k':
        mult = 1024ULL;
        break;
    case 'M':
        mult = 1024ULL * 1024;
        break;
    case 'G':
        mult = 1024ULL * 1024 * 1024;
        break;
    default:
        return -1;
    }
    if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "iB") != 0)
        return -1;
    if (n > (unsigned long long)(size_t)-1 / mult)
        return -1;
    *out = (size_t)(n * mult);
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
} commands[] = {
    {"key", cmd_key},       {"ls", cmd_ls},         {"info", cmd_info},
    {"create", cmd_create}, {"put", cmd_put},       {"get", cmd_get},
    {"rm", cmd_rm},         {"gc", cmd_gc},         {"lock", cmd_lock},
    {"sem", cmd_sem},       {"limits", cmd_limits},
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"registry", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    tool t = {NULL};
    size_t i;
    int c;

    /* Character classes and widths of names in tables; numbers and
     * messages stay as in the C locale. */
    setlocale(LC_CTYPE, "");
    opterr = 0; /* our messages, which start with "xsipc: " */
    /* "+": stop at the command, whose options are its own. */
    while ((c = getopt_long(argc, argv, "+r:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            t.regdir = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            printf("xsipc %s\n", xsipc_version());
            return EXIT_OK;
        default:
            return tool_bad_option(argv);
        }
    }
    if (optind >= argc)
        return tool_usage_error("no command given");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
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
