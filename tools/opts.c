/* SPDX-License-Identifier: MIT */
/*
 * opts.c -- one option table per command, as lsipc keeps them: the table
 * gives getopt_long its short and long options and prints the Options:
 * section of the command's --help, so the two cannot disagree.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "xsipc-tool.h"

#define MAX_OPTS 16

static const tool_opt help_opt = {"help", 'h', NULL, "display this help"};

/* getopt's arrays for one table; a process runs one command, so the
 * arrays are built once, for the table seen first after a change. */
static const tool_command *built;
static struct option longopts[MAX_OPTS + 2];
static char shortopts[3 * MAX_OPTS + 4];

static void build(const tool_command *cmd)
{
    const tool_opt *o = cmd->opts;
    size_t n = 0, s = 0;

    if (cmd->in_order)
        shortopts[s++] = '+'; /* else GNU getopt permutes */
    shortopts[s++] = ':';     /* a missing argument returns ':' */
    for (; o != NULL && o->name != NULL && n < MAX_OPTS; o++, n++) {
        longopts[n].name = o->name;
        longopts[n].has_arg = o->arg != NULL ? required_argument : no_argument;
        longopts[n].flag = NULL;
        longopts[n].val = o->letter;
        if (o->letter < 256) {
            shortopts[s++] = (char)o->letter;
            if (o->arg != NULL)
                shortopts[s++] = ':';
        }
    }
    longopts[n].name = help_opt.name;
    longopts[n].has_arg = no_argument;
    longopts[n].flag = NULL;
    longopts[n].val = 'h';
    memset(&longopts[n + 1], 0, sizeof longopts[n + 1]);
    shortopts[s++] = 'h';
    shortopts[s] = '\0';
    built = cmd;
}

/* The word getopt refused: a long option ("--name"), else "". */
static const char *long_word(char **argv)
{
    const char *w = optind > 0 ? argv[optind - 1] : "";
    return strncmp(w, "--", 2) == 0 ? w : "";
}

int tool_getopt(const tool_command *cmd, int argc, char **argv)
{
    const char *cname = cmd->name != NULL ? cmd->name : "";
    const char *sep = cmd->name != NULL ? ": " : "";
    int c;

    if (built != cmd)
        build(cmd);
    opterr = 0; /* our messages, which start with "xsipc: " */
    c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c == 'h') {
        tool_help(cmd, stdout);
        return TOOL_OPT_HELP;
    }
    if (c == ':' && *long_word(argv))
        tool_usage_error("%s%soption '%s' requires an argument", cname, sep,
                         long_word(argv));
    else if (c == ':')
        tool_usage_error("%s%soption requires an argument -- '%c'", cname, sep,
                         optopt);
    else if (c == '?' && *long_word(argv))
        tool_usage_error("%s%sunrecognized option '%s'", cname, sep,
                         long_word(argv));
    else if (c == '?')
        tool_usage_error("%s%sinvalid option -- '%c'", cname, sep, optopt);
    else
        return c;
    return TOOL_OPT_BAD;
}

static void help_line(const tool_opt *o, FILE *out)
{
    char left[64];
    int n;

    if (o->letter < 256)
        n = snprintf(left, sizeof left, " -%c, --%s", o->letter, o->name);
    else
        n = snprintf(left, sizeof left, "     --%s", o->name);
    if (o->arg != NULL && n > 0 && (size_t)n < sizeof left)
        snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
    /* An option too wide for its column has its help on the next line,
     * in the column, as GNU tools print it. */
    if (strlen(left) > 26)
        fprintf(out, "%s\n%-26s %s\n", left, "", o->help);
    else
        fprintf(out, "%-26s %s\n", left, o->help);
}

void tool_help(const tool_command *cmd, FILE *out)
{
    const tool_opt *o;

    fputs("Usage:\n xsipc ", out);
    if (cmd->name != NULL)
        fprintf(out, "%s ", cmd->name);
    fprintf(out, "[options]%s%s\n\n%s\n\nOptions:\n", *cmd->args ? " " : "",
            cmd->args, cmd->summary);
    for (o = cmd->opts; o != NULL && o->name != NULL; o++)
        help_line(o, out);
    fputc('\n', out);
    help_line(&help_opt, out);
    if (cmd->extra != NULL)
        cmd->extra(out);
    fputs("\nFor more details see xsipc(1).\n", out);
}

void tool_help_columns(const table_col *cols, const char *const *help, size_t n,
                       FILE *out)
{
    size_t i;

    fputs("\nAvailable output columns:\n", out);
    for (i = 0; i < n; i++)
        fprintf(out, " %11s  %s\n", cols[i].name, help[i]);
}
