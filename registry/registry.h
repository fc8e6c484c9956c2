/*
 * registry.h -- names to key files to key_t (private).
 *
 * A registry is a directory.  A name of a kind maps to a key file in it,
 * named as Qt names it (DESIGN.md section 3), and the key file's inode
 * gives the key_t, exactly as ftok(path, 'Q') would.  The registry works on
 * files only: it makes no System V IPC call.  It includes the public header
 * only (for xsipc_error and xsipc_status).
 */
#ifndef XSIPC_REGISTRY_H
#define XSIPC_REGISTRY_H

#include <stddef.h>
#include <sys/types.h>

#include "xsipc.h"

/* The proj id Qt passes to ftok. */
#define XSIPC__PROJ 'Q'

typedef enum xsipc__kind {
    XSIPC__KIND_SHM = 0, /* a segment: qipc_sharedmemory_ */
    XSIPC__KIND_SEM = 1  /* a semaphore set: qipc_systemsem_ */
} xsipc__kind;

/* Registry flags beyond the public XSIPC_REGISTRY_* ones. */
#define XSIPC__REG_NATIVE 0x100u /* names are file names (native keys) */

struct xsipc_registry {
    unsigned refs;    /* handles made from it hold one each */
    unsigned flags;   /* XSIPC_REGISTRY_* and XSIPC__REG_* */
    int dirfd;        /* O_DIRECTORY|O_CLOEXEC: key files are opened at it */
    mode_t obj_mode;  /* System V object mode: 0600, or 0660 with GROUP */
    mode_t file_mode; /* key file mode: 0640, or 0660 with GROUP */
    char *dir;        /* absolute, without a trailing slash */
};

/* A name resolved to its key file and key_t. */
typedef struct xsipc__key {
    key_t key;
    dev_t dev;      /* identity of the key file, to tell whether the file */
    ino_t ino;      /* at the path is still the one the key came from */
    int created;    /* this resolution created the key file */
    char file[256]; /* file name inside the registry directory */
} xsipc__key;

/* SHA-1 (FIPS 180-4) of len bytes; out gets 20 bytes. */
void xsipc__sha1(const void *data, size_t len, unsigned char out[20]);

/*
 * The Qt default directory: realpath of $TMPDIR when set and resolvable,
 * else "/tmp".  Returns 0, or -XSIPC_KEY_ERROR when it does not fit.
 */
int xsipc__reg_default_dir(char *buf, size_t len);

/*
 * The key file name of name for kind: prefix, the ASCII letters of name,
 * 40 lowercase hex digits of SHA-1 over its bytes.  -XSIPC_KEY_ERROR with
 * st filled for an empty name or one whose file name would pass NAME_MAX.
 */
int xsipc__reg_file_name(xsipc__kind kind, const char *name, char *buf,
                         size_t len, xsipc_status *st);

/*
 * Copies s into buf (len bytes) for a message: at most max bytes of s, then
 * "..." when cut; control characters and malformed UTF-8 as \xNN, '"' and
 * '\\' backslashed.  Returns buf ("" when buf is NULL or len is 0).
 */
const char *xsipc__reg_quote(const char *s, size_t max, char *buf, size_t len);

/* Opens a registry on path (NULL: the default directory), one reference. */
xsipc_registry *xsipc__reg_open(const char *dir, unsigned flags,
                                xsipc_status *st);
/* Adds a reference; returns reg. */
xsipc_registry *xsipc__reg_ref(xsipc_registry *reg);

/*
 * Resolves name of kind to its key file and key_t.  With create, a missing
 * key file is created as Qt creates it (O_CREAT|O_EXCL, an existing file is
 * fine); without, a missing file is -XSIPC_NOT_FOUND.  In a NATIVE registry
 * name is the key file's own name.  Returns 0 or -xsipc_error with st set.
 */
int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st);

/* Non-zero when the key file at k->file is still the inode k came from. */
int xsipc__reg_current(const xsipc_registry *reg, const xsipc__key *k);

/*
 * Removes k's key file when it is still k's inode, as Qt removes its key
 * files with the last user; a persistent registry keeps it.
 */
void xsipc__reg_release(xsipc_registry *reg, const xsipc__key *k);

/* Fills st (when not NULL) with code and a printf-style message. */
int xsipc__status_set(xsipc_status *st, xsipc_error code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* XSIPC_REGISTRY_H */
