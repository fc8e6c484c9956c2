/* SPDX-License-Identifier: MIT */
/*
 * parse.c -- the numbers of the command line, parsed strictly in one
 * place: counts, seconds and sizes.  strtod and strtoul are not used
 * alone because they take what a number on a command line should not be
 * ("nan", "inf", hexadecimal, leading blanks, a minus that wraps), so
 * these parsers read digits themselves and check every bound.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xsipc-tool.h"

/* A usage error about the number what of the running command:
 * "xsipc: CMD: WHAT: ..." and the Try line; returns EXIT_USAGE. */
static int refuse(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(const char *what, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (tool_cmd != NULL)
        return tool_usage_error("%s: %s: %s", tool_cmd, what, why);
    return tool_usage_error("%s: %s", what, why);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the digits at *p into *n and leaves *p after them; -1 when there
 * are none, -2 when they overflow (*n is then the largest value). */
static int digits(const char **p, unsigned long long *n)
{
    const char *s = *p;
    int r = 0;

    *n = 0;
    if (!is_digit(*s))
        return -1;
    for (; is_digit(*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*n > (~0ULL - d) / 10) {
            *n = ~0ULL;
            r = -2;
        } else if (r == 0)
            *n = *n * 10 + d;
    }
    *p = s;
    return r;
}

int tool_parse_ulong(const char *what, const char *s, unsigned long min,
                     unsigned long max, unsigned long *out)
{
    unsigned long long n;
    const char *p = s;
    int r = digits(&p, &n);

    if (r == -1 || (r == 0 && *p != '\0'))
        return refuse(what, "'%s' is not a decimal number", s);
    if (r == -2 || n < min || n > max)
        return refuse(what, "'%s' is out of range (%lu to %lu)", s, min, max);
    *out = (unsigned long)n;
    return 0;
}

/* Reads an optional ".digits" into a fraction num/den (den a power of
 * ten, at most 10^9: more digits are ignored, not rounded). */
static int fraction(const char **p, unsigned long long *num,
                    unsigned long long *den)
{
    const char *s = *p;

    *num = 0;
    *den = 1;
    if (*s != '.')
        return 0;
    s++;
    if (!is_digit(*s))
        return -1;
    for (; is_digit(*s); s++)
        if (*den < 1000000000ULL) {
            *num = *num * 10 + (unsigned long long)(*s - '0');
            *den *= 10;
        }
    *p = s;
    return 0;
}

int tool_parse_seconds(const char *what, const char *s, long max_s, long *ms)
{
    unsigned long long whole, num, den;
    const char *p = s;
    int r = digits(&p, &whole);

    if (r == -1 || fraction(&p, &num, &den) < 0 || *p != '\0')
        return refuse(what,
                      "'%s' is not a number of seconds (digits and an optional "
                      "decimal fraction)",
                      s);
    if (whole > (unsigned long long)max_s ||
        (whole == (unsigned long long)max_s && num > 0))
        return refuse(what, "'%s' is out of range (0 to %ld seconds)", s,
                      max_s);
    *ms = (long)(whole * 1000 + (num * 1000 + den / 2) / den);
    return 0;
}

/* The multiplier of a size's unit; 0 when the unit is not one. */
static unsigned long long unit(const char *u)
{
    static const char letters[] = "KMGT";
    const char *l;
    unsigned long long base, m = 1;
    size_t i, n;

    if (*u == '\0')
        return 1;
    if ((l = strchr(letters, u[0] & ~0x20)) == NULL || u[0] == '\0')
        return 0;
    if (u[1] == '\0' || strcasecmp(u + 1, "iB") == 0)
        base = 1024;
    else if (strcasecmp(u + 1, "B") == 0)
        base = 1000;
    else
        return 0;
    n = (size_t)(l - letters) + 1;
    for (i = 0; i < n; i++)
        m *= base;
    return m;
}

int tool_parse_size(const char *what, const char *s, size_t *out)
{
    unsigned long long whole, num, den, mult, bytes;
    const char *p = s;
    int r = digits(&p, &whole);

    if (r == -1 || fraction(&p, &num, &den) < 0 || (mult = unit(p)) == 0)
        return refuse(what,
                      "'%s' is not a size (bytes, or a number with K, M, G, T, "
                      "KiB..TiB or KB..TB)",
                      s);
    if (den > 1 && mult == 1)
        return refuse(what, "'%s': a fraction of a byte needs a unit", s);
    if (r == -2 || whole > ~0ULL / mult)
        return refuse(what, "'%s' is too large", s);
    bytes = whole * mult;
    /* num / den < 1 and mult <= 2^40: num * (mult / den) cannot overflow
     * when mult is divided first; den divides 10^9, mult need not. */
    if (den > 1) {
        unsigned long long part = mult / den * num + mult % den * num / den;
        if (bytes > ~0ULL - part)
            return refuse(what, "'%s' is too large", s);
        bytes += part;
    }
    if (bytes == 0)
        return refuse(what, "'%s' is zero bytes", s);
    if (bytes > (unsigned long long)(size_t)-1)
        return refuse(what, "'%s' is too large", s);
    *out = (size_t)bytes;
    return 0;
}
