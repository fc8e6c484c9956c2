/* SPDX-License-Identifier: MIT */
/*
 * qtnames.h -- Qt's names for its System V objects (private), defined once
 * for every layer (DESIGN.md section 3).
 *
 * QSharedMemory names its key file qipc_sharedmemory_ + the ASCII letters
 * of the key + 40 hex digits of SHA-1 over its UTF-8 bytes, and its lock,
 * as QSystemSemaphore names its own, qipc_systemsem_ + the same; the key
 * is ftok(key file, 'Q').  A segment's key file and its lock's have the
 * same name after the prefix.
 */
#ifndef XSIPC_QTNAMES_H
#define XSIPC_QTNAMES_H

#define XSIPC__SHM_PREFIX "qipc_sharedmemory_" /* a segment's key file */
#define XSIPC__SEM_PREFIX "qipc_systemsem_"    /* a semaphore set's */
#define XSIPC__HASH_DIGITS 40                  /* SHA-1 in lowercase hex */

/* The proj id Qt passes to ftok. */
#define XSIPC__PROJ 'Q'

#endif /* XSIPC_QTNAMES_H */
