/* SPDX-License-Identifier: MIT */
/*
 * table.c -- column output as lsipc prints it (UPPERCASE headings, numbers
 * right-aligned, the last column unpadded) and the --json form
 * {"key": [ {"lowercase column": value}, ... ]}, numbers as numbers.
 */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xsipc-tool.h"

void table_init(table *t, const table_col *cols, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
}

long table_add_row(table *t)
{
    size_t i;

    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (cells == NULL)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    for (i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = NULL;
    return (long)t->nrows++;
}

int table_set(table *t, long row, size_t col, const char *fmt, ...)
{
    char **cell = &t->cells[(size_t)row * t->ncols + col];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    free(*cell);
    if ((*cell = malloc((size_t)n + 1)) == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(*cell, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return 0;
}

/* Refuses a column of an -o LIST, naming those there are. */
static int bad_column(const table *t, const char *p, size_t len)
{
    char names[512];
    size_t i, n = 0;

    names[0] = '\0';
    for (i = 0; i < t->ncols && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s",
                              i ? ", " : "", t->cols[i].name);
    if (len == 0)
        return tool_usage_error("empty column name in the list; the columns "
                                "are %s",
                                names);
    return tool_usage_error("unknown column '%.*s'; the columns are %s",
                            (int)len, p, names);
}

int table_select(const table *t, const char *list, table_opts *o)
{
    const char *p = list;

    o->nsel = 0;
    if (*p == '\0')
        return bad_column(t, p, 0);
    for (;;) {
        size_t len = strcspn(p, ","), i;
        for (i = 0; i < t->ncols; i++)
            if (len > 0 && strlen(t->cols[i].name) == len &&
                strncasecmp(t->cols[i].name, p, len) == 0)
                break;
        if (i == t->ncols)
            return bad_column(t, p, len);
        if (o->nsel == sizeof o->sel / sizeof o->sel[0])
            return tool_usage_error("too many columns: %s", list);
        o->sel[o->nsel++] = i;
        p += len;
        if (*p == '\0')
            break;
        p++; /* the comma; an item must follow it */
    }
    return 0;
}

static const char *cell(const table *t, size_t row, size_t col)
{
    const char *s = t->cells[row * t->ncols + col];
    return s != NULL ? s : "-";
}

/* A cell that JSON shows as a number: an optional '-' and digits. */
static int is_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static void json_string(const char *s, FILE *out)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void print_json(const table *t, const size_t *sel, size_t nsel,
                       const char *key, FILE *out)
{
    size_t r, i;

    fprintf(out, "{\n   \"%s\": [", key);
    for (r = 0; r < t->nrows; r++) {
        fputs(r ? ",\n      {\n" : "\n      {\n", out);
        for (i = 0; i < nsel; i++) {
            const table_col *c = &t->cols[sel[i]];
            const char *v = cell(t, r, sel[i]);
            const char *p;
            fputs("         \"", out);
            for (p = c->name; *p; p++)
                fputc(tolower((unsigned char)*p), out);
            fputs("\": ", out);
            if (t->cells[r * t->ncols + sel[i]] == NULL)
                fputs("null", out);
            else if (c->numeric && is_number(v))
                fputs(v, out);
            else
                json_string(v, out);
            fputs(i + 1 < nsel ? ",\n" : "\n", out);
        }
        fputs("      }", out);
    }
    fputs(t->nrows ? "\n   ]\n}\n" : "]\n}\n", out);
}

void table_print(const table *t, const table_opts *o, const char *key,
                 FILE *out)
{
    size_t all[32], nsel = o->nsel, width[32], r, i;
    const size_t *sel = o->sel;

    if (nsel == 0) {
        for (i = 0; i < t->ncols && i < 32; i++)
            all[i] = i;
        sel = all;
        nsel = i;
    }
    if (o->json) {
        print_json(t, sel, nsel, key, out);
        return;
    }
    for (i = 0; i < nsel; i++) {
        width[i] = o->noheadings ? 0 : strlen(t->cols[sel[i]].name);
        for (r = 0; r < t->nrows; r++) {
            size_t w = strlen(cell(t, r, sel[i]));
            if (w > width[i])
                width[i] = w;
        }
    }
    for (r = o->noheadings ? 1 : 0; r <= t->nrows; r++) {
        for (i = 0; i < nsel; i++) {
            const table_col *c = &t->cols[sel[i]];
            const char *v = r == 0 ? c->name : cell(t, r - 1, sel[i]);
            int last = i + 1 == nsel;
            if (i > 0)
                fputc(' ', out);
            if (c->right)
                fprintf(out, "%*s", (int)width[i], v);
            else if (last)
                fputs(v, out);
            else
                fprintf(out, "%-*s", (int)width[i], v);
        }
        fputc('\n', out);
    }
}

void table_free(table *t)
{
    size_t i;

    for (i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
