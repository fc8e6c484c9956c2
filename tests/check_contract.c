/* SPDX-License-Identifier: MIT */
/*
 * check_contract.c -- the segment handle's contract with its caller, where
 * it follows QSharedMemory and where it says why it does not (issue 13):
 * a native key is kept as set and its directory used at each create,
 * attach and lock; a key the handle already has changes nothing; a
 * refused key's reason answers every later call; a second lock, or a lock
 * without a key, is XSIPC_LOCK_ERROR.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* The working directory the test started in, for back_home(). */
static int home_fd = -1;

/* Enters dir, remembering where the test was (a test that moves must come
 * back: without fork mode the next test runs in this process). */
static void go_to(const char *dir)
{
    if (home_fd < 0)
        home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(home_fd, 0);
    ck_assert_msg(chdir(dir) == 0, "chdir %s: %s", dir, strerror(errno));
}

static void back_home(void)
{
    if (home_fd < 0)
        return;
    ck_assert_int_eq(fchdir(home_fd), 0);
    (void)close(home_fd);
    home_fd = -1;
}

static int exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* Asserts that the handle's message contains what. */
#define has_text(shm, what)                                                    \
    ck_assert_msg(strstr(xsipc_shm_error_string(shm), (what)) != NULL,         \
                  "no \"%s\" in \"%s\"", (what), xsipc_shm_error_string(shm))

/* ------------------------------------------------------ 1. native keys */

/* The native key reads back exactly as set, relative or not, before and
 * after the create that resolves it, as Qt's nativeKey(). */
START_TEST(test_contract_native_key_as_set)
{
    xsipc_shm *a = xsipc_shm_new(NULL);
    xsipc_shm *b = xsipc_shm_new(NULL);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    go_to(tu_dir());
    ck_assert_int_eq(xsipc_shm_set_native_key(a, "one"), 0);
    ck_assert_int_eq(xsipc_shm_error(a), XSIPC_NO_ERROR);
    ck_assert_str_eq(xsipc_shm_native_key(a), "one");
    ck_assert_ptr_null(xsipc_shm_key(a));
    ck_assert_msg(xsipc_shm_create(a, 32, XSIPC_READ_WRITE) == 0, "create: %s",
                  xsipc_shm_error_string(a));
    ck_assert_str_eq(xsipc_shm_native_key(a), "one");
    strcpy(xsipc_shm_data(a), "relative");
    /* The same file by its absolute path is the same segment. */
    ck_assert(exists(tu_path("one")));
    ck_assert_int_eq(xsipc_shm_set_native_key(b, tu_path("one")), 0);
    ck_assert_str_eq(xsipc_shm_native_key(b), tu_path("one"));
    ck_assert_msg(xsipc_shm_attach(b, XSIPC_READ_ONLY) == 0, "attach: %s",
                  xsipc_shm_error_string(b));
    ck_assert_str_eq(xsipc_shm_const_data(b), "relative");
    xsipc_shm_free(b);
    xsipc_shm_free(a);
    back_home();
    ck_assert_int_eq(unlink(tu_path("one")), 0);
}
END_TEST

/* A native key in a directory that does not exist is accepted; create
 * fails as Qt's does when it cannot make the key file (KeyError), attach
 * as when there is no key file (NotFound), and the lock with
 * XSIPC_LOCK_ERROR, each naming the path; nothing is made.  Once the
 * directory exists, the same handle creates. */
START_TEST(test_contract_native_key_missing_dir)
{
    char path[PATH_MAX];
    xsipc_shm *shm = xsipc_shm_new(NULL);

    ck_assert_ptr_nonnull(shm);
    snprintf(path, sizeof path, "%s", tu_path("no/such/k"));
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, path), 0);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NO_ERROR);
    ck_assert_str_eq(xsipc_shm_error_string(shm), "");
    ck_assert_str_eq(xsipc_shm_native_key(shm), path);
    tu_shm_fails(shm, xsipc_shm_create(shm, 16, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    has_text(shm, "xsipc_shm_create");
    has_text(shm, "directory");
    has_text(shm, "no/such");
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND);
    has_text(shm, "xsipc_shm_attach");
    has_text(shm, "no/such");
    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_LOCK_ERROR);
    has_text(shm, "no/such");
    tu_shm_fails(shm, xsipc_shm_try_lock(shm), XSIPC_LOCK_ERROR);
    tu_shm_fails(shm, xsipc_shm_lock_timeout(shm, 10), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem() + tu_count_shm(), 0);
    /* The directory is looked for at each call. */
    ck_assert_int_eq(mkdir(tu_path("no"), 0700), 0);
    ck_assert_int_eq(mkdir(tu_path("no/such"), 0700), 0);
    ck_assert_msg(xsipc_shm_create(shm, 16, XSIPC_READ_WRITE) == 0,
                  "create: %s", xsipc_shm_error_string(shm));
    ck_assert(exists(path));
    xsipc_shm_free(shm);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(tu_path("no/such")), 0);
    ck_assert_int_eq(rmdir(tu_path("no")), 0);
}
END_TEST

/* A file on the way where a directory should be (ENOTDIR) is the same
 * case as a missing directory. */
START_TEST(test_contract_native_key_file_on_the_way)
{
    xsipc_shm *shm = xsipc_shm_new(NULL);
    int fd = open(tu_path("plain"), O_CREAT | O_EXCL | O_WRONLY, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(close(fd), 0);
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, tu_path("plain/k")), 0);
    tu_shm_fails(shm, xsipc_shm_create(shm, 16, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_ONLY), XSIPC_NOT_FOUND);
    xsipc_shm_free(shm);
    ck_assert_int_eq(unlink(tu_path("plain")), 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* A relative native key resolves against the working directory of each
 * create, attach and lock, not of set_native_key: set in a/, created in
 * b/; attached it stays in b/ whatever the working directory; detached,
 * an attach from a/ finds no key file there. */
START_TEST(test_contract_native_key_resolves_at_call)
{
    xsipc_shm *shm = xsipc_shm_new(NULL);
    xsipc_shm *peer = xsipc_shm_new(NULL);

    ck_assert_int_eq(mkdir(tu_path("a"), 0700), 0);
    ck_assert_int_eq(mkdir(tu_path("b"), 0700), 0);
    go_to(tu_path("a"));
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, "k"), 0);
    ck_assert_int_eq(chdir(tu_path("b")), 0);
    ck_assert_msg(xsipc_shm_create(shm, 16, XSIPC_READ_WRITE) == 0,
                  "create: %s", xsipc_shm_error_string(shm));
    ck_assert(exists(tu_path("b/k")));
    ck_assert(!exists(tu_path("a/k")));
    ck_assert_str_eq(xsipc_shm_native_key(shm), "k");
    /* The lock of an attached handle is the one of its directory. */
    ck_assert_int_eq(chdir(tu_path("a")), 0);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_set_native_key(peer, tu_path("b/k")), 0);
    tu_shm_fails(peer, xsipc_shm_try_lock(peer), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    ck_assert_int_eq(xsipc_shm_detach(shm), 0);
    /* Detached, the path is looked up again, in a/ now. */
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND);
    ck_assert(!exists(tu_path("a/k")));
    xsipc_shm_free(peer);
    xsipc_shm_free(shm);
    back_home();
    ck_assert_int_eq(unlink(tu_path("b/k")), 0);
    ck_assert_int_eq(rmdir(tu_path("a")), 0);
    ck_assert_int_eq(rmdir(tu_path("b")), 0);
    /* The lock set joined in b/ was left when the handle moved to a/. */
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_sem() + tu_count_shm(), 0);
}
END_TEST

/* What can never be a key file's path is still refused at once, with its
 * reason: a directory's path, and a file name over NAME_MAX. */
START_TEST(test_contract_native_key_refused_at_once)
{
    char path[PATH_MAX];
    xsipc_shm *shm = xsipc_shm_new(NULL);
    size_t len;

    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, tu_path("dir/")),
                 XSIPC_KEY_ERROR);
    has_text(shm, "names a directory");
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, ".."), XSIPC_KEY_ERROR);
    len = (size_t)snprintf(path, sizeof path, "%s/", tu_dir());
    memset(path + len, 'x', 300);
    path[len + 300] = '\0';
    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, path), XSIPC_KEY_ERROR);
    has_text(shm, "NAME_MAX");
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    xsipc_shm_free(shm);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* ------------------------------------------------ 2. the same key again */

/* Creates name's segment on shm, locks it, sets the same key again (as
 * Qt's setKey, a no-op: attached, same mapping, lock held, no error),
 * then another key (detaches and lets the lock go). */
static void same_key_kept(xsipc_shm *shm, const char *name)
{
    void *addr;

    ck_assert_ptr_nonnull(shm);
    ck_assert_msg(xsipc_shm_create(shm, 32, XSIPC_READ_WRITE) == 0,
                  "create: %s", xsipc_shm_error_string(shm));
    addr = xsipc_shm_data(shm);
    strcpy(addr, "kept");
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_set_key(shm, name), 0);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 1);
    ck_assert_ptr_eq(xsipc_shm_data(shm), addr);
    ck_assert_str_eq(xsipc_shm_const_data(shm), "kept");
    ck_assert_str_eq(xsipc_shm_key(shm), name);
    /* The handle's own name, passed back, is the same key too. */
    ck_assert_int_eq(xsipc_shm_set_key(shm, xsipc_shm_key(shm)), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 1);
    /* Still the holder: a second lock is refused, the unlock works. */
    tu_shm_fails(shm, xsipc_shm_try_lock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    /* Another key detaches (the last user: the segment goes) and lets the
     * lock go. */
    ck_assert_int_eq(xsipc_shm_set_key(shm, "another"), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_ptr_null(xsipc_shm_data(shm));
    tu_shm_fails(shm, xsipc_shm_unlock(shm), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_set_key(shm, name), 0);
    tu_shm_fails(shm, xsipc_shm_attach(shm, XSIPC_READ_ONLY), XSIPC_NOT_FOUND);
    xsipc_shm_free(shm);
}

START_TEST(test_contract_set_key_same_in_registry)
{
    same_key_kept(xsipc_shm_new_in(tu_registry(), "same"), "same");
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

START_TEST(test_contract_set_key_same_default)
{
    same_key_kept(xsipc_shm_new("same"), "same");
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* The default directory changed ($TMPDIR): the same name is another key
 * file, so the key is set anew (detached), as Qt's setKey compares the
 * native key too. */
START_TEST(test_contract_set_key_same_other_tmpdir)
{
    char old[PATH_MAX];
    xsipc_shm *shm = xsipc_shm_new("moved");

    snprintf(old, sizeof old, "%s", tu_dir());
    ck_assert_int_eq(mkdir(tu_path("elsewhere"), 0700), 0);
    ck_assert_int_eq(xsipc_shm_create(shm, 16, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(setenv("TMPDIR", tu_path("elsewhere"), 1), 0);
    ck_assert_int_eq(xsipc_shm_set_key(shm, "moved"), 0);
    ck_assert_int_eq(setenv("TMPDIR", old, 1), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_msg(strstr(xsipc_shm_native_key(shm), "/elsewhere/") != NULL,
                  "%s", xsipc_shm_native_key(shm));
    xsipc_shm_free(shm);
    ck_assert_int_eq(rmdir(tu_path("elsewhere")), 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* The same native key string changes nothing either (Qt compares the
 * strings); another spelling of the same file is another key. */
START_TEST(test_contract_set_native_key_same)
{
    char path[PATH_MAX], other[PATH_MAX];
    xsipc_shm *shm = xsipc_shm_new(NULL);
    void *addr;

    snprintf(path, sizeof path, "%s", tu_path("nk"));
    snprintf(other, sizeof other, "%s/./nk", tu_dir());
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, path), 0);
    ck_assert_int_eq(xsipc_shm_create(shm, 16, XSIPC_READ_WRITE), 0);
    addr = xsipc_shm_data(shm);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, path), 0);
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, xsipc_shm_native_key(shm)),
                     0);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 1);
    ck_assert_ptr_eq(xsipc_shm_data(shm), addr);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, other), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    ck_assert_str_eq(xsipc_shm_native_key(shm), other);
    /* (That detach was the last: the segment went.)  A name is not a
     * native key, even one spelt as the native key's file: setting it
     * detaches too. */
    ck_assert_int_eq(xsipc_shm_create(shm, 16, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_set_key(shm, "nk"), 0);
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
    xsipc_shm_free(shm);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* ------------------------------------------ 3. a refused key's reason */

/* Every call on a handle whose key was refused answers with that refusal:
 * the same code and the same message, which holds what (the reason). */
static void reason_everywhere(xsipc_shm *shm, xsipc_error code,
                              const char *what)
{
    char kept[sizeof(xsipc_status)];

    ck_assert_int_eq(xsipc_shm_error(shm), code);
    has_text(shm, what);
    snprintf(kept, sizeof kept, "%s", xsipc_shm_error_string(shm));
#define SAME(call)                                                             \
    do {                                                                       \
        tu_shm_fails(shm, (call), code);                                       \
        ck_assert_str_eq(xsipc_shm_error_string(shm), kept);                   \
    } while (0)
    SAME(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE));
    SAME(xsipc_shm_attach(shm, XSIPC_READ_ONLY));
    SAME(xsipc_shm_lock(shm));
    SAME(xsipc_shm_try_lock(shm));
    SAME(xsipc_shm_lock_timeout(shm, 10));
    SAME(xsipc_shm_unlock(shm));
    SAME(xsipc_shm_detach(shm));
    /* Twice over: nothing in between wore it down to "no key is set". */
    SAME(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE));
    SAME(xsipc_shm_lock(shm));
#undef SAME
    ck_assert_ptr_null(xsipc_shm_key(shm));
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    ck_assert_int_eq(xsipc_shm_is_attached(shm), 0);
}

START_TEST(test_contract_bad_key_reason_kept)
{
    char name[400], path[PATH_MAX];
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), "");
    xsipc_shm *dflt = xsipc_shm_new("");
    size_t len;

    /* Refused by the constructor. */
    ck_assert_ptr_nonnull(shm);
    reason_everywhere(shm, XSIPC_KEY_ERROR, "empty");
    ck_assert_ptr_nonnull(dflt);
    reason_everywhere(dflt, XSIPC_KEY_ERROR, "empty");
    xsipc_shm_free(dflt);
    /* Refused by set_key, after a good key: the good one is gone. */
    ck_assert_int_eq(xsipc_shm_set_key(shm, "good"), 0);
    ck_assert_int_eq(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE), 0);
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    tu_shm_fails(shm, xsipc_shm_set_key(shm, name), XSIPC_KEY_ERROR);
    reason_everywhere(shm, XSIPC_KEY_ERROR, "NAME_MAX");
    tu_shm_fails(shm, xsipc_shm_set_key(shm, ""), XSIPC_KEY_ERROR);
    reason_everywhere(shm, XSIPC_KEY_ERROR, "empty");
    /* Refused native keys keep theirs the same way. */
    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, tu_path("dir/")),
                 XSIPC_KEY_ERROR);
    reason_everywhere(shm, XSIPC_KEY_ERROR, "names a directory");
    len = (size_t)snprintf(path, sizeof path, "%s/", tu_dir());
    memset(path + len, 'x', 300);
    path[len + 300] = '\0';
    tu_shm_fails(shm, xsipc_shm_set_native_key(shm, path), XSIPC_KEY_ERROR);
    reason_everywhere(shm, XSIPC_KEY_ERROR, "NAME_MAX");
    /* A good key clears it; no key at all is "no key is set". */
    ck_assert_int_eq(xsipc_shm_set_key(shm, "good"), 0);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE), 0);
    tu_shm_fails(shm, xsipc_shm_set_key(shm, ""), XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_shm_set_key(shm, NULL), 0);
    tu_shm_fails(shm, xsipc_shm_create(shm, 8, XSIPC_READ_WRITE),
                 XSIPC_KEY_ERROR);
    has_text(shm, "no key is set");
    tu_shm_fails(shm, xsipc_shm_detach(shm), XSIPC_NOT_ATTACHED);
    xsipc_shm_free(shm);
    /* "good", cycled twice, keeps its key files idle until the registry
     * closes (registry/linger.c): the teardown's leak check sees them go. */
}
END_TEST

/* A refused segment key's reason stays the handle's error through
 * xsipc_shm_set_persistent, as the semaphore's through set_undo. */
START_TEST(test_contract_shm_reason_survives_set_persistent)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), "");

    ck_assert_ptr_nonnull(shm);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_shm_set_persistent(shm, 1), 0);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(xsipc_shm_error_string(shm), "empty"));
    ck_assert_int_eq(xsipc_shm_create(shm, 8, XSIPC_READ_WRITE),
                     -XSIPC_KEY_ERROR);
    xsipc_shm_free(shm);
}
END_TEST

/* A semaphore refused at construction keeps its reason through a setter:
 * set_undo once cleared it, and the next release ran on a handle with no
 * registry (a crash). */
START_TEST(test_contract_sem_reason_survives_set_undo)
{
    char name[300];
    xsipc_sem *sem;
    int rc;

    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    sem = xsipc_sem_new_in(tu_registry(), name, 1, XSIPC_OPEN);
    ck_assert_ptr_nonnull(sem);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_sem_set_undo(sem, 0), 0);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    rc = xsipc_sem_release(sem, 1);
    ck_assert_int_eq(rc, -XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(xsipc_sem_error_string(sem), "NAME_MAX"));
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(xsipc_sem_error_string(sem), "NAME_MAX"));
    xsipc_sem_free(sem);
}
END_TEST

/* XSIPC_REMOVE_FORCE: a key file whose record does not parse goes with
 * its claim, but never while an object is at its key; without the flag
 * it is refused, as every lookup of it is. */
START_TEST(test_contract_remove_force_bad_record)
{
    static const char garbage[] = "xsipc-record 1\nkind shm\nproj zz\n";
    char path[PATH_MAX];
    xsipc_status st;
    key_t key;
    int fd, id;

    ck_assert_int_eq(xsipc_registry_key(tu_registry(), "bad", XSIPC_KIND_SHM, 1,
                                        &key, path, sizeof path, &st),
                     0);
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, garbage, sizeof garbage - 1),
                     (ssize_t)(sizeof garbage - 1));
    ck_assert_int_eq(close(fd), 0);
    ck_assert_int_eq(
        xsipc_registry_remove(tu_registry(), "bad", XSIPC_KIND_SHM, 0, &st),
        -XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(st.text, "bad record"));
    /* An object at its key: it stays, and so does the file. */
    id = shmget(key, 64, IPC_CREAT | IPC_EXCL | 0600);
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "bad", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_FORCE, &st),
                     -XSIPC_ALREADY_EXISTS);
    ck_assert_ptr_nonnull(strstr(st.text, "remove the object first"));
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(shmctl(id, IPC_RMID, NULL), 0);
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "bad", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_FORCE, &st),
                     0);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    /* Nothing left to force: NOT_FOUND, as without the flag. */
    ck_assert_int_eq(xsipc_registry_remove(tu_registry(), "bad", XSIPC_KIND_SHM,
                                           XSIPC_REMOVE_FORCE, &st),
                     -XSIPC_NOT_FOUND);
}
END_TEST

/* ------------------------------------------------------- 4. the lock */

/* A second lock by the holder is XSIPC_LOCK_ERROR (Qt warns and returns
 * true); the lock stays held, once: one unlock releases it.  Attached or
 * not. */
static void second_lock(xsipc_shm *a, xsipc_shm *b)
{
    tu_shm_fails(a, xsipc_shm_lock(a), XSIPC_LOCK_ERROR);
    has_text(a, "already held");
    tu_shm_fails(a, xsipc_shm_try_lock(a), XSIPC_LOCK_ERROR);
    tu_shm_fails(a, xsipc_shm_lock_timeout(a, 10), XSIPC_LOCK_ERROR);
    tu_shm_fails(b, xsipc_shm_try_lock(b), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_shm_unlock(a), 0);
    tu_shm_fails(a, xsipc_shm_unlock(a), XSIPC_LOCK_ERROR);
    ck_assert_int_eq(xsipc_shm_try_lock(b), 0);
    ck_assert_int_eq(xsipc_shm_unlock(b), 0);
}

START_TEST(test_contract_second_lock_is_lock_error)
{
    xsipc_shm *a = xsipc_shm_new_in(tu_registry(), "twice");
    xsipc_shm *b = xsipc_shm_new_in(tu_registry(), "twice");

    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    second_lock(a, b);
    ck_assert_int_eq(xsipc_shm_create(a, 16, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_shm_lock(a), 0);
    second_lock(a, b);
    ck_assert_int_eq(xsipc_shm_is_attached(a), 1);
    xsipc_shm_free(b);
    xsipc_shm_free(a);
}
END_TEST

/* A lock on a handle with no key is XSIPC_LOCK_ERROR, Qt's code, saying
 * there is no key -- not XSIPC_NOT_ATTACHED. */
START_TEST(test_contract_lock_without_key)
{
    xsipc_shm *shm = xsipc_shm_new_in(tu_registry(), NULL);
    xsipc_shm *other = xsipc_shm_new_in(tu_registry(), "rekeyed");

    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_LOCK_ERROR);
    has_text(shm, "xsipc_shm_lock");
    has_text(shm, "no key is set");
    tu_shm_fails(shm, xsipc_shm_try_lock(shm), XSIPC_LOCK_ERROR);
    has_text(shm, "no key is set");
    tu_shm_fails(shm, xsipc_shm_lock_timeout(shm, 10), XSIPC_LOCK_ERROR);
    has_text(shm, "no key is set");
    tu_shm_fails(shm, xsipc_shm_unlock(shm), XSIPC_LOCK_ERROR);
    /* A handle whose key is taken away lets its lock go, and then has
     * none to take. */
    ck_assert_int_eq(xsipc_shm_set_key(shm, "rekeyed"), 0);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    tu_shm_fails(other, xsipc_shm_try_lock(other), XSIPC_WOULD_BLOCK);
    ck_assert_int_eq(xsipc_shm_set_key(shm, NULL), 0);
    tu_shm_fails(shm, xsipc_shm_lock(shm), XSIPC_LOCK_ERROR);
    has_text(shm, "no key is set");
    ck_assert_int_eq(xsipc_shm_try_lock(other), 0);
    ck_assert_int_eq(xsipc_shm_unlock(other), 0);
    xsipc_shm_free(other);
    xsipc_shm_free(shm);
}
END_TEST

Suite *contract_suite(void)
{
    Suite *s = suite_create("contract");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tu_tcase(errors);
    tcase_add_test(core, test_contract_native_key_as_set);
    tcase_add_test(core, test_contract_native_key_resolves_at_call);
    tcase_add_test(core, test_contract_set_key_same_in_registry);
    tcase_add_test(core, test_contract_set_key_same_default);
    tcase_add_test(core, test_contract_set_key_same_other_tmpdir);
    tcase_add_test(core, test_contract_set_native_key_same);
    tcase_add_test(errors, test_contract_native_key_missing_dir);
    tcase_add_test(errors, test_contract_native_key_file_on_the_way);
    tcase_add_test(errors, test_contract_native_key_refused_at_once);
    tcase_add_test(errors, test_contract_bad_key_reason_kept);
    tcase_add_test(errors, test_contract_sem_reason_survives_set_undo);
    tcase_add_test(errors, test_contract_shm_reason_survives_set_persistent);
    tcase_add_test(errors, test_contract_remove_force_bad_record);
    tcase_add_test(errors, test_contract_second_lock_is_lock_error);
    tcase_add_test(errors, test_contract_lock_without_key);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}
