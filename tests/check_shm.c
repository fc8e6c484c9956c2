/* SPDX-License-Identifier: MIT */
/*
 * check_shm.c -- xsipc_shm: Qt's QSharedMemory semantics, each bad input's
 * error, and the kernel limits.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static xsipc_shm *new_shm(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), name);
    ck_assert_ptr_nonnull(shm);
    return shm;
}

static xsipc_shm *created(const char *name, size_t size)
{
    xsipc_shm *shm = new_shm(name);
    int rc = xsipc_shm_create(shm, size, XSIPC_READ_WRITE);
    ck_assert_msg(rc == 0, "create %s: %s", name, xsipc_shm_error_string(shm));
    return shm;
}

static int file_exists(const char *name)
{
    struct stat st;
    return lstat(tu_path(name), &st) == 0;
}

/* The number of Qt key files in the test's registry directory. */
static int key_files(void)
{
    char cmd[4200];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^qipc_'", tu_dir());
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

/* The number of entries (key files, claims) in the registry directory. */
static int dir_entries(void)
{
    char cmd[4200];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", tu_dir());
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int child_status(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* ----------------------------------------------------------------- core */

START_TEST(test_shm_create_attach_read)
{
    xsipc_shm *a = created("share", 64), *b = new_shm("share");

    ck_assert_int_eq(xsipc_shm_is_attached(a), 1);
    ck_assert_uint_eq(xsipc_shm_size(a), 64);
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    strcpy(xsipc_shm_data(a), "hello QT!");
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);

    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
    ck_assert_uint_eq(xsipc_shm_size(b), 64);
    ck_assert_int_eq(xsipc_shm_lock(b), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "hello QT!");
    ck_assert_int_eq(xsipc_shm_unlock(b), 0);
    ck_assert_int_eq(xsipc_shm_detach(b), 0);
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    xsipc_shm_free(a);
    xsipc_shm_free(b);
}
END_TEST

START_TEST(test_shm_key_names_qt_files)
{
    xsipc_shm *shm = created("share", 16);
    char want[4200];

    snprintf(
        want, sizeof want,
        "%s/qipc_sharedmemory_shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab",
        tu_dir());
    ck_assert_str_eq(xsipc_shm_key(shm), "share");
    ck_assert_str_eq(xsipc_shm_native_key(shm), want);
    ck_assert(file_exists(
        "qipc_sharedmemory_shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab"));
    ck_assert(file_exists(
        "qipc_systemsem_shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab"));
    xsipc_shm_free(shm);
}
END_TEST

/* The last detach removes the segment and its key file.  The lock set
 * (and its key file) is the handle's until it is freed or given another
 * key, as a QSharedMemory keeps its QSystemSemaphore: then it goes too. */
START_TEST(test_shm_last_detach_removes_everything)
{
    xsipc_shm *a = created("gone", 32), *b = new_shm("gone");
    int segs = tu_count_shm(), sets = tu_count_sem();

    ck_assert_int_eq(key_files(), 2); /* segment and lock key files */
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    ck_assert_int_eq(key_files(), 1);
    ck_assert(!file_exists(
        "qipc_sharedmemory_gonea6dfdeaa3a44a4c52d44284847d7160892b4017e"));
    if (tu_in_private_ipcns()) {
        ck_assert_int_eq(tu_count_shm(), segs - 1);
        ck_assert_int_eq(tu_count_sem(), sets);
    }
    tu_shm_fails(b, xsipc_shm_attach(b, XSIPC_READ_WRITE), XSIPC_NOT_FOUND);
    ck_assert_int_eq(key_files(), 1);
    xsipc_shm_free(a);
    ck_assert_int_eq(dir_entries(), 0);
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem(), sets - 1);
    xsipc_shm_free(b);
}
END_TEST

START_TEST(test_shm_segment_lives_while_attached)
{
    xsipc_shm *a = created("kept", 8), *b = new_shm("kept"),
              *c = new_shm("kept");

    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_WRITE), 0);
    memcpy(xsipc_shm_data(b), "abc", 4);
    ck_assert_int_eq(xsipc_shm_detach(a), 0);
    ck_assert_int_eq(xsipc_shm_attach(c, XSIPC_READ_ONLY), 0);
    ck_assert_str_eq(xsipc_shm_const_data(c), "abc");
    ck_assert_int_eq(xsipc_shm_detach(b), 0);
    ck_assert_int_eq(xsipc_shm_detach(c), 0);
    ck_assert_int_eq(key_files(), 1); /* the lock's, kept by the handles */
    xsipc_shm_free(a);
    xsipc_shm_free(b);
    xsipc_shm_free(c);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_default_registry_is_tmpdir)
{
    xsipc_shm *shm = xsipc_shm_new("share");

    ck_assert_ptr_nonnull(shm);
    ck_assert_int_eq(xsipc_shm_create(shm, 100, XSIPC_READ_WRITE), 0);
    ck_assert(file_exists(
        "qipc_sharedmemory_shareaab90dfe8c6f152a4fb071f5f4f9df804626e6ab"));
    xsipc_shm_free(shm); /* detaches: the last user removes it */
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_free_detaches)
{
    xsipc_shm *shm = created("freed", 10);

    xsipc_shm_free(shm);
    ck_assert_int_eq(dir_entries(), 0);
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_shm() + tu_count_sem(), 0);
}
END_TEST

START_TEST(test_shm_set_key_detaches)
{
    xsipc_shm *shm = created("first", 10);

    ck_assert_int_eq(xsipc_shm_set_key(shm, "second"), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_str_eq(xsipc_shm_key(shm), "second");
    ck_assert_int_eq(dir_entries(), 0);
    ck_assert_int_eq(xsipc_shm_set_key(shm, NULL), 0);
    ck_assert_ptr_null(xsipc_shm_key(shm));
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_native_key)
{
    const char *path = tu_path("my.key");
    xsipc_shm *a = xsipc_shm_new(NULL), *b = xsipc_shm_new(NULL);

    ck_assert_int_eq(xsipc_shm_set_native_key(a, path), 0);
    ck_assert_ptr_null(xsipc_shm_key(a));
    ck_assert_str_eq(xsipc_shm_native_key(a), path);
    ck_assert_int_eq(xsipc_shm_create(a, 20, XSIPC_READ_WRITE), 0);
    strcpy(xsipc_shm_data(a), "native");
    ck_assert_int_eq(xsipc_shm_set_native_key(b, path), 0);
    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
    ck_assert_int_eq(xsipc_shm_lock(b), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "native");
    ck_assert_int_eq(xsipc_shm_unlock(b), 0);
    xsipc_shm_free(b);
    xsipc_shm_free(a);
    /* A native key file is the caller's: it stays. */
    ck_assert(file_exists("my.key"));
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(test_shm_lock_excludes_other_process)
{
    xsipc_shm *a = created("excl", 4);
    int up[2], down[2];
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(up), 0);
    ck_assert_int_eq(pipe(down), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* attach takes the lock itself (as Qt's does): attach first. */
        xsipc_shm *b = xsipc_shm_new_in(tu_registry(), "excl");
        int ok = xsipc_shm_attach(b, XSIPC_READ_WRITE) == 0 &&
                 write(up[1], "a", 1) == 1 && read(down[0], &c, 1) == 1 &&
                 xsipc_shm_try_lock(b) == -XSIPC_WOULD_BLOCK &&
                 xsipc_shm_lock_timeout(b, 50) == -XSIPC_TIMEOUT &&
                 write(up[1], "t", 1) == 1 &&
                 xsipc_shm_lock(b) == 0 && /* after the parent unlocks */
                 ((char *)xsipc_shm_data(b))[0] == 'p' &&
                 xsipc_shm_unlock(b) == 0 && xsipc_shm_detach(b) == 0;
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(read(up[0], &c, 1), 1);
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    ck_assert_int_eq(write(down[1], "l", 1), 1);
    ck_assert_int_eq(read(up[0], &c, 1), 1); /* it failed to take it */
    ((char *)xsipc_shm_data(a))[0] = 'p';
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(child_status(pid), 0);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_try_lock_and_timeout_when_free)
{
    xsipc_shm *a = created("free", 4);

    ck_assert_int_eq(xsipc_shm_try_lock(a), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(xsipc_shm_lock_timeout(a, 0), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(xsipc_shm_lock_timeout(a, 1000), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_killed_holder_releases_lock)
{
    xsipc_shm *a = created("crash", 4);
    int pipefd[2];
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc_shm *b = xsipc_shm_new_in(tu_registry(), "crash");
        if (xsipc_shm_attach(b, XSIPC_READ_WRITE) != 0 ||
            xsipc_shm_lock(b) != 0)
            _exit(1);
        ((char *)xsipc_shm_data(b))[0] = 'h'; /* half-written */
        if (write(pipefd[1], "L", 1) != 1)
            _exit(3);
        pause();
        _exit(2);
    }
    ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
    ck_assert_int_eq(xsipc_shm_try_lock(a), -XSIPC_WOULD_BLOCK);
    kill(pid, SIGKILL);
    ck_assert_int_eq(child_status(pid), 128 + SIGKILL);
    /* SEM_UNDO gave the lock back; the holder's death is told once. */
    ck_assert_int_eq(xsipc_shm_lock(a), XSIPC_OWNER_DIED);
    ck_assert_int_eq(((char *)xsipc_shm_data(a))[0], 'h');
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    close(pipefd[0]);
    close(pipefd[1]);
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_lock_unlock_many)
{
    xsipc_shm *a = created("many", 4);
    int i;

    for (i = 0; i < 10000; i++) {
        ck_assert_int_eq(xsipc_shm_lock(a), 0);
        ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    }
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_read_only_write_faults)
{
    xsipc_shm *a = created("ro", 4096), *b = new_shm("ro");
    pid_t pid;

    strcpy(xsipc_shm_data(a), "data");
    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "data");
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The mapping is read-only: the kernel must refuse the store. */
        signal(SIGSEGV, SIG_DFL);
        ((volatile char *)xsipc_shm_data(b))[0] = 'X';
        _exit(0);
    }
    ck_assert_int_eq(child_status(pid), 128 + SIGSEGV);
    ck_assert_str_eq(xsipc_shm_const_data(a), "data");
    xsipc_shm_free(b);
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_two_names_two_segments)
{
    xsipc_shm *a = created("alpha", 16), *b = created("beta", 16);

    strcpy(xsipc_shm_data(a), "A");
    strcpy(xsipc_shm_data(b), "B");
    ck_assert_str_eq(xsipc_shm_const_data(a), "A");
    ck_assert_str_eq(xsipc_shm_const_data(b), "B");
    xsipc_shm_free(a);
    xsipc_shm_free(b);
}
END_TEST

static int make_persistent(const char *name)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), name);
    int ok = xsipc_shm_set_persistent(shm, 1) == 0 &&
             xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) == 0;

    if (ok)
        strcpy(xsipc_shm_data(shm), "kept");
    xsipc_shm_free(shm);
    return ok ? 0 : 1;
}

START_TEST(test_shm_persistent_outlives_users)
{
    xsipc_shm *b = new_shm("keep");
    xsipc_status st;
    pid_t pid;

    /* Made by a process that then exits: no user is left. */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(make_persistent("keep"));
    ck_assert_int_eq(child_status(pid), 0);
    ck_assert_int_eq(key_files(), 1); /* the segment's; the lock set went */
    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_ONLY), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "kept");
    ck_assert_int_eq(xsipc_shm_detach(b), 0);
    /* Its creator is gone and no one is attached, yet it is not stale. */
    tu_shm_fails(b, xsipc_shm_create(b, 64, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_EXISTS);
    ck_assert_int_eq(xsipc_shm_attach(b, XSIPC_READ_WRITE), 0);
    ck_assert_str_eq(xsipc_shm_const_data(b), "kept");
    xsipc_shm_free(b);
    ck_assert_int_eq(key_files(), 1);
    /* It goes when removed. */
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "keep",
                                           XSIPC_KIND_SHM, XSIPC_REMOVE_OBJECT,
                                           &st),
                     0);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_persistent_renews_plain_key_file)
{
    const char *file =
        "qipc_sharedmemory_keep1264bdfe5ff3215cf6abac2152fff607f7dc78dc";
    char name_file[300];
    xsipc_shm *a = new_shm("keep");
    xsipc_status st;
    FILE *f;

    /* An empty key file, as Qt leaves one: no record, no mark. */
    snprintf(name_file, sizeof name_file, "%s", tu_path(file));
    f = fopen(name_file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(xsipc_shm_set_persistent(a, 1), 0);
    ck_assert_int_eq(xsipc_shm_create(a, 64, XSIPC_READ_WRITE), 0);
    xsipc_shm_free(a);
    ck_assert_int_eq(key_files(), 1); /* made again, with the mark */
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "keep",
                                           XSIPC_KIND_SHM, XSIPC_REMOVE_OBJECT,
                                           &st),
                     0);
    ck_assert_int_eq(dir_entries(), 0);
    ck_assert_int_eq(xsipc_shm_set_persistent(NULL, 1),
                     -XSIPC_INVALID_ARGUMENT);
}
END_TEST

/* --------------------------------------------------------------- errors */

START_TEST(test_shm_null_handle)
{
    ck_assert_int_eq(xsipc_shm_set_key(NULL, "x"), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_set_native_key(NULL, "/tmp/x"),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_create(NULL, 1, XSIPC_READ_WRITE),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_attach(NULL, XSIPC_READ_WRITE),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_detach(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_lock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_try_lock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_lock_timeout(NULL, 1), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_unlock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_is_attached(NULL), 0);
    ck_assert_ptr_null(xsipc_shm_data(NULL));
    ck_assert_ptr_null(xsipc_shm_const_data(NULL));
    ck_assert_uint_eq(xsipc_shm_size(NULL), 0);
    ck_assert_ptr_null(xsipc_shm_key(NULL));
    ck_assert_ptr_null(xsipc_shm_native_key(NULL));
    ck_assert_int_eq(xsipc_shm_error(NULL), XSIPC_INVALID_ARGUMENT);
    ck_assert(xsipc_shm_error_string(NULL)[0] != '\0');
    xsipc_shm_free(NULL);
}
END_TEST

START_TEST(test_shm_no_key)
{
    xsipc_shm *shm = xsipc_shm_new(NULL);

    ck_assert_ptr_nonnull(shm);
    ck_assert_ptr_null(xsipc_shm_key(shm));
    tu_shm_fails(shm, xsipc_shm_create(shm, 10, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_KEY_ERROR);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_empty_key)
{
    xsipc_shm *shm = new_shm(NULL);

    tu_shm_fails(shm, xsipc_shm_set_key(shm, ""), XSIPC_KEY_ERROR);
    tu_shm_fails(shm, xsipc_shm_create(shm, 10, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    xsipc_shm_free(shm);
    /* Through the constructor, the error waits in the handle. */
    shm = xsipc_shm_new_in(tu_registry(), "");
    ck_assert_ptr_nonnull(shm);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_ONLY), XSIPC_KEY_ERROR);
    xsipc_shm_free(shm);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_long_key)
{
    char name[300];
    xsipc_shm *shm = new_shm(NULL);

    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    tu_shm_fails(shm, xsipc_shm_set_key(shm, name), XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(xsipc_shm_error_string(shm), "NAME_MAX"));
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_size_zero)
{
    xsipc_shm *shm = new_shm("zero");

    tu_shm_fails(shm, xsipc_shm_create(shm, 0, XSIPC_READ_WRITE),
                 XSIPC_INVALID_SIZE);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_int_eq(dir_entries(), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_size_huge)
{
    xsipc_shm *shm = new_shm("huge");

    /* Above any SHMMAX the kernel accepts (it tops out below SIZE_MAX). */
    tu_shm_fails(shm, xsipc_shm_create(shm, SIZE_MAX, XSIPC_READ_WRITE),
                 XSIPC_INVALID_SIZE);
    ck_assert_ptr_nonnull(strstr(xsipc_shm_error_string(shm), "SHMMAX"));
    ck_assert_int_eq(dir_entries(), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_attach_missing)
{
    xsipc_shm *shm = new_shm("missing");

    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(xsipc_shm_error_string(shm), "\"missing\""));
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_int_eq(dir_entries(), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_message_escapes_name)
{
    xsipc_shm *shm = new_shm("line\nbreak \"quoted\"");
    const char *msg;

    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND);
    msg = xsipc_shm_error_string(shm);
    ck_assert_msg(strchr(msg, '\n') == NULL, "raw newline in: %s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "line\\x0abreak \\\"quoted\\\""));
    xsipc_shm_free(shm);
}
END_TEST

/* A create never waits for a holder: with the lock held, a live segment
 * answers XSIPC_ALREADY_EXISTS at once (a wait here would be the test's
 * timeout), and with it free, the create under it says the same. */
START_TEST(test_shm_create_existing_while_locked)
{
    xsipc_shm *a = created("held", 16), *b = new_shm("held");

    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    tu_shm_fails(b, xsipc_shm_create(b, 16, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_EXISTS);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    tu_shm_fails(b, xsipc_shm_create(b, 16, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_EXISTS);
    /* The lock was given back: a can take it again. */
    ck_assert_int_eq(xsipc_shm_try_lock(a), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    xsipc_shm_free(b);
    xsipc_shm_free(a);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_create_existing)
{
    xsipc_shm *a = created("dup", 16), *b = new_shm("dup");

    strcpy(xsipc_shm_data(a), "first");
    tu_shm_fails(b, xsipc_shm_create(b, 16, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_EXISTS);
    ck_assert_int_eq(xsipc_shm_is_attached(b), 0);
    /* The existing segment and its lock are untouched. */
    ck_assert_str_eq(xsipc_shm_const_data(a), "first");
    ck_assert_int_eq(xsipc_shm_try_lock(a), 0);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    xsipc_shm_free(b);
    xsipc_shm_free(a);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_second_attach)
{
    xsipc_shm *a = created("twice", 16);

    tu_shm_fails(a, xsipc_shm_attach(a, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_ATTACHED);
    tu_shm_fails(a, xsipc_shm_create(a, 16, XSIPC_READ_WRITE),
                 XSIPC_ALREADY_ATTACHED);
    ck_assert_int_eq(xsipc_shm_is_attached(a), 1);
    xsipc_shm_free(a);
}
END_TEST

START_TEST(test_shm_detach_not_attached)
{
    xsipc_shm *shm = new_shm("loose");

    tu_shm_fails(shm, xsipc_shm_detach(shm), XSIPC_NOT_ATTACHED);
    xsipc_shm_free(shm);
}
END_TEST

/* A refused key's reason stays with the handle: every later call gives
 * it, not "no key is set". */
START_TEST(test_shm_bad_key_reason_kept)
{
    char name[400];
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), "");
    const char *first;
    char kept[256];

    ck_assert_ptr_nonnull(shm);
    first = xsipc_shm_error_string(shm);
    ck_assert_msg(strstr(first, "empty") != NULL, "%s", first);
    snprintf(kept, sizeof kept, "%s", first);
    tu_shm_fails(shm, xsipc_shm_create(shm, 8, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    ck_assert_str_eq(xsipc_shm_error_string(shm), kept);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_ONLY), XSIPC_KEY_ERROR);
    ck_assert_str_eq(xsipc_shm_error_string(shm), kept);
    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_KEY_ERROR);
    ck_assert_str_eq(xsipc_shm_error_string(shm), kept);
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    tu_shm_fails(shm, xsipc_shm_set_key(shm, name), XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "NAME_MAX") != NULL, "%s",
                  xsipc_shm_error_string(shm));
    tu_shm_fails(shm, xsipc_shm_create(shm, 8, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "NAME_MAX") != NULL, "%s",
                  xsipc_shm_error_string(shm));
    /* A good key clears it. */
    ck_assert_int_eq(xsipc_shm_set_key(shm, "good"), 0);
    ck_assert_int_eq(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_lock_misuse)
{
    xsipc_shm *shm = new_shm("misuse");
    xsipc_shm *nokey = xsipc_shm_new_in(tu_registry(), NULL);

    /* No key, no lock; a key and no segment is enough, as in Qt. */
    tu_shm_fails(nokey, xsipc_shm_lock(nokey), XSIPC_LOCK_ERROR);
    tu_shm_fails(nokey, xsipc_shm_try_lock(nokey), XSIPC_LOCK_ERROR);
    xsipc_shm_free(nokey);
    ck_assert_int_eq(xsipc_shm_try_lock(shm), 0);
    tu_shm_fails(shm, xsipc_shm_try_lock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    tu_shm_fails(shm, xsipc_shm_unlock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE), 0);
    tu_shm_fails(shm, xsipc_shm_unlock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_LOCK_ERROR);
    tu_shm_fails(shm, xsipc_shm_lock_timeout(shm, -1), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    tu_shm_fails(shm, xsipc_shm_lock_timeout(shm, -1), XSIPC_INVALID_ARGUMENT);
    /* Detaching while locked releases the lock, as Qt's detach does. */
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_detach(shm), 0);
    ck_assert_int_eq(key_files(), 1); /* the lock's, kept by the handle */
    ck_assert_int_eq(xsipc_shm_try_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

START_TEST(test_shm_bad_access_mode)
{
    xsipc_shm *shm = new_shm("mode");

    tu_shm_fails(shm, xsipc_shm_create(shm, 8, (xsipc_access)7),
                 XSIPC_INVALID_ARGUMENT);
    tu_shm_fails(shm, xsipc_shm_attach(shm, (xsipc_access)-1),
                 XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(dir_entries(), 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_bad_native_key)
{
    xsipc_shm *shm = new_shm(NULL);

    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, tu_path("")),
                 XSIPC_KEY_ERROR);
    /* A missing directory is Qt's create and attach error, not
     * set_native_key's (check_contract has the details). */
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, "/nonexistent-xsipc/k"), 0);
    tu_shm_fails(shm, xsipc_shm_create(shm, 8, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), "/nonexistent-xsipc") !=
                      NULL,
                  "%s", xsipc_shm_error_string(shm));
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_shm_error_texts)
{
    int code;

    for (code = XSIPC_NO_ERROR; code <= XSIPC_ALREADY_ATTACHED; code++)
        ck_assert_msg(xsipc_strerror((xsipc_error)code)[0] != '\0',
                      "no text for %d", code);
    ck_assert_str_eq(xsipc_strerror(XSIPC_NOT_FOUND), "not found");
    ck_assert(xsipc_strerror((xsipc_error)999)[0] != '\0');
    ck_assert(xsipc_strerror((xsipc_error)-1)[0] != '\0');
    ck_assert_str_eq(xsipc_version(), XSIPC_VERSION_STRING);
}
END_TEST

/* --------------------------------------------------------------- limits */

/* Writes a limit of this child's own IPC namespace (tu_in_new_ipcns). */
static int write_proc(const char *path, const char *value)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL)
        return -1;
    ok = fputs(value, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int above_lowered_shmmax(void *arg)
{
    xsipc_shm *shm;
    int rc;

    (void)arg;
    if (write_proc("/proc/sys/kernel/shmmax", "1048576") < 0)
        return tu_child_skip("cannot lower this namespace's SHMMAX: %s",
                             strerror(errno));
    shm = xsipc_shm_new("big");
    rc = xsipc_shm_create(shm, 2 * 1048576, XSIPC_READ_WRITE);
    if (rc != -XSIPC_INVALID_SIZE || xsipc_shm_error_string(shm)[0] == '\0')
        return 11;
    if (xsipc_shm_create(shm, 1048576, XSIPC_READ_WRITE) != 0)
        return 12; /* exactly SHMMAX still fits */
    xsipc_shm_free(shm);
    return 0;
}

START_TEST(test_shm_limit_shmmax)
{
    ck_assert_int_eq(tu_in_new_ipcns(above_lowered_shmmax, NULL), 0);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

static int with_no_segments_allowed(void *arg)
{
    xsipc_shm *shm;

    (void)arg;
    if (write_proc("/proc/sys/kernel/shmmni", "0") < 0)
        return tu_child_skip("cannot lower this namespace's SHMMNI: %s",
                             strerror(errno));
    shm = xsipc_shm_new("none");
    /* The message names the kernel limit that was hit. */
    if (xsipc_shm_create(shm, 64, XSIPC_READ_WRITE) !=
            -XSIPC_OUT_OF_RESOURCES ||
        strstr(xsipc_shm_error_string(shm), "SHMMNI") == NULL)
        return 11;
    xsipc_shm_free(shm);
    return 0;
}

START_TEST(test_shm_limit_shmmni)
{
    ck_assert_int_eq(tu_in_new_ipcns(with_no_segments_allowed, NULL), 0);
    ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

Suite *shm_suite(void)
{
    Suite *s = suite_create("shm");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tu_tcase(core);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_shm_create_attach_read);
    tcase_add_test(core, test_shm_key_names_qt_files);
    tcase_add_test(core, test_shm_last_detach_removes_everything);
    tcase_add_test(core, test_shm_segment_lives_while_attached);
    tcase_add_test(core, test_shm_default_registry_is_tmpdir);
    tcase_add_test(core, test_shm_free_detaches);
    tcase_add_test(core, test_shm_set_key_detaches);
    tcase_add_test(core, test_shm_native_key);
    tcase_add_test(core, test_shm_lock_excludes_other_process);
    tcase_add_test(core, test_shm_try_lock_and_timeout_when_free);
    tcase_add_test(core, test_shm_killed_holder_releases_lock);
    tcase_add_test(core, test_shm_lock_unlock_many);
    tcase_add_test(core, test_shm_read_only_write_faults);
    tcase_add_test(core, test_shm_two_names_two_segments);
    tcase_add_test(core, test_shm_persistent_outlives_users);
    tcase_add_test(core, test_shm_persistent_renews_plain_key_file);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_add_test(errors, test_shm_null_handle);
    tcase_add_test(errors, test_shm_no_key);
    tcase_add_test(errors, test_shm_empty_key);
    tcase_add_test(errors, test_shm_long_key);
    tcase_add_test(errors, test_shm_size_zero);
    tcase_add_test(errors, test_shm_size_huge);
    tcase_add_test(errors, test_shm_attach_missing);
    tcase_add_test(errors, test_shm_message_escapes_name);
    tcase_add_test(errors, test_shm_create_existing);
    tcase_add_test(errors, test_shm_create_existing_while_locked);
    tcase_add_test(errors, test_shm_second_attach);
    tcase_add_test(errors, test_shm_detach_not_attached);
    tcase_add_test(errors, test_shm_lock_misuse);
    tcase_add_test(errors, test_shm_bad_key_reason_kept);
    tcase_add_test(errors, test_shm_bad_access_mode);
    tcase_add_test(errors, test_shm_bad_native_key);
    tcase_add_test(errors, test_shm_error_texts);
    suite_add_tcase(s, errors);

    tu_tcase(limits);
    tcase_set_timeout(limits, 30);
    tcase_add_test(limits, test_shm_limit_shmmax);
    tcase_add_test(limits, test_shm_limit_shmmni);
    suite_add_tcase(s, limits);
    return s;
}
