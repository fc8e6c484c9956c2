/* SPDX-License-Identifier: MIT */
/*
 * errmap.c -- the one place where an errno from a System V call becomes an
 * xsipc_error.  The kernel reuses a few errno values with meanings that
 * depend on the call, so the mapping is by (call, errno).
 */
#include <config.h>

#include <errno.h>

#include "sysv/sysv.h"

static xsipc_error shmget_error(int err, int creating)
{
    switch (err) {
    case EEXIST:
        /* IPC_CREAT|IPC_EXCL and a segment already has the key. */
        return XSIPC_ALREADY_EXISTS;
    case ENOENT:
        /* No segment has the key and IPC_CREAT was not given. */
        return XSIPC_NOT_FOUND;
    case EINVAL:
        /* Creating: size below SHMMIN or above SHMMAX.  Opening: a size
         * larger than the segment's; the library opens with size 0, so
         * it can only be the creating case or a racing IPC_RMID. */
        return creating ? XSIPC_INVALID_SIZE : XSIPC_NOT_FOUND;
    case ENOSPC:
        /* SHMMNI segments exist, or SHMALL pages would be exceeded. */
    case ENOMEM:
        /* No memory for the segment's descriptor or pages. */
        return XSIPC_OUT_OF_RESOURCES;
    case EACCES:
    case EPERM:
        return XSIPC_PERMISSION_DENIED;
    default:
        return XSIPC_UNKNOWN_ERROR;
    }
}

static xsipc_error semget_error(int err)
{
    switch (err) {
    case EEXIST:
        return XSIPC_ALREADY_EXISTS;
    case ENOENT:
        return XSIPC_NOT_FOUND;
    case EINVAL:
        /* nsems above the existing set's, or above SEMMSL: the set at the
         * key is not one this library can use. */
        return XSIPC_KEY_ERROR;
    case ENOSPC:
    case ENOMEM:
        /* SEMMNI sets or SEMMNS semaphores exist already. */
        return XSIPC_OUT_OF_RESOURCES;
    case EACCES:
    case EPERM:
        return XSIPC_PERMISSION_DENIED;
    default:
        return XSIPC_UNKNOWN_ERROR;
    }
}

static xsipc_error semop_error(int err)
{
    switch (err) {
    case EAGAIN:
        /* IPC_NOWAIT and the operation would sleep, or semtimedop's
         * timeout expired; the caller tells them apart. */
        return XSIPC_WOULD_BLOCK;
    case EIDRM:
    case EINVAL:
        /* The set was removed (IPC_RMID) while we used or waited on it,
         * as when the Qt object that created it is destroyed. */
        return XSIPC_REMOVED;
    case ERANGE:
        /* The value would pass SEMVMX (32767) or the undo adjustment
         * would leave -32768..32767. */
    case ENOSPC:
        /* No room for another undo structure (SEMMNU). */
    case ENOMEM:
    case E2BIG:
        return XSIPC_OUT_OF_RESOURCES;
    case EACCES:
    case EPERM:
        return XSIPC_PERMISSION_DENIED;
    case EFBIG:
        return XSIPC_INVALID_ARGUMENT;
    default:
        return XSIPC_UNKNOWN_ERROR;
    }
}

xsipc_error xsipc__sys_error(xsipc__sys_call call, int err, int creating)
{
    switch (call) {
    case XSIPC__SYS_SHMGET:
        return shmget_error(err, creating);
    case XSIPC__SYS_SEMGET:
        return semget_error(err);
    case XSIPC__SYS_SEMOP:
    case XSIPC__SYS_SEMTIMEDOP:
        return semop_error(err);
    case XSIPC__SYS_SHMAT:
        if (err == EACCES || err == EPERM)
            return XSIPC_PERMISSION_DENIED;
        if (err == EIDRM || err == EINVAL)
            return XSIPC_NOT_FOUND; /* removed between shmget and shmat */
        if (err == ENOMEM)
            return XSIPC_OUT_OF_RESOURCES; /* no address space left */
        return XSIPC_UNKNOWN_ERROR;
    case XSIPC__SYS_SHMCTL:
    case XSIPC__SYS_SEMCTL:
        if (err == EACCES || err == EPERM)
            return XSIPC_PERMISSION_DENIED;
        if (err == EIDRM || err == EINVAL)
            return XSIPC_REMOVED;
        if (err == ERANGE)
            return XSIPC_OUT_OF_RESOURCES;
        return XSIPC_UNKNOWN_ERROR;
    case XSIPC__SYS_SHMDT:
        if (err == EINVAL)
            return XSIPC_NOT_FOUND; /* no segment at that address */
        return XSIPC_UNKNOWN_ERROR;
    default:
        return XSIPC_UNKNOWN_ERROR;
    }
}

/* Kept short: a message leaves its room to the path after it. */
const char *xsipc__sys_limit(xsipc__sys_call call, int err)
{
    if (err != ENOSPC)
        return "";
    switch (call) {
    case XSIPC__SYS_SHMGET:
        return " (the SHMMNI or SHMALL limit is reached)";
    case XSIPC__SYS_SEMGET:
        return " (the SEMMNI or SEMMNS limit is reached)";
    case XSIPC__SYS_SEMOP:
    case XSIPC__SYS_SEMTIMEDOP:
        return " (the SEMMNU limit is reached)";
    default:
        return "";
    }
}
