/* SPDX-License-Identifier: MIT */
/*
 * record.h -- the record a key file may hold (private).
 *
 * A key file's inode is its key; its content is free.  xsipc writes there,
 * once, before the file gets its final name, a small versioned text record
 * that says which name the file stands for, so that a listing can show
 * names (Qt's file names keep only the letters and a hash).  An empty key
 * file (Qt makes them so) has no record and is valid.
 *
 * The format, version 1, one field per line, in this order, nothing else:
 *
 *     xsipc-record 1
 *     kind shm                 shm or sem
 *     proj 81                  the ftok proj id of the key, 1..255
 *     key 0x5100abcd           the key when written (8 lowercase hex digits)
 *     pid 4242                 the process that wrote it
 *     start 1234567            its start time, clock ticks since boot
 *     time 1700000000          seconds since the epoch
 *     flags 1                  XSIPC__REC_* bits: 1 made in a persistent
 *                              registry, 2 the segment outlives its users,
 *                              4 the key's claim is the file's second hard
 *                              link (an older xsipc, which made its claims
 *                              symbolic links, never set it)
 *     name 5 share             byte length, a space, the name's bytes
 *
 * Numbers are decimal without sign or leading zeros.  The name may hold any
 * byte but NUL (so newlines too: its length says where it ends); a name
 * longer than XSIPC__REC_NAME_MAX is not recorded (length 0).
 *
 * The parser has no other dependency than the C library so that the
 * fuzzer (tests/fuzz/fuzz_record.c) can build it alone.
 */
#ifndef XSIPC_RECORD_H
#define XSIPC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define XSIPC__REC_VERSION 1
/* Longest recorded name: the 4,000-byte names of the tests fit. */
#define XSIPC__REC_NAME_MAX 4096
/* Longest record: the fixed lines take at most 146 bytes. */
#define XSIPC__REC_MAX (XSIPC__REC_NAME_MAX + 256)

/* flags */
#define XSIPC__REC_PERSISTENT 0x1u /* made in a persistent registry */
#define XSIPC__REC_KEEP 0x2u       /* its segment outlives its users */
#define XSIPC__REC_LINKED 0x4u     /* its claim is its second hard link */
#define XSIPC__REC_FLAGS 0x7u      /* every bit version 1 knows */

/* xsipc__rec_parse results besides 0. */
#define XSIPC__REC_TRUNCATED 1 /* a proper prefix of a record */
#define XSIPC__REC_BAD 2       /* not a record of a version we read */

typedef struct xsipc__record {
    int kind;        /* 0 shm, 1 sem (the values of xsipc_kind) */
    int proj;        /* 1..255 */
    uint32_t key;    /* its top byte is proj */
    long pid;        /* 1..2^31-1 */
    uint64_t start;  /* 0 when unknown */
    int64_t time;    /* >= 0 */
    unsigned flags;  /* XSIPC__REC_* */
    size_t name_len; /* 0: no name recorded */
    char name[XSIPC__REC_NAME_MAX + 1]; /* NUL-terminated */
} xsipc__record;

/*
 * Parses the len bytes at buf into *r.  Returns 0, XSIPC__REC_TRUNCATED
 * (every byte so far fits a record, but it ends early: cut, or being
 * written) or XSIPC__REC_BAD; *why (when not NULL) then gets a static
 * English phrase for a message.  Reads nothing past buf + len, for any
 * input and any len.
 */
int xsipc__rec_parse(const void *buf, size_t len, xsipc__record *r,
                     const char **why);

/*
 * Writes the record r into buf (len bytes, no NUL added).  Returns its
 * length, or 0 when r is not valid (a field out of range, a NUL in the
 * name) or buf is too small.  A name longer than XSIPC__REC_NAME_MAX must
 * be given with name_len 0.
 */
size_t xsipc__rec_format(const xsipc__record *r, char *buf, size_t len);

#endif /* XSIPC_RECORD_H */
