/* SPDX-License-Identifier: MIT */
/*
 * quote.c -- names and paths as a message shows them.
 *
 * A name comes from a caller and a path from the file system: either may
 * hold control characters, malformed UTF-8 or thousands of bytes.  What a
 * message shows of one is escaped -- no control character reaches a log or
 * a terminal raw -- and bounded, its middle cut with "..." so that its
 * start and its end both stay (status.c puts the result in its place).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "common/status.h"

/*
 * Length of the well-formed UTF-8 sequence at p (Unicode 3.9, table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or 0.  A C1
 * control (U+0080..U+009F) counts as malformed: terminals act on it.
 */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        need = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        need = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        need = 4;
    else
        return 0;
    if (p[0] == 0xc2)
        lo = 0xa0;
    else if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    /* The terminating NUL fails every test below, so no byte past it is
     * read. */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < need; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return need;
}

/* The character at p as a message shows it: in piece (NUL-terminated, at
 * most 4 bytes of escape or of UTF-8), its length returned, the bytes of
 * p it stands for in *used. */
static size_t quote_char(const unsigned char *p, char piece[8], size_t *used)
{
    size_t k = utf8_len(p);

    if (k == 0 || p[0] < 0x20 || p[0] == 0x7f) {
        (void)snprintf(piece, 8, "\\x%02x", p[0]);
        *used = 1;
        return 4;
    }
    *used = k;
    if (p[0] == '"' || p[0] == '\\') {
        piece[0] = '\\';
        piece[1] = (char)p[0];
        piece[2] = '\0';
        return 2;
    }
    memcpy(piece, p, k);
    piece[k] = '\0';
    return k;
}

const char *xsipc__status_quote(const char *s, size_t head, size_t tail,
                                char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t total = 0, seen = 0, pos = 0, i, k, w;
    char piece[8];

    if (buf == NULL || len == 0)
        return "";
    buf[0] = '\0';
    if (s == NULL || len < 4)
        return buf;
    for (i = 0; p[i] != '\0'; i += k)
        total += quote_char(p + i, piece, &k);
    if (total <= head + 3 + tail && total < len) {
        head = total; /* all of it fits */
    } else {
        /* The buffer bounds the result too: head first, then tail. */
        if (head > len - 4)
            head = len - 4;
        if (tail > len - 4 - head)
            tail = len - 4 - head;
    }
    /* Whole characters only: an escape or a UTF-8 sequence is never cut. */
    for (i = 0; p[i] != '\0'; i += k) {
        w = quote_char(p + i, piece, &k);
        if (seen + w > head)
            break;
        memcpy(buf + pos, piece, w);
        pos += w;
        seen += w;
    }
    if (p[i] != '\0') {
        memcpy(buf + pos, "...", 3);
        pos += 3;
        /* Skip the middle: what remains after it shows in tail bytes. */
        for (; p[i] != '\0' && total - seen > tail; i += k)
            seen += quote_char(p + i, piece, &k);
        for (; p[i] != '\0'; i += k) {
            w = quote_char(p + i, piece, &k);
            memcpy(buf + pos, piece, w);
            pos += w;
        }
    }
    buf[pos] = '\0';
    return buf;
}

const char *xsipc__status_name(const char *name, char buf[XSIPC__NAME_BUF])
{
    return xsipc__status_quote(name, XSIPC__NAME_HEAD, XSIPC__NAME_TAIL, buf,
                               XSIPC__NAME_BUF);
}
