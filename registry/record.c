/* SPDX-License-Identifier: MIT */
/*
 * record.c -- parsing and writing the record of a key file (record.h).
 *
 * Whatever is in a key file came from the file system, where anyone who
 * could write the file may have put anything: the parser trusts no byte of
 * it.  It walks a cursor that never passes the end it was given, accepts
 * exactly one spelling of each field (so a record has one meaning, and
 * format(parse(x)) == x), and tells a record cut short, which a writer may
 * still be finishing, from one that can never become valid.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "registry/record.h"

/* Parse steps return 0, XSIPC__REC_TRUNCATED or XSIPC__REC_BAD. */
typedef struct cursor {
    const unsigned char *p;
    const unsigned char *end;
    const char *why;
} cursor;

static int fail(cursor *c, int rc, const char *why)
{
    c->why = why;
    return rc;
}

/* The literal s, byte for byte; running out of input inside it is a
 * truncation, a different byte is not a record. */
static int literal(cursor *c, const char *s, const char *what)
{
    for (; *s != '\0'; s++, c->p++) {
        if (c->p == c->end)
            return fail(c, XSIPC__REC_TRUNCATED, what);
        if (*c->p != (unsigned char)*s)
            return fail(c, XSIPC__REC_BAD, what);
    }
    return 0;
}

/*
 * A decimal number ending at the byte stop (consumed): 1 to 20 digits, no
 * leading zero unless the number is 0, at most max.
 */
static int number(cursor *c, unsigned char stop, uint64_t max, uint64_t *out,
                  const char *what)
{
    uint64_t v = 0;
    size_t digits = 0;

    for (;;) {
        unsigned d;
        if (c->p == c->end)
            return fail(c, XSIPC__REC_TRUNCATED, what);
        if (*c->p == stop)
            break;
        if (*c->p < '0' || *c->p > '9')
            return fail(c, XSIPC__REC_BAD, what);
        if (digits == 1 && v == 0)
            return fail(c, XSIPC__REC_BAD, what); /* a leading zero */
        d = (unsigned)(*c->p - '0');
        /* v * 10 + d <= max, without overflowing uint64_t. */
        if (d > max || v > (max - d) / 10)
            return fail(c, XSIPC__REC_BAD, what);
        v = v * 10 + d;
        digits++;
        c->p++;
    }
    if (digits == 0)
        return fail(c, XSIPC__REC_BAD, what);
    c->p++; /* stop */
    *out = v;
    return 0;
}

/* "0x" and exactly 8 lowercase hex digits, then a newline. */
static int hex32(cursor *c, uint32_t *out, const char *what)
{
    uint32_t v = 0;
    int i, rc;

    if ((rc = literal(c, "0x", what)) != 0)
        return rc;
    for (i = 0; i < 8; i++, c->p++) {
        unsigned char b;
        if (c->p == c->end)
            return fail(c, XSIPC__REC_TRUNCATED, what);
        b = *c->p;
        if (b >= '0' && b <= '9')
            v = v << 4 | (uint32_t)(b - '0');
        else if (b >= 'a' && b <= 'f')
            v = v << 4 | (uint32_t)(b - 'a' + 10);
        else
            return fail(c, XSIPC__REC_BAD, what);
    }
    if ((rc = literal(c, "\n", what)) != 0)
        return rc;
    *out = v;
    return 0;
}

/* "kind shm\n" or "kind sem\n". */
static int kind(cursor *c, int *out)
{
    static const char *const names[2] = {"shm\n", "sem\n"};
    const char *what = "bad kind (not shm or sem)";
    size_t left;
    int i, rc;

    if ((rc = literal(c, "kind ", "bad kind line")) != 0)
        return rc;
    left = (size_t)(c->end - c->p);
    for (i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (memcmp(c->p, names[i], left < n ? left : n) != 0)
            continue;
        if (left < n)
            return fail(c, XSIPC__REC_TRUNCATED, what);
        c->p += n;
        *out = i;
        return 0;
    }
    return fail(c, XSIPC__REC_BAD, what);
}

/* "name LEN BYTES\n" and the end of the input. */
static int name(cursor *c, xsipc__record *r)
{
    uint64_t len;
    int rc;

    if ((rc = literal(c, "name ", "bad name line")) != 0)
        return rc;
    rc = number(c, ' ', XSIPC__REC_NAME_MAX, &len,
                "bad name length (over 4096 bytes, or not a number)");
    if (rc != 0)
        return rc;
    if ((size_t)(c->end - c->p) < len)
        return fail(c, XSIPC__REC_TRUNCATED, "name cut short");
    /* A C name cannot hold NUL: such a record was not written by us. */
    if (memchr(c->p, '\0', (size_t)len) != NULL)
        return fail(c, XSIPC__REC_BAD, "NUL byte in the name");
    memcpy(r->name, c->p, (size_t)len);
    r->name[len] = '\0';
    r->name_len = (size_t)len;
    c->p += len;
    if ((rc = literal(c, "\n", "no newline after the name")) != 0)
        return rc;
    if (c->p != c->end)
        return fail(c, XSIPC__REC_BAD, "bytes after the end of the record");
    return 0;
}

/* The version line: a later version is named as such in the message. */
static int version(cursor *c)
{
    uint64_t v;
    int rc;

    if ((rc = literal(c, "xsipc-record ", "not an xsipc record")) != 0)
        return rc;
    if ((rc = number(c, '\n', 1000000, &v, "bad record version")) != 0)
        return rc;
    if (v != XSIPC__REC_VERSION)
        return fail(c, XSIPC__REC_BAD,
                    v > XSIPC__REC_VERSION
                        ? "record of a later version than this library reads"
                        : "bad record version");
    return 0;
}

/* The fields between kind and name, each "label NUMBER\n" in order. */
static int fields(cursor *c, xsipc__record *r)
{
    uint64_t v;
    int rc;

    if ((rc = literal(c, "proj ", "bad proj line")) != 0 ||
        (rc = number(c, '\n', 255, &v, "bad proj (not 1..255)")) != 0)
        return rc;
    if (v == 0)
        return fail(c, XSIPC__REC_BAD, "bad proj (not 1..255)");
    r->proj = (int)v;
    if ((rc = literal(c, "key ", "bad key line")) != 0 ||
        (rc = hex32(c, &r->key, "bad key (not 0x and 8 hex digits)")) != 0)
        return rc;
    if ((rc = literal(c, "pid ", "bad pid line")) != 0 ||
        (rc = number(c, '\n', 2147483647, &v, "bad pid")) != 0)
        return rc;
    if (v == 0)
        return fail(c, XSIPC__REC_BAD, "bad pid");
    r->pid = (long)v;
    if ((rc = literal(c, "start ", "bad start line")) != 0 ||
        (rc = number(c, '\n', UINT64_MAX, &r->start, "bad start time")) != 0)
        return rc;
    if ((rc = literal(c, "time ", "bad time line")) != 0 ||
        (rc = number(c, '\n', INT64_MAX, &v, "bad time")) != 0)
        return rc;
    r->time = (int64_t)v;
    if ((rc = literal(c, "flags ", "bad flags line")) != 0 ||
        (rc = number(c, '\n', XSIPC__REC_FLAGS, &v,
                     "bad flags (unknown bits)")) != 0)
        return rc;
    r->flags = (unsigned)v;
    return 0;
}

int xsipc__rec_parse(const void *buf, size_t len, xsipc__record *r,
                     const char **why)
{
    cursor c;
    int rc;

    c.p = buf;
    c.end = c.p + len;
    c.why = NULL;
    memset(r, 0, offsetof(xsipc__record, name));
    r->name[0] = '\0';
    if (buf == NULL && len != 0)
        rc = fail(&c, XSIPC__REC_BAD, "no buffer");
    else if (len > XSIPC__REC_MAX)
        rc = fail(&c, XSIPC__REC_BAD, "record over 4352 bytes");
    else if ((rc = version(&c)) == 0 && (rc = kind(&c, &r->kind)) == 0 &&
             (rc = fields(&c, r)) == 0 && (rc = name(&c, r)) == 0 &&
             (r->key >> 24) != (uint32_t)r->proj)
        rc = fail(&c, XSIPC__REC_BAD, "key does not start with proj");
    if (why != NULL)
        *why = rc == 0 ? "" : c.why;
    return rc;
}

size_t xsipc__rec_format(const xsipc__record *r, char *buf, size_t len)
{
    int n;

    if (r == NULL || buf == NULL || (r->kind != 0 && r->kind != 1) ||
        r->proj < 1 || r->proj > 255 || (r->key >> 24) != (uint32_t)r->proj ||
        r->pid < 1 || r->pid > 2147483647 || r->time < 0 ||
        (r->flags & ~XSIPC__REC_FLAGS) != 0 ||
        r->name_len > XSIPC__REC_NAME_MAX ||
        memchr(r->name, '\0', r->name_len) != NULL)
        return 0;
    n = snprintf(buf, len,
                 "xsipc-record %d\nkind %s\nproj %d\nkey 0x%08lx\npid %ld\n"
                 "start %llu\ntime %lld\nflags %u\nname %zu ",
                 XSIPC__REC_VERSION, r->kind == 0 ? "shm" : "sem", r->proj,
                 (unsigned long)r->key, r->pid, (unsigned long long)r->start,
                 (long long)r->time, r->flags, r->name_len);
    /* The name and its newline must fit too. */
    if (n < 0 || (size_t)n + r->name_len + 1 > len)
        return 0;
    memcpy(buf + n, r->name, r->name_len);
    buf[(size_t)n + r->name_len] = '\n';
    return (size_t)n + r->name_len + 1;
}
