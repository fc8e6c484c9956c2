/* SPDX-License-Identifier: MIT */
/*
 * check_api.c -- the header's contract (issue 13): the version macros, the
 * error names, the rule for NULL arguments (every function given a NULL
 * handle fails cleanly, never crashes), and the calls added with it.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "testutil.h"

/* ------------------------------------------------------ version, errors */

START_TEST(test_api_version_hex)
{
    char want[32];

    ck_assert_int_eq(XSIPC_VERSION_HEX >> 16, XSIPC_VERSION_MAJOR);
    ck_assert_int_eq((XSIPC_VERSION_HEX >> 8) & 0xff, XSIPC_VERSION_MINOR);
    ck_assert_int_eq(XSIPC_VERSION_HEX & 0xff, XSIPC_VERSION_MICRO);
    snprintf(want, sizeof want, "%d.%d.%d", XSIPC_VERSION_HEX >> 16,
             (XSIPC_VERSION_HEX >> 8) & 0xff, XSIPC_VERSION_HEX & 0xff);
    ck_assert_str_eq(xsipc_version(), want);
#if XSIPC_VERSION_HEX < 0x000100
#error "XSIPC_VERSION_HEX is not usable in #if"
#endif
}
END_TEST

START_TEST(test_api_error_names)
{
#define CHECK_NAME_(name, value, text)                                         \
    ck_assert_str_eq(xsipc_error_name(name), #name);                           \
    ck_assert_int_eq(name, value);
    XSIPC_ERROR_TABLE(CHECK_NAME_)
#undef CHECK_NAME_
    ck_assert_str_eq(xsipc_error_name(XSIPC_NOT_FOUND), "XSIPC_NOT_FOUND");
    ck_assert_str_eq(xsipc_error_name((xsipc_error)-1),
                     "XSIPC_UNRECOGNISED_ERROR");
    ck_assert_str_eq(xsipc_error_name((xsipc_error)1000),
                     "XSIPC_UNRECOGNISED_ERROR");
    ck_assert_str_eq(xsipc_strerror((xsipc_error)1000),
                     "unrecognised xsipc error code");
}
END_TEST

/* ------------------------------------------------------ NULL arguments */

START_TEST(test_api_null_shm_handle)
{
    ck_assert_int_eq(xsipc_shm_set_key(NULL, "x"), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_set_native_key(NULL, tu_path("x")),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_ptr_null(xsipc_shm_key(NULL));
    ck_assert_ptr_null(xsipc_shm_native_key(NULL));
    ck_assert_int_eq(xsipc_shm_create(NULL, 64, XSIPC_READ_WRITE),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_attach(NULL, XSIPC_READ_ONLY),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_set_persistent(NULL, 1),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_detach(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_is_attached(NULL), 0);
    ck_assert_ptr_null(xsipc_shm_data(NULL));
    ck_assert_ptr_null(xsipc_shm_const_data(NULL));
    ck_assert_uint_eq(xsipc_shm_size(NULL), 0);
    ck_assert_int_eq(xsipc_shm_lock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_try_lock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_lock_timeout(NULL, 10), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_unlock(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_shm_error(NULL), XSIPC_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(xsipc_shm_error_string(NULL));
    xsipc_shm_free(NULL);
}
END_TEST

START_TEST(test_api_null_sem_handle)
{
    ck_assert_int_eq(xsipc_sem_acquire(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_try_acquire(NULL), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_acquire_timeout(NULL, 10),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_release(NULL, 1), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_set_undo(NULL, 0), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_set_persistent(NULL, 1),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_error(NULL), XSIPC_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(xsipc_sem_error_string(NULL));
    xsipc_sem_free(NULL);
}
END_TEST

/* A NULL name is an argument like any bad name: kept in the handle, or
 * XSIPC_KEY_ERROR from the registry; a NULL status is never written. */
START_TEST(test_api_null_names_and_status)
{
    xsipc_registry *reg = tu_registry();
    xsipc_sem *sem;
    xsipc_shm *shm;
    key_t key = 0;

    ck_assert_ptr_null(xsipc_registry_dir(NULL));
    xsipc_registry_close(NULL);
    ck_assert_int_eq(
        xsipc_registry_key(reg, NULL, XSIPC_KIND_SHM, 1, &key, NULL, 0, NULL),
        -XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_registry_remove(reg, NULL, XSIPC_KIND_SEM, 0, NULL),
                     -XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_registry_list(reg, NULL, NULL, NULL), 0);
    ck_assert_int_eq(xsipc_registry_gc(reg, 0, NULL, NULL, NULL), 0);
    ck_assert_ptr_null(xsipc_registry_open(tu_path("none"), 0, NULL));

    ck_assert_ptr_nonnull(sem = xsipc_sem_new_in(reg, NULL, 0, XSIPC_OPEN));
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    /* A setter leaves the reason in place. */
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 1), -XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_KEY_ERROR);
    ck_assert_ptr_nonnull(strstr(xsipc_sem_error_string(sem), "NULL"));
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_sem_release(sem, 1), -XSIPC_KEY_ERROR);
    xsipc_sem_free(sem);

    ck_assert_ptr_nonnull(shm = xsipc_shm_new_in(reg, NULL));
    ck_assert_ptr_null(xsipc_shm_key(shm));
    ck_assert_int_lt(xsipc_shm_attach(shm, XSIPC_READ_ONLY), 0);
    /* NULL unsets the key, as Qt's setKey(QString()). */
    ck_assert_int_eq(xsipc_shm_set_key(shm, NULL), 0);
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, NULL), 0);
    ck_assert_ptr_null(xsipc_shm_native_key(shm));
    ck_assert_int_lt(xsipc_shm_create(shm, 64, XSIPC_READ_WRITE), 0);
    ck_assert_int_lt(xsipc_shm_lock(shm), 0);
    xsipc_shm_free(shm);
}
END_TEST

/* ------------------------------------------- xsipc_sem_set_persistent */

/* The set the handle made outlives it, with its value. */
START_TEST(test_api_sem_set_persistent_keeps_set)
{
    xsipc_registry *reg = tu_registry();
    xsipc_sem *sem;
    int i;

    ck_assert_ptr_nonnull(sem = xsipc_sem_new_in(reg, "kept", 2, XSIPC_OPEN));
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 1), 0);
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 1), 0); /* as it is */
    ck_assert_int_eq(xsipc_sem_release(sem, 1), 0);
    /* Too late now, either way. */
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 0), -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_sem_set_undo(sem, 0), 0);
    xsipc_sem_free(sem);
    ck_assert_int_eq(tu_count_sem(), 1);

    ck_assert_ptr_nonnull(sem = xsipc_sem_new_in(reg, "kept", 0, XSIPC_OPEN));
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem); /* undo gives the three back */
    ck_assert_int_eq(tu_count_sem(), 1);
    ck_assert_int_eq(xsipc_registry_remove(reg, "kept", XSIPC_KIND_SEM,
                                           XSIPC_REMOVE_OBJECT, NULL),
                     0);
    ck_assert_int_eq(tu_count_sem(), 0);
}
END_TEST

/* XSIPC_CREATE: the set made again has the initial value. */
START_TEST(test_api_sem_set_persistent_create_mode)
{
    xsipc_registry *reg = tu_registry();
    xsipc_sem *sem;

    ck_assert_ptr_nonnull(sem = xsipc_sem_new_in(reg, "made", 1, XSIPC_CREATE));
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 1), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), 0);
    ck_assert_int_eq(xsipc_sem_try_acquire(sem), -XSIPC_WOULD_BLOCK);
    xsipc_sem_free(sem);
    ck_assert_int_eq(tu_count_sem(), 1);
    ck_assert_int_eq(xsipc_registry_remove(reg, "made", XSIPC_KIND_SEM,
                                           XSIPC_REMOVE_OBJECT, NULL),
                     0);
    ck_assert_int_eq(tu_count_sem(), 0);
}
END_TEST

/* A set another handle uses keeps its life cycle; the handle stays
 * usable. */
START_TEST(test_api_sem_set_persistent_too_late)
{
    xsipc_registry *reg = tu_registry();
    xsipc_sem *a, *b;

    ck_assert_ptr_nonnull(a = xsipc_sem_new_in(reg, "shared", 1, XSIPC_OPEN));
    ck_assert_ptr_nonnull(b = xsipc_sem_new_in(reg, "shared", 1, XSIPC_OPEN));
    ck_assert_int_eq(xsipc_sem_set_persistent(b, 1), -XSIPC_ALREADY_EXISTS);
    ck_assert_int_eq(xsipc_sem_error(b), XSIPC_ALREADY_EXISTS);
    ck_assert_ptr_nonnull(
        strstr(xsipc_sem_error_string(b), "xsipc_sem_set_persistent"));
    ck_assert_int_eq(xsipc_sem_try_acquire(b), 0);
    ck_assert_int_eq(xsipc_sem_release(b, 1), 0);
    ck_assert_int_eq(xsipc_sem_set_persistent(b, 2), -XSIPC_INVALID_ARGUMENT);
    xsipc_sem_free(b);
    xsipc_sem_free(a);
    ck_assert_int_eq(tu_count_sem(), 0); /* not persistent */
}
END_TEST

/* The deprecated spelling still works. */
START_TEST(test_api_sem_persistent_flag)
{
    xsipc_registry *reg = tu_registry();
    xsipc_sem *sem;

    ck_assert_ptr_nonnull(
        sem = xsipc_sem_new_in(
            reg, "flag", 1,
            (xsipc_sem_mode)(XSIPC_OPEN | XSIPC_SEM_PERSISTENT)));
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 1), 0);
    ck_assert_int_eq(xsipc_sem_set_persistent(sem, 0), -XSIPC_ALREADY_EXISTS);
    xsipc_sem_free(sem);
    ck_assert_int_eq(tu_count_sem(), 1);
    ck_assert_int_eq(xsipc_registry_remove(reg, "flag", XSIPC_KIND_SEM,
                                           XSIPC_REMOVE_OBJECT, NULL),
                     0);
    ck_assert_int_eq(tu_count_sem(), 0);
}
END_TEST

/* -------------------------------------------------- xsipc_registry_stat */

/* One name, as the listing shows it, with the object's mode and ctime. */
START_TEST(test_api_registry_stat_segment)
{
    xsipc_registry *reg = tu_registry();
    xsipc_registry_entry e, again;
    xsipc_status st;
    struct shmid_ds ds;
    struct stat sb;
    xsipc_shm *shm;
    key_t key;

    ck_assert_int_eq(
        xsipc_registry_stat(reg, "looked", XSIPC_KIND_SHM, &e, &st),
        -XSIPC_NOT_FOUND);
    ck_assert_int_eq(st.code, XSIPC_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(st.text, "xsipc_registry_stat"));

    /* A key file with no object: the file's mode and ctime. */
    ck_assert_int_eq(xsipc_registry_key(reg, "looked", XSIPC_KIND_SHM, 1, &key,
                                        NULL, 0, &st),
                     0);
    ck_assert_int_eq(
        xsipc_registry_stat(reg, "looked", XSIPC_KIND_SHM, &e, &st), 0);
    ck_assert_int_eq(st.code, XSIPC_NO_ERROR);
    ck_assert_ptr_nonnull(e.name);
    ck_assert_str_eq(e.name, "looked");
    ck_assert_int_eq(e.key, key);
    ck_assert_int_eq(e.id, -1);
    ck_assert_int_eq(e.status, XSIPC_ENTRY_ORPHAN);
    ck_assert_int_eq(stat(e.path, &sb), 0);
    ck_assert_uint_eq(e.mode, sb.st_mode & 07777);
    ck_assert_int_eq(e.ctime, (long long)sb.st_ctime);
    ck_assert_int_eq(
        xsipc_registry_remove(reg, "looked", XSIPC_KIND_SHM, 0, NULL), 0);

    /* A segment: its own mode and ctime. */
    ck_assert_ptr_nonnull(shm = xsipc_shm_new_in(reg, "seg"));
    ck_assert_int_eq(xsipc_shm_create(shm, 100, XSIPC_READ_WRITE), 0);
    ck_assert_int_eq(xsipc_registry_stat(reg, "seg", XSIPC_KIND_SHM, &e, NULL),
                     0);
    ck_assert_int_ge(e.id, 0);
    ck_assert_int_eq(shmctl(e.id, IPC_STAT, &ds), 0);
    ck_assert_uint_eq(e.mode, ds.shm_perm.mode & 0777);
    ck_assert_uint_eq(e.mode & 0600, 0600);
    ck_assert_int_eq(e.ctime, (long long)ds.shm_ctime);
    ck_assert_uint_ge(e.size, 100);
    ck_assert_uint_eq(e.attached, 1);
    ck_assert_int_eq(e.status, XSIPC_ENTRY_LIVE);
    ck_assert_str_eq(e.name, "seg");

    /* The same as the listing's entry. */
    ck_assert_int_eq(
        xsipc_registry_stat(reg, "seg", XSIPC_KIND_SHM, &again, NULL), 0);
    ck_assert_int_eq(again.key, e.key);
    ck_assert_str_eq(again.path, e.path);
    xsipc_shm_free(shm);
}
END_TEST

/* The lock set of a name is its own entry (kind SEM). */
START_TEST(test_api_registry_stat_semaphore)
{
    xsipc_registry *reg = tu_registry();
    xsipc_registry_entry e;
    struct semid_ds ds;
    xsipc_sem *sem;

    ck_assert_ptr_nonnull(sem = xsipc_sem_new_in(reg, "count", 1, XSIPC_OPEN));
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_NO_ERROR);
    ck_assert_int_eq(
        xsipc_registry_stat(reg, "count", XSIPC_KIND_SHM, &e, NULL),
        -XSIPC_NOT_FOUND);
    ck_assert_int_eq(
        xsipc_registry_stat(reg, "count", XSIPC_KIND_SEM, &e, NULL), 0);
    ck_assert_int_eq(e.kind, XSIPC_KIND_SEM);
    ck_assert_int_ge(e.id, 0);
    ck_assert_int_eq(semctl(e.id, 0, IPC_STAT, &ds), 0);
    ck_assert_uint_eq(e.mode, ds.sem_perm.mode & 0777);
    ck_assert_int_eq(e.ctime, (long long)ds.sem_ctime);
    ck_assert_uint_eq(e.attached, 1);
    xsipc_sem_free(sem);
}
END_TEST

/* The listing gives the new fields too. */
static int keep_entry(const xsipc_registry_entry *e, void *arg)
{
    *(xsipc_registry_entry *)arg = *e;
    return 1;
}

START_TEST(test_api_registry_list_mode_ctime)
{
    xsipc_registry *reg = tu_registry();
    xsipc_registry_entry e;
    struct shmid_ds ds;
    xsipc_shm *shm;

    ck_assert_ptr_nonnull(shm = xsipc_shm_new_in(reg, "listed"));
    ck_assert_int_eq(xsipc_shm_create(shm, 10, XSIPC_READ_WRITE), 0);
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(xsipc_registry_list(reg, keep_entry, &e, NULL), 1);
    if (e.kind != XSIPC_KIND_SHM) { /* the lock set's came first */
        ck_assert_int_eq(
            xsipc_registry_stat(reg, "listed", XSIPC_KIND_SHM, &e, NULL), 0);
    }
    ck_assert_int_eq(shmctl(e.id, IPC_STAT, &ds), 0);
    ck_assert_uint_eq(e.mode, ds.shm_perm.mode & 0777);
    ck_assert_int_eq(e.ctime, (long long)ds.shm_ctime);
    xsipc_shm_free(shm);
}
END_TEST

/* Each thread has its own strings: two threads stat two names at once,
 * many times, and each sees its own name. */
typedef struct stat_job {
    xsipc_registry *reg;
    const char *name;
    int bad;
} stat_job;

static void *stat_loop(void *arg)
{
    stat_job *job = arg;
    xsipc_registry_entry e;
    int i;

    for (i = 0; i < 200; i++)
        if (xsipc_registry_stat(job->reg, job->name, XSIPC_KIND_SHM, &e,
                                NULL) != 0 ||
            e.name == NULL || strcmp(e.name, job->name) != 0 ||
            strstr(e.path, job->name) == NULL)
            job->bad++;
    return NULL;
}

START_TEST(test_api_registry_stat_threads)
{
    xsipc_registry *reg = tu_registry();
    stat_job jobs[2] = {{reg, "first", 0}, {reg, "second", 0}};
    pthread_t t[2];
    int i;

    for (i = 0; i < 2; i++)
        ck_assert_int_eq(xsipc_registry_key(reg, jobs[i].name, XSIPC_KIND_SHM,
                                            1, NULL, NULL, 0, NULL),
                         0);
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, stat_loop, &jobs[i]), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(jobs[i].bad, 0);
        ck_assert_int_eq(
            xsipc_registry_remove(reg, jobs[i].name, XSIPC_KIND_SHM, 0, NULL),
            0);
    }
}
END_TEST

START_TEST(test_api_registry_stat_errors)
{
    xsipc_registry *reg = tu_registry();
    xsipc_registry_entry e;
    xsipc_status st;

    ck_assert_int_eq(xsipc_registry_stat(reg, "x", XSIPC_KIND_SHM, NULL, &st),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(st.code, XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_registry_stat(reg, "x", (xsipc_kind)7, &e, &st),
                     -XSIPC_INVALID_ARGUMENT);
    ck_assert_int_eq(xsipc_registry_stat(reg, NULL, XSIPC_KIND_SHM, &e, NULL),
                     -XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_registry_stat(reg, "", XSIPC_KIND_SEM, &e, &st),
                     -XSIPC_KEY_ERROR);
    ck_assert_int_eq(st.code, XSIPC_KEY_ERROR);
    ck_assert_int_eq(xsipc_registry_stat(reg, "none", XSIPC_KIND_SEM, &e, NULL),
                     -XSIPC_NOT_FOUND);
}
END_TEST

/* --------------------------------------------------------------- suite */

Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tu_tcase(core);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_api_version_hex);
    tcase_add_test(core, test_api_sem_set_persistent_keeps_set);
    tcase_add_test(core, test_api_sem_set_persistent_create_mode);
    tcase_add_test(core, test_api_sem_persistent_flag);
    tcase_add_test(core, test_api_registry_stat_segment);
    tcase_add_test(core, test_api_registry_stat_semaphore);
    tcase_add_test(core, test_api_registry_list_mode_ctime);
    tcase_add_test(core, test_api_registry_stat_threads);
    suite_add_tcase(s, core);

    tu_tcase(errors);
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, test_api_error_names);
    tcase_add_test(errors, test_api_null_shm_handle);
    tcase_add_test(errors, test_api_null_sem_handle);
    tcase_add_test(errors, test_api_null_names_and_status);
    tcase_add_test(errors, test_api_sem_set_persistent_too_late);
    tcase_add_test(errors, test_api_registry_stat_errors);
    suite_add_tcase(s, errors);
    return s;
}
