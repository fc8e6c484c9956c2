/* SPDX-License-Identifier: MIT */
/*
 * fuzz_record.c -- libFuzzer target for the key file record parser
 * (registry/record.c).  Built by `make fuzz` with clang and
 * -fsanitize=fuzzer,address,undefined.
 *
 * A key file's content comes from the file system: anyone who can write
 * the file can put any bytes there, and xsipc_registry_list reads every
 * key file of /tmp.  The parser must never read outside its input nor
 * misbehave on any input; what it accepts must be exactly what the writer
 * produces, so each accepted input is written back and must come out byte
 * for byte the same (one spelling per record), and parse again to the same
 * fields.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/record.h"

static xsipc__record rec, again;
static char out[XSIPC__REC_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    size_t n;
    int rc;

    rc = xsipc__rec_parse(data, size, &rec, &why);
    if (why == NULL || (rc != 0 && why[0] == '\0'))
        abort(); /* every failure must say why */
    if (rc != 0) {
        if (rc != XSIPC__REC_TRUNCATED && rc != XSIPC__REC_BAD)
            abort();
        return 0;
    }
    if (rec.name[rec.name_len] != '\0' || strlen(rec.name) != rec.name_len)
        abort();
    n = xsipc__rec_format(&rec, out, sizeof out);
    if (n != size || memcmp(out, data, size) != 0)
        abort(); /* accepted, but not in the one spelling we write */
    if (xsipc__rec_parse(out, n, &again, &why) != 0 ||
        memcmp(&again, &rec, offsetof(xsipc__record, name)) != 0 ||
        strcmp(again.name, rec.name) != 0)
        abort();
    /* Every proper prefix of a valid record is a truncation. */
    if (size > 0 &&
        xsipc__rec_parse(data, size - 1, &again, &why) != XSIPC__REC_TRUNCATED)
        abort();
    return 0;
}
