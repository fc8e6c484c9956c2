/* SPDX-License-Identifier: MIT */
/*
 * table.c -- column output as lsipc prints it (UPPERCASE headings, numbers
 * right-aligned, the last column unpadded, rows in a stable order) and the
 * --json form {"key": [ {"lowercase column": value}, ... ]}, one JSON type
 * per member: numbers as numbers, null for what is absent.
 *
 * Names are bytes chosen by whoever made them.  In a table they are shown
 * as libsmartcols shows them: a control character, a backslash, a byte
 * that is no character of the locale's encoding, and a character that is
 * not printable become \xHH, one per byte, so a name cannot move the
 * cursor or pass for another.  Widths are in display cells (wcwidth of
 * each character, as mbrtowc reads them under LC_CTYPE); in a single-byte
 * locale one byte is one cell, and a byte isprint refuses (in C, every
 * byte above 0x7f) is escaped.  JSON gives the name itself, escaped as
 * JSON wants (a quote, a backslash, control characters as \u00XX), with
 * U+FFFD for a byte that is not part of valid UTF-8 (JSON text is UTF-8).
 */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

#include "xsipc-tool.h"

void *tool_grow(void *array, size_t *cap, size_t n, size_t size, size_t first)
{
    size_t more = *cap ? *cap * 2 : first;
    void *grown;

    if (n < *cap)
        return array;
    if (more < *cap || (size != 0 && more > SIZE_MAX / size))
        return NULL;
    if ((grown = realloc(array, more * size)) == NULL)
        return NULL;
    *cap = more;
    return grown;
}

void table_init(table *t, const table_col *cols, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
}

long table_add_row(table *t)
{
    char **cells;
    size_t i;

    cells =
        tool_grow(t->cells, &t->cap, t->nrows, t->ncols * sizeof *cells, 16);
    if (cells == NULL)
        return -1;
    t->cells = cells;
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

/* Appends the \xHH form of n bytes at p to out (room: 4 per byte). */
static size_t hex_bytes(const char *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = hex[c >> 4];
        out[o++] = hex[c & 15];
    }
    return o;
}

char *table_escape(const char *s, size_t *width)
{
    size_t len = strlen(s), o = 0, w = 0;
    char *out = malloc(len * 4 + 1);
    mbstate_t ps;

    if (out == NULL)
        return NULL;
    memset(&ps, 0, sizeof ps);
    while (*s != '\0') {
        unsigned char c = (unsigned char)*s;
        wchar_t wc;
        size_t n;
        int cw;
        if (c < 0x20 || c == 0x7f || c == '\\') {
            o += hex_bytes(s, 1, out + o);
            w += 4;
            s++;
            continue;
        }
        if (c < 0x80 || (MB_CUR_MAX == 1 && isprint(c))) {
            out[o++] = *s++; /* a byte is a cell */
            w++;
            continue;
        }
        if (MB_CUR_MAX == 1) {
            o += hex_bytes(s++, 1, out + o); /* C: no byte above 0x7f */
            w += 4;
            continue;
        }
        n = mbrtowc(&wc, s, strlen(s), &ps);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            memset(&ps, 0, sizeof ps); /* not a character: this byte */
            o += hex_bytes(s, 1, out + o);
            w += 4;
            s++;
            continue;
        }
        if (!iswprint((wint_t)wc) || (cw = wcwidth(wc)) < 0) {
            o += hex_bytes(s, n, out + o);
            w += 4 * n;
        } else {
            memcpy(out + o, s, n);
            o += n;
            w += (size_t)cw;
        }
        s += n;
    }
    out[o] = '\0';
    if (width != NULL)
        *width = w;
    return out;
}

/* qsort has no argument for its comparison: the table being sorted. */
static const table *sorting;

/* Orders two rows (pointers to their first cells) by the sort columns'
 * cells, as strcmp does (bytes, not collation: the same order in every
 * locale), an absent cell after every present one. */
static int compare_rows(const void *a, const void *b)
{
    char *const *ra = *(char **const *)a, *const *rb = *(char **const *)b;
    size_t i;

    for (i = 0; i < sorting->nsort; i++) {
        const char *x = ra[sorting->sort[i]], *y = rb[sorting->sort[i]];
        int d;
        if (x == NULL || y == NULL) {
            if (x != y)
                return x == NULL ? 1 : -1;
            continue;
        }
        if ((d = strcmp(x, y)) != 0)
            return d;
    }
    return 0;
}

void table_sort_by(table *t, const size_t *cols, size_t n)
{
    size_t i;

    for (i = 0; i < n && i < sizeof t->sort / sizeof t->sort[0]; i++)
        t->sort[i] = cols[i];
    t->nsort = i;
}

/* Sorts the rows by the table's sort columns; -1 when out of memory. */
static int sort_rows(table *t)
{
    size_t r, rowlen = t->ncols * sizeof *t->cells;
    char ***rows;
    char **cells;

    if (t->nsort == 0 || t->nrows < 2)
        return 0;
    rows = malloc(t->nrows * sizeof *rows);
    cells = malloc(t->nrows * rowlen);
    if (rows == NULL || cells == NULL) {
        free(rows);
        free(cells);
        return -1;
    }
    for (r = 0; r < t->nrows; r++)
        rows[r] = t->cells + r * t->ncols;
    sorting = t;
    qsort(rows, t->nrows, sizeof *rows, compare_rows);
    for (r = 0; r < t->nrows; r++)
        memcpy(cells + r * t->ncols, rows[r], rowlen);
    free(rows);
    free(t->cells);
    t->cells = cells;
    t->cap = t->nrows;
    return 0;
}

static const char *cell(const table *t, size_t row, size_t col)
{
    const char *s = t->cells[row * t->ncols + col];
    return s != NULL ? s : "-";
}

/* The length of a cell that JSON shows as a number: an optional '-',
 * digits, an optional fraction, and an optional '%' that JSON drops (the
 * number is the percentage); 0 when the cell is no number. */
static size_t number_length(const char *s)
{
    const char *p = s;

    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)p[1]))
            return 0;
        for (p++; isdigit((unsigned char)*p);)
            p++;
    }
    if ((*p == '%' && p[1] == '\0') || *p == '\0')
        return (size_t)(p - s);
    return 0;
}

/* The length of the valid UTF-8 sequence at s (not an overlong form, a
 * surrogate or beyond U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *s)
{
    size_t n, i;
    uint32_t cp;

    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    cp = s[0] & (0x7f >> n);
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

static void json_string(const char *str, FILE *out)
{
    const unsigned char *s = (const unsigned char *)str;

    fputc('"', out);
    while (*s != '\0') {
        size_t n;
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s++);
        else if (*s < 0x20)
            fprintf(out, "\\u%04x", *s++);
        else if (*s < 0x80)
            fputc(*s++, out);
        else if ((n = utf8_length(s)) > 0) {
            fwrite(s, 1, n, out);
            s += n;
        } else {
            fputs("\\ufffd", out); /* not UTF-8: JSON cannot carry it */
            s++;
        }
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
            const char *v = t->cells[r * t->ncols + sel[i]];
            const char *p;
            size_t n;
            fputs("         \"", out);
            for (p = c->name; *p; p++)
                fputc(tolower((unsigned char)*p), out);
            fputs("\": ", out);
            /* A number column holds numbers or nothing: one JSON type. */
            if (v == NULL || (c->numeric && (n = number_length(v)) == 0))
                fputs("null", out);
            else if (c->numeric)
                fwrite(v, 1, n, out);
            else
                json_string(v, out);
            fputs(i + 1 < nsel ? ",\n" : "\n", out);
        }
        fputs("      }", out);
    }
    fputs(t->nrows ? "\n   ]\n}\n" : "]\n}\n", out);
}

static void pad(size_t n, FILE *out)
{
    while (n-- > 0)
        fputc(' ', out);
}

/* Prints the text table: every cell escaped, widths in display cells. */
static int print_text(const table *t, const size_t *sel, size_t nsel,
                      int noheadings, FILE *out)
{
    size_t n = (t->nrows + 1) * nsel, width[32], r, i;
    char **shown = calloc(n ? n : 1, sizeof *shown);
    size_t *w = calloc(n ? n : 1, sizeof *w);
    int rc = 0;

    if (shown == NULL || w == NULL)
        rc = -1;
    for (r = 0; rc == 0 && r <= t->nrows; r++) {
        for (i = 0; i < nsel; i++) {
            const char *v =
                r == 0 ? t->cols[sel[i]].name : cell(t, r - 1, sel[i]);
            if ((shown[r * nsel + i] = table_escape(v, &w[r * nsel + i])) ==
                NULL) {
                rc = -1;
                break;
            }
        }
    }
    for (i = 0; rc == 0 && i < nsel; i++) {
        width[i] = 0;
        for (r = noheadings ? 1 : 0; r <= t->nrows; r++)
            if (w[r * nsel + i] > width[i])
                width[i] = w[r * nsel + i];
    }
    for (r = noheadings ? 1 : 0; rc == 0 && r <= t->nrows; r++) {
        for (i = 0; i < nsel; i++) {
            size_t k = r * nsel + i, room = width[i] - w[k];
            if (i > 0)
                fputc(' ', out);
            if (t->cols[sel[i]].right)
                pad(room, out);
            fputs(shown[k], out);
            if (!t->cols[sel[i]].right && i + 1 < nsel)
                pad(room, out);
        }
        fputc('\n', out);
    }
    for (r = 0; shown != NULL && r < n; r++)
        free(shown[r]);
    free(shown);
    free(w);
    return rc;
}

int table_print(table *t, const table_opts *o, const char *key, FILE *out)
{
    size_t all[32], nsel = o->nsel, i;
    const size_t *sel = o->sel;

    if (sort_rows(t) < 0)
        return -1;
    if (nsel == 0) {
        for (i = 0; i < t->ncols && i < 32; i++)
            all[i] = i;
        sel = all;
        nsel = i;
    }
    if (o->json) {
        print_json(t, sel, nsel, key, out);
        return 0;
    }
    return print_text(t, sel, nsel, o->noheadings, out);
}

void table_free(table *t)
{
    size_t i;

    for (i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
