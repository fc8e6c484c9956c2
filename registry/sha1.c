/* SPDX-License-Identifier: MIT */
/*
 * sha1.c -- SHA-1 as specified in FIPS 180-4 (sections 5.1.1, 5.3.1, 6.1).
 *
 * Qt names a key file by the SHA-1 of the key's UTF-8 bytes
 * (QCryptographicHash::Sha1), so the registry needs the same digest to find
 * the same file.  It serves as a name only: nothing here relies on SHA-1's
 * collision resistance (two names sharing a key_t are detected by the
 * registry, not prevented by the hash).  The library depends on libc alone,
 * hence this small implementation instead of an external crypto library.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "xsipc.h"
#include "registry/registry.h"

#define BLOCK 64 /* bytes per message block (512 bits) */

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* The compression function: hashes one 512-bit block into h (6.1.2). */
static void compress(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    uint32_t a, b, c, d, e, f, k, t;
    unsigned i;

    /* FIPS 180 reads words big-endian, whatever the host's byte order. */
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 80; i++)
        w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

    a = h[0];
    b = h[1];
    c = h[2];
    d = h[3];
    e = h[4];
    for (i = 0; i < 80; i++) {
        if (i < 20) {
            f = (b & c) | (~b & d); /* Ch */
            k = 0x5a827999u;
        } else if (i < 40) {
            f = b ^ c ^ d; /* Parity */
            k = 0x6ed9eba1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d); /* Maj */
            k = 0x8f1bbcdcu;
        } else {
            f = b ^ c ^ d; /* Parity */
            k = 0xca62c1d6u;
        }
        t = rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void xsipc__sha1(const void *data, size_t len, unsigned char out[20])
{
    /* Initial hash value, 5.3.1. */
    uint32_t h[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                     0xc3d2e1f0u};
    const unsigned char *p = data;
    unsigned char tail[2 * BLOCK];
    /* The length in bits, modulo 2^64: FIPS 180 limits SHA-1 messages to
     * fewer than 2^64 bits, so this is exact for every legal input. */
    uint64_t bits = (uint64_t)len * 8u;
    size_t rest = len, tail_len, i;

    for (; rest >= BLOCK; rest -= BLOCK, p += BLOCK)
        compress(h, p);

    /* Padding (5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then the
     * 64-bit big-endian length; one more block when the tail has no room. */
    memset(tail, 0, sizeof tail);
    if (rest > 0)
        memcpy(tail, p, rest);
    tail[rest] = 0x80;
    tail_len = rest < BLOCK - 8 ? BLOCK : 2 * BLOCK;
    for (i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (unsigned char)(bits >> (8 * i));
    compress(h, tail);
    if (tail_len == 2 * BLOCK)
        compress(h, tail + BLOCK);

    for (i = 0; i < 20; i++)
        out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}
