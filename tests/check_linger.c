/* SPDX-License-Identifier: MIT */
/*
 * check_linger.c -- idle key files (registry/linger.c): in Qt's life cycle
 * a process that removes a name's key files for the second time keeps
 * them, with their claims, for its next use of the name; they go when it
 * closes the registry or exits, are used and removed by others as any key
 * file, and never outlive a failed call or a name used once.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry/registry.h"
#include "testutil.h"

/* create(64) + free of a new handle of name in reg (NULL: the default
 * registry); the key file's inode goes to *ino when not NULL. */
static void cycle(xsipc_registry *reg, const char *name, ino_t *ino)
{
    xsipc_shm *h =
        reg != NULL ? xsipc_shm_new_in(reg, name) : xsipc_shm_new(name);
    struct stat sb;

    ck_assert_ptr_nonnull(h);
    ck_assert_msg(xsipc_shm_create(h, 64, XSIPC_READ_WRITE) == 0, "create: %s",
                  xsipc_shm_error_string(h));
    if (ino != NULL) {
        ck_assert_int_eq(stat(xsipc_shm_native_key(h), &sb), 0);
        *ino = sb.st_ino;
    }
    xsipc_shm_free(h);
}

/* A name used once leaves nothing, in the process itself. */
START_TEST(test_linger_once_leaves_nothing)
{
    cycle(tu_registry(), "once", NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    cycle(NULL, "once-default", NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* The second free keeps the two key files and their claims; the next
 * create uses the same inodes (the same key) and makes no file; the
 * registry's close removes them. */
START_TEST(test_linger_kept_reused_and_closed)
{
    xsipc_status st;
    xsipc_registry *reg = xsipc_registry_open(tu_dir(), 0, &st);
    ino_t first, again;
    int i;

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    cycle(reg, "kept", NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    cycle(reg, "kept", &first);
    /* qipc_sharedmemory_, qipc_systemsem_ and their two claims */
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    for (i = 0; i < 3; i++) {
        cycle(reg, "kept", &again);
        ck_assert_msg(again == first, "cycle %d: inode %lu, was %lu", i,
                      (unsigned long)again, (unsigned long)first);
        ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    }
    if (tu_in_private_ipcns())
        ck_assert_int_eq(tu_count_shm() + tu_count_sem(), 0);
    xsipc_registry_close(reg);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* A child that cycles a name in the default registry and exits leaves
 * nothing; one that ends with _exit (no destructors) leaves the idle files
 * for gc, which takes them for what they are: key files with no object. */
START_TEST(test_linger_exit_and_gc)
{
    xsipc_status st;
    int status, n;
    pid_t pid;

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cycle(NULL, "exits", NULL);
        cycle(NULL, "exits", NULL);
        exit(tu_count_entries(tu_dir()) == 4 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cycle(NULL, "killed", NULL);
        cycle(NULL, "killed", NULL);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    n = xsipc_registry_gc(tu_registry(), XSIPC_GC_NOW, NULL, NULL, &st);
    ck_assert_msg(n >= 2, "gc: %d: %s", n, st.text);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* A forked child's end removes nothing its parent keeps idle. */
START_TEST(test_linger_child_leaves_parents)
{
    ino_t first, again;
    int status;
    pid_t pid;

    cycle(tu_registry(), "parent", NULL);
    cycle(tu_registry(), "parent", &first);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc__reg_linger_end(NULL);
        exit(tu_count_entries(tu_dir()) == 4 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    cycle(tu_registry(), "parent", &again);
    ck_assert(again == first);
}
END_TEST

/* An idle file someone else uses meanwhile is theirs: the keeper's end
 * leaves it while an object is at its key, and its last user removes it. */
START_TEST(test_linger_used_by_another)
{
    int go[2], done[2], status;
    char c;
    pid_t pid;

    cycle(tu_registry(), "shared", NULL);
    cycle(tu_registry(), "shared", NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    ck_assert(pipe(go) == 0 && pipe(done) == 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xsipc__reg_linger_end(NULL); /* none of the parent's: no effect */
        xsipc_shm *h = xsipc_shm_new_in(tu_registry(), "shared");
        if (h == NULL || xsipc_shm_create(h, 64, XSIPC_READ_WRITE) != 0)
            _exit(1);
        if (write(done[1], "c", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        xsipc_shm_free(h); /* its first removal of the name: unlinked */
        exit(tu_count_entries(tu_dir()) == 0 ? 0 : 3);
    }
    ck_assert_int_eq(read(done[0], &c, 1), 1);
    xsipc__reg_linger_end(NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4); /* in use: kept */
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status 0x%x", status);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    close(go[0]);
    close(go[1]);
    close(done[0]);
    close(done[1]);
    /* The keeper's cached key is of a file now gone: a new one is made. */
    cycle(tu_registry(), "shared", NULL);
}
END_TEST

/*
 * The window of the keeper's end: between its test "no object at the key"
 * and its unlink, no xsipc process makes an object, since objects are made
 * under the registry lock and the end holds it.  Put exactly there: the
 * parent holds the registry lock while the keeper (a child) waits for it in
 * its end (seen in /proc/locks), makes a segment at the idle file's key
 * under that hold, and lets go; the keeper must then find the object and
 * keep the file.
 */
START_TEST(test_linger_end_waits_for_a_maker)
{
    int ready[2], go[2], status, id, i, lockfd;
    char path[PATH_MAX], c;
    xsipc_status st;
    xsipc_shm *h;
    key_t key;
    pid_t pid;

    ck_assert(pipe(ready) == 0 && pipe(go) == 0);
    h = xsipc_shm_new_in(tu_registry(), "window");
    ck_assert_ptr_nonnull(h);
    snprintf(path, sizeof path, "%s", xsipc_shm_native_key(h));
    xsipc_shm_free(h);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cycle(tu_registry(), "window", NULL);
        cycle(tu_registry(), "window", NULL);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        xsipc__reg_linger_end(NULL);
        _exit(access(path, F_OK) == 0 ? 0 : 1);
    }
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    key = ftok(path, 'Q');
    ck_assert((lockfd = xsipc__reg_lock(tu_registry(), &st)) >= 0);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    for (i = 0; i < 5000 && !tu_waits_for_flock(pid); i++)
        usleep(1000);
    ck_assert_msg(i < 5000, "the keeper never waited for the registry lock");
    id = shmget(key, 64, IPC_CREAT | IPC_EXCL | 0600);
    ck_assert_int_ge(id, 0);
    xsipc__reg_unlock(lockfd);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the keeper removed a key file with an object at its key "
                  "(status 0x%x)",
                  status);
    ck_assert_int_eq(shmctl(id, IPC_RMID, NULL), 0);
    ck_assert_int_ge(
        xsipc_registry_gc(tu_registry(), XSIPC_GC_NOW, NULL, NULL, &st), 1);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}
END_TEST

/* A Qt peer's removal of an idle file (it unlinks the key file alone, as
 * its last detach does) costs the keeper a new file, and leaves nothing
 * behind once the keeper ends. */
START_TEST(test_linger_removed_as_qt_removes)
{
    char path[PATH_MAX];
    xsipc_shm *h;

    cycle(tu_registry(), "qt", NULL);
    cycle(tu_registry(), "qt", NULL);
    h = xsipc_shm_new_in(tu_registry(), "qt");
    ck_assert_ptr_nonnull(h);
    snprintf(path, sizeof path, "%s", xsipc_shm_native_key(h));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_msg(xsipc_shm_create(h, 64, XSIPC_READ_WRITE) == 0, "create: %s",
                  xsipc_shm_error_string(h));
    xsipc_shm_free(h);
    xsipc__reg_linger_end(NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

/* Calls that fail keep nothing idle, however often they fail. */
START_TEST(test_linger_failed_calls_keep_nothing)
{
    xsipc_shm *h;
    int i;

    for (i = 0; i < 3; i++) {
        h = xsipc_shm_new_in(tu_registry(), "fails");
        ck_assert_ptr_nonnull(h);
        ck_assert_int_lt(xsipc_shm_attach(h, XSIPC_READ_WRITE), 0);
        ck_assert_int_lt(xsipc_shm_create(h, (size_t)-1 / 2, XSIPC_READ_WRITE),
                         0);
        xsipc_shm_free(h);
        ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
    }
}
END_TEST

/* A persistent registry keeps its files anyway: nothing is idle there,
 * and its close removes nothing. */
START_TEST(test_linger_not_in_persistent)
{
    xsipc_status st;
    xsipc_registry *reg =
        xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);

    ck_assert_msg(reg != NULL, "open: %s", st.text);
    cycle(reg, "p", NULL);
    cycle(reg, "p", NULL);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    xsipc_registry_close(reg);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 4);
    reg = xsipc_registry_open(tu_dir(), XSIPC_REGISTRY_PERSISTENT, &st);
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(xsipc_registry_remove(reg, "p", XSIPC_KIND_SHM, 0, &st),
                     0);
    ck_assert_int_eq(xsipc_registry_remove(reg, "p", XSIPC_KIND_SEM, 0, &st),
                     0);
    xsipc_registry_close(reg);
    ck_assert_int_eq(tu_count_entries(tu_dir()), 0);
}
END_TEST

Suite *linger_suite(void)
{
    Suite *s = suite_create("linger");
    TCase *tc = tcase_create("core");

    tu_tcase(tc);
    tcase_add_test(tc, test_linger_once_leaves_nothing);
    tcase_add_test(tc, test_linger_kept_reused_and_closed);
    tcase_add_test(tc, test_linger_exit_and_gc);
    tcase_add_test(tc, test_linger_child_leaves_parents);
    tcase_add_test(tc, test_linger_used_by_another);
    tcase_add_test(tc, test_linger_end_waits_for_a_maker);
    tcase_add_test(tc, test_linger_removed_as_qt_removes);
    tcase_add_test(tc, test_linger_failed_calls_keep_nothing);
    tcase_add_test(tc, test_linger_not_in_persistent);
    suite_add_tcase(s, tc);
    return s;
}
