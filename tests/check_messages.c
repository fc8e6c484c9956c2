/* SPDX-License-Identifier: MIT */
/*
 * check_messages.c -- error messages keep their cause at any path length.
 *
 * Every test works in a registry directory of at least LONG_DIR bytes made
 * inside the fixture's directory (TMPDIR points at it), and drives one
 * error path that puts a path or a name into its message: a missing,
 * unwritable or untrusted directory, an untrusted or corrupt key file, a
 * bad name, a collision, a missing or existing object, a kernel limit or a
 * refused call (through the lib/sysv seam), a lock that stays held, a dead
 * owner, and the xsipc command's own messages.  Each message must
 *  - be shorter than its buffer (a status text filled to the last byte may
 *    have been cut),
 *  - start with the operation and the expected cause (the library's form
 *    is "OPERATION: CAUSE: OBJECT", common/status.c),
 *  - end with the end of the path or name it names (nothing was cut),
 *  - show "..." where the path or name was too long to show whole,
 *  - carry no raw control byte.
 * The xsipc command writes to a terminal, with no buffer: its messages
 * must start with the cause and end with the whole name or path.
 *
 * Cases that need root (chown to uid 65534, an object owned by it) are
 * skipped without it (tu_need_root).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "private.h"

/* The registry directory's length at the least. */
#define LONG_DIR 200
/* A name long enough to be shortened in messages. */
#define LONG_NAME "a-rather-long-name-for-a-segment-that-goes-on-and-ends-TAIL"
/* Exit code of a child that could not become the stranger. */
#define SKIPPED 77
#define STRANGER_UID TU_STRANGER
#define TEXT_MAX (sizeof(((xsipc_status *)0)->text))

static char long_dir[PATH_MAX];
static xsipc_registry *long_reg;

/* The registry lock's waits (nanosleep) are skipped while this is set:
 * its 10 s wait then costs no time.  Linked with --wrap=nanosleep. */
static int skip_sleeps;
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (skip_sleeps)
        return 0;
    return __real_nanosleep(req, rem);
}

/* ------------------------------------------------------------ fixture */

/* The fixture's directory, resolved, and a directory of LONG_DIR bytes
 * (or a few more than the fixture's own) inside it, which TMPDIR names. */
static void long_setup(void)
{
    char real[PATH_MAX], *p;
    size_t len, n;

    ck_assert(realpath(tu_dir(), real) != NULL);
    len = strlen(real);
    n = len + 1 + 8 < LONG_DIR ? LONG_DIR - len - 1 : 8;
    ck_assert(len + 1 + n < sizeof long_dir);
    memcpy(long_dir, real, len);
    long_dir[len] = '/';
    p = long_dir + len + 1;
    memset(p, 'd', n);
    p[n] = '\0';
    ck_assert_msg(mkdir(long_dir, 0755) == 0, "mkdir %s: %s", long_dir,
                  strerror(errno));
    ck_assert(strlen(long_dir) >= LONG_DIR);
    ck_assert(setenv("TMPDIR", long_dir, 1) == 0);
    long_reg = NULL;
}

static void long_teardown(void)
{
    xsipc__sys_set_hook(NULL, NULL);
    skip_sleeps = 0;
    xsipc_registry_close(long_reg);
    long_reg = NULL;
}

/* The registry of the long directory, opened once per test. */
static xsipc_registry *reg(void)
{
    xsipc_status st;

    if (long_reg == NULL) {
        long_reg = xsipc_registry_open(long_dir, 0, &st);
        ck_assert_msg(long_reg != NULL, "open %s: %s", long_dir, st.text);
    }
    return long_reg;
}

/* "<long dir>/<name>" (static buffer, one of 4 rotating). */
static const char *in_long(const char *name)
{
    static char bufs[4][PATH_MAX + 256];
    static unsigned next;
    char *b = bufs[next++ % 4];

    ck_assert(snprintf(b, PATH_MAX + 256, "%s/%s", long_dir, name) <
              PATH_MAX + 256);
    return b;
}

/* The key file name of name (static buffer, one of 4 rotating). */
static const char *file_of(xsipc_kind kind, const char *name)
{
    static char bufs[4][256];
    static unsigned next;
    char *b = bufs[next++ % 4];
    xsipc_status st;

    ck_assert_msg(xsipc__reg_file_name(kind, name, b, 256, &st) == 0, "%s",
                  st.text);
    return b;
}

/* The last 16 bytes of name's key file: how a message about it ends. */
static const char *file_end(xsipc_kind kind, const char *name)
{
    const char *f = file_of(kind, name);

    return f + strlen(f) - 16;
}

/* The key of name's key file, made now when create is set. */
static key_t key_of(xsipc_kind kind, const char *name, int create)
{
    xsipc_status st;
    key_t key = 0;

    ck_assert_msg(
        xsipc_registry_key(reg(), name, kind, create, &key, NULL, 0, &st) == 0,
        "xsipc_registry_key(%s): %s", name, st.text);
    return key;
}

/* Removes name's key file, as the key_of that made it. */
static void remove_key(xsipc_kind kind, const char *name)
{
    xsipc_status st;

    ck_assert_msg(xsipc_registry_remove(reg(), name, kind, 0, &st) == 0,
                  "xsipc_registry_remove(%s): %s", name, st.text);
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert((size_t)write(fd, data, len) == len);
    close(fd);
}

/* A key file's path in the long directory. */
static const char *key_path(xsipc_kind kind, const char *name)
{
    return in_long(file_of(kind, name));
}

/* printf into a static buffer (one of 4 rotating): expected causes. */
static const char *fmt(const char *f, ...)
{
    static char bufs[4][512];
    static unsigned next;
    char *b = bufs[next++ % 4];
    va_list ap;

    va_start(ap, f);
    (void)vsnprintf(b, 512, f, ap);
    va_end(ap);
    return b;
}

/* ------------------------------------------------------------ checks */

/* Whether msg starts with pattern, in which '#' stands for a hex digit. */
static int starts_like(const char *msg, const char *pattern)
{
    size_t i;

    for (i = 0; pattern[i] != '\0'; i++) {
        char c = msg[i];
        if (pattern[i] == '#') {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return 0;
        } else if (c != pattern[i]) {
            return 0;
        }
    }
    return 1;
}

static int ends_with(const char *msg, const char *end)
{
    size_t len = strlen(msg), n = strlen(end);

    return len >= n && strcmp(msg + len - n, end) == 0;
}

/*
 * The checks of the header on a library message: cause is what it starts
 * with ('#': a hex digit), end what it ends with; elided: it must show
 * "..." (its path or name was too long to show whole).  line: the
 * caller's, for the report.
 */
static void check_msg(int line, const char *msg, const char *cause,
                      const char *end, int elided)
{
    size_t len = strlen(msg), i;

    ck_assert_msg(len < TEXT_MAX - 1,
                  "line %d: %zu bytes fill the %zu-byte buffer (cut?): %s",
                  line, len, TEXT_MAX, msg);
    ck_assert_msg(starts_like(msg, cause),
                  "line %d: the cause \"%s\" is not first in: %s", line, cause,
                  msg);
    ck_assert_msg(ends_with(msg, end),
                  "line %d: not ending in \"%s\" (cut?): %s", line, end, msg);
    ck_assert_msg(!elided || strstr(msg, "...") != NULL,
                  "line %d: a long path or name, and no \"...\": %s", line,
                  msg);
    for (i = 0; i < len; i++)
        ck_assert_msg((unsigned char)msg[i] >= 0x20 &&
                          (unsigned char)msg[i] != 0x7f,
                      "line %d: raw control byte 0x%02x in: %s", line,
                      (unsigned char)msg[i], msg);
}
#define CHECK_MSG(msg, cause, end) check_msg(__LINE__, (msg), (cause), (end), 1)

/* A failed call that filled st: it returned -want, st has want. */
static void check_status(int line, int rc, const xsipc_status *st,
                         xsipc_error want, const char *cause, const char *end)
{
    ck_assert_msg(rc == -(int)want, "line %d: returned %d, expected %d: %s",
                  line, rc, -(int)want, st->text);
    ck_assert_msg(st->code == want, "line %d: code %d, expected %d", line,
                  (int)st->code, (int)want);
    check_msg(line, st->text, cause, end, 1);
}
#define CHECK_STATUS(rc, st, want, cause, end)                                 \
    check_status(__LINE__, (rc), &(st), (want), (cause), (end))

/* Looking up the segment name (not making it) fails with want; the
 * message ends with its key file. */
static void lookup_fails(int line, const char *name, xsipc_error want,
                         const char *cause)
{
    xsipc_status st;
    int rc =
        xsipc_registry_key(reg(), name, XSIPC_KIND_SHM, 0, NULL, NULL, 0, &st);

    check_status(line, rc, &st, want, cause, file_end(XSIPC_KIND_SHM, name));
}
#define LOOKUP_FAILS(name, want, cause)                                        \
    lookup_fails(__LINE__, (name), (want), (cause))

/* A failed handle call; the message ends with the key file of kind. */
#define CHECK_SHM(shm, rc, want, cause, kind)                                  \
    do {                                                                       \
        tu_shm_fails((shm), (rc), (want));                                     \
        CHECK_MSG(xsipc_shm_error_string(shm), (cause),                        \
                  file_end((kind), LONG_NAME));                                \
    } while (0)

/* The status of a failed xsipc_registry_open of <long dir>/sub. */
static void open_fails(int line, const char *sub, xsipc_error want,
                       const char *cause)
{
    xsipc_status st;
    xsipc_registry *r = xsipc_registry_open(in_long(sub), 0, &st);

    if (r != NULL)
        xsipc_registry_close(r);
    ck_assert_msg(r == NULL, "line %d: xsipc_registry_open(%s) succeeded", line,
                  sub);
    ck_assert_int_eq(st.code, want);
    check_msg(line, st.text, cause, fmt("/%s", sub), 1);
}
#define OPEN_FAILS(sub, want, cause)                                           \
    open_fails(__LINE__, (sub), (want), (cause))

/* -------------------------------------------------------- processes */

/* Runs fn(arg, st) in a child, as uid STRANGER_UID when we are root, and
 * returns what it put in st; SKIPPED (st untouched) when the child could
 * not become that uid.  The child uses the registries it inherits (their
 * directory descriptors), so it needs no search permission on the path. */
typedef void (*stranger_fn)(void *arg, xsipc_status *st);
static int as_stranger(stranger_fn fn, void *arg, xsipc_status *st)
{
    int fds[2], status;
    ssize_t n;
    pid_t pid;

    ck_assert(pipe(fds) == 0);
    pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        xsipc_status cst = {XSIPC_NO_ERROR, ""};
        close(fds[0]);
        if (geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(STRANGER_UID) != 0 ||
             setuid(STRANGER_UID) != 0))
            _exit(SKIPPED);
        fn(arg, &cst);
        _exit(write(fds[1], &cst, sizeof cst) == (ssize_t)sizeof cst ? 0 : 1);
    }
    close(fds[1]);
    n = read(fds[0], st, sizeof *st);
    close(fds[0]);
    ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    if (WEXITSTATUS(status) == SKIPPED)
        return SKIPPED;
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(n == (ssize_t)sizeof *st);
    return 0;
}

/* as_stranger, and the failure it saw must be want, with a message that
 * starts with cause and ends with end.  0, or SKIPPED. */
static int stranger_fails(int line, stranger_fn fn, void *arg, xsipc_error want,
                          const char *cause, const char *end)
{
    xsipc_status st;

    if (as_stranger(fn, arg, &st) == SKIPPED)
        return SKIPPED;
    ck_assert_msg(st.code == want, "line %d: code %d, expected %d: %s", line,
                  (int)st.code, (int)want, st.text);
    check_msg(line, st.text, cause, end, 1);
    return 0;
}

/* Runs xsipc -r <long dir> args (NULL-terminated, at most 8) and returns
 * its exit status; err gets the first line of its standard error, without
 * the newline.  The command is top_builddir/tools/xsipc. */
static int run_xsipc(const char *const *args, char *err, size_t len)
{
    const char *top = getenv("top_builddir"), *argv[12];
    char bin[PATH_MAX], *nl;
    int fds[2], status, argc = 0;
    size_t got = 0;
    ssize_t n;
    pid_t pid;

    snprintf(bin, sizeof bin, "%s/tools/xsipc",
             top != NULL && *top != '\0' ? top : ".");
    argv[argc++] = bin;
    argv[argc++] = "-r";
    argv[argc++] = long_dir;
    while (argc < 11 && *args != NULL)
        argv[argc++] = *args++;
    argv[argc] = NULL;
    ck_assert(pipe(fds) == 0);
    pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        dup2(open("/dev/null", O_WRONLY), 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    while (got + 1 < len && (n = read(fds[0], err + got, len - 1 - got)) > 0)
        got += (size_t)n;
    err[got] = '\0';
    close(fds[0]);
    ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    if ((nl = strchr(err, '\n')) != NULL)
        *nl = '\0';
    return WEXITSTATUS(status);
}

/* The command given args exits with code, and its message starts with
 * the cause and ends with end (a terminal has no buffer to fill: the
 * whole name or path). */
static void tool_fails(int line, const char *const *args, int code,
                       const char *cause, const char *end)
{
    char err[2048];

    ck_assert_msg(run_xsipc(args, err, sizeof err) == code,
                  "line %d: xsipc %s did not exit %d: %s", line, args[0], code,
                  err);
    ck_assert_msg(starts_like(err, cause),
                  "line %d: the cause \"%s\" is not first in: %s", line, cause,
                  err);
    ck_assert_msg(ends_with(err, end), "line %d: not ending in \"%s\": %s",
                  line, end, err);
}
#define TOOL_FAILS(args, code, cause, end)                                     \
    tool_fails(__LINE__, (args), (code), (cause), (end))

/* A handle on LONG_NAME in the long registry, created with 4096 bytes. */
static xsipc_shm *shm_made(void)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg(), LONG_NAME);

    ck_assert(shm != NULL);
    ck_assert_msg(xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE) == 0, "%s",
                  xsipc_shm_error_string(shm));
    return shm;
}

/* A second handle on LONG_NAME. */
static xsipc_shm *peer(void)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg(), LONG_NAME);

    ck_assert(shm != NULL);
    return shm;
}

/* The seam: every call of the kind in hook_call fails with hook_errno. */
static xsipc__sys_call hook_call;
static int hook_errno;
static int fail_call(xsipc__sys_call call, void *arg)
{
    (void)arg;
    return call == hook_call ? hook_errno : 0;
}
static void fail_calls(xsipc__sys_call call, int err)
{
    hook_call = call;
    hook_errno = err;
    xsipc__sys_set_hook(fail_call, NULL);
}

/* The quoted start of LONG_NAME in a message, after the cause. */
#define SHOWN_NAME ": \"a-rather-long-"

/* ---------------------------------------------------------------- core */

/* The long directory itself works: the failures below are the ones each
 * test means, not a side effect of the length. */
START_TEST(test_messages_long_dir_works)
{
    xsipc_shm *shm = shm_made(), *other = peer();

    ck_assert_int_eq(xsipc_shm_attach(other, XSIPC_READ_ONLY), 0);
    ck_assert_int_eq(xsipc_shm_lock(other), 0);
    ck_assert_int_eq(xsipc_shm_unlock(other), 0);
    xsipc_shm_free(other);
    xsipc_shm_free(shm);
    ck_assert(strlen(xsipc_registry_dir(reg())) >= LONG_DIR);
}
END_TEST

/* ----------------------------------------------------- the directory */

START_TEST(test_messages_missing_dir)
{
    OPEN_FAILS("missing", XSIPC_NOT_FOUND,
               "xsipc_registry_open: cannot open the registry directory: No "
               "such file or directory: directory ");
}
END_TEST

START_TEST(test_messages_not_a_dir)
{
    write_file(in_long("plain"), "", 0);
    OPEN_FAILS("plain", XSIPC_KEY_ERROR,
               "xsipc_registry_open: cannot open the registry directory: Not "
               "a directory: directory ");
    ck_assert(unlink(in_long("plain")) == 0);
}
END_TEST

START_TEST(test_messages_writable_dir)
{
    ck_assert(mkdir(in_long("shared"), 0755) == 0);
    ck_assert(chmod(in_long("shared"), 0777) == 0);
    OPEN_FAILS("shared", XSIPC_UNTRUSTED,
               "xsipc_registry_open: the registry directory is writable by "
               "others without the sticky bit (mode 0777): directory ");
}
END_TEST

START_TEST(test_messages_foreign_dir)
{
    tu_need_root();
    ck_assert(mkdir(in_long("theirs"), 0755) == 0);
    ck_assert(chown(in_long("theirs"), STRANGER_UID, STRANGER_UID) == 0);
    OPEN_FAILS("theirs", XSIPC_UNTRUSTED,
               fmt("xsipc_registry_open: the registry directory is owned by "
                   "uid %d, not by us (uid 0), root or a trusted uid: "
                   "directory ",
                   STRANGER_UID));
}
END_TEST

/* A registry of a directory the caller may not write (0555): making a
 * key file in it fails. */
static void make_key(void *arg, xsipc_status *st)
{
    int rc = xsipc_registry_key((xsipc_registry *)arg, "unwritable",
                                XSIPC_KIND_SHM, 1, NULL, NULL, 0, st);

    /* The code returned is the status's: a mismatch fails the caller's
     * check of st->code. */
    if (rc != -(int)st->code)
        st->code = XSIPC_UNKNOWN_ERROR;
}

START_TEST(test_messages_unwritable_dir)
{
    xsipc_registry *ro;
    xsipc_status st;
    int rc;

    ck_assert(mkdir(in_long("ro"), 0755) == 0);
    ro = xsipc_registry_open(in_long("ro"), 0, &st);
    ck_assert_msg(ro != NULL, "%s", st.text);
    ck_assert(chmod(in_long("ro"), 0555) == 0);
    rc = stranger_fails(__LINE__, make_key, ro, XSIPC_KEY_ERROR,
                        "xsipc_registry_key: cannot create the key file: "
                        "making its temporary file: Permission denied: key "
                        "file ",
                        file_end(XSIPC_KIND_SHM, "unwritable"));
    xsipc_registry_close(ro);
    if (rc == SKIPPED)
        tu_skip("root is refused nothing: the case needs to become uid %d, "
                "which a user namespace's root cannot",
                STRANGER_UID);
}
END_TEST

/* -------------------------------------------------------- key files */

START_TEST(test_messages_foreign_key_file)
{
    tu_need_root();
    write_file(key_path(XSIPC_KIND_SHM, "squatted"), "", 0);
    ck_assert(chown(key_path(XSIPC_KIND_SHM, "squatted"), STRANGER_UID,
                    STRANGER_UID) == 0);
    LOOKUP_FAILS("squatted", XSIPC_UNTRUSTED,
                 fmt("xsipc_registry_key: the key file is owned by uid %d, not "
                     "by us (uid 0), root or a trusted uid: key file ",
                     STRANGER_UID));
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "squatted")) == 0);
}
END_TEST

START_TEST(test_messages_key_file_symlink)
{
    ck_assert(symlink("elsewhere", key_path(XSIPC_KIND_SHM, "link")) == 0);
    LOOKUP_FAILS("link", XSIPC_UNTRUSTED,
                 "xsipc_registry_key: the key file is a symbolic link: key "
                 "file ");
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "link")) == 0);
}
END_TEST

START_TEST(test_messages_key_file_hard_link)
{
    (void)key_of(XSIPC_KIND_SHM, "linked", 1);
    ck_assert(link(key_path(XSIPC_KIND_SHM, "linked"), in_long("second")) == 0);
    /* Itself, its claim and the second name. */
    LOOKUP_FAILS("linked", XSIPC_UNTRUSTED,
                 "xsipc_registry_key: the key file has 3 hard links: key "
                 "file ");
    ck_assert(unlink(in_long("second")) == 0);
    remove_key(XSIPC_KIND_SHM, "linked");
    /* A file Qt made, with a second name: that is no claim. */
    write_file(key_path(XSIPC_KIND_SHM, "qt"), "", 0);
    ck_assert(link(key_path(XSIPC_KIND_SHM, "qt"), in_long("second")) == 0);
    LOOKUP_FAILS("qt", XSIPC_UNTRUSTED,
                 "xsipc_registry_key: the key file has 2 hard links, and the "
                 "second is not its claim: key file ");
    ck_assert(unlink(in_long("second")) == 0);
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "qt")) == 0);
}
END_TEST

START_TEST(test_messages_key_file_fifo)
{
    ck_assert(mkfifo(key_path(XSIPC_KIND_SHM, "fifo"), 0640) == 0);
    LOOKUP_FAILS("fifo", XSIPC_KEY_ERROR,
                 "xsipc_registry_key: the key file is not a regular file: "
                 "key file ");
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "fifo")) == 0);
}
END_TEST

/* A key file the caller may not read (mode 0). */
static void look_up_denied(void *arg, xsipc_status *st)
{
    int rc = xsipc_registry_key((xsipc_registry *)arg, "denied", XSIPC_KIND_SHM,
                                0, NULL, NULL, 0, st);

    if (rc != -(int)st->code) /* as in make_key */
        st->code = XSIPC_UNKNOWN_ERROR;
}

START_TEST(test_messages_key_file_denied)
{
    int rc;

    (void)key_of(XSIPC_KIND_SHM, "denied", 1);
    ck_assert(chmod(key_path(XSIPC_KIND_SHM, "denied"), 0) == 0);
    rc =
        stranger_fails(__LINE__, look_up_denied, reg(), XSIPC_PERMISSION_DENIED,
                       "xsipc_registry_key: cannot open the key file: "
                       "Permission denied: key file ",
                       file_end(XSIPC_KIND_SHM, "denied"));
    ck_assert(chmod(key_path(XSIPC_KIND_SHM, "denied"), 0640) == 0);
    remove_key(XSIPC_KIND_SHM, "denied");
    if (rc == SKIPPED)
        tu_skip("root is refused nothing: the case needs to become uid %d, "
                "which a user namespace's root cannot",
                STRANGER_UID);
}
END_TEST

START_TEST(test_messages_corrupt_key_file)
{
    static const char garbage[] = "\x7f"
                                  "ELF\x02\x01\x01";

    write_file(key_path(XSIPC_KIND_SHM, "corrupt"), garbage,
               sizeof garbage - 1);
    LOOKUP_FAILS("corrupt", XSIPC_KEY_ERROR,
                 "xsipc_registry_key: the key file has a bad record (");
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "corrupt")) == 0);
}
END_TEST

START_TEST(test_messages_oversized_record)
{
    static char big[XSIPC__REC_MAX + 1];

    memset(big, 'x', sizeof big);
    write_file(key_path(XSIPC_KIND_SHM, "big"), big, sizeof big);
    LOOKUP_FAILS("big", XSIPC_KEY_ERROR,
                 fmt("xsipc_registry_key: the key file's record of %zu bytes "
                     "is over the limit of %d: key file ",
                     sizeof big, XSIPC__REC_MAX));
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "big")) == 0);
}
END_TEST

/* A segment's key file whose record is a semaphore set's. */
START_TEST(test_messages_record_of_other_kind)
{
    (void)key_of(XSIPC_KIND_SEM, "kind", 1);
    ck_assert(rename(key_path(XSIPC_KIND_SEM, "kind"),
                     key_path(XSIPC_KIND_SHM, "kind")) == 0);
    LOOKUP_FAILS("kind", XSIPC_KEY_ERROR,
                 "xsipc_registry_key: the key file's record is for a "
                 "semaphore set: key file ");
    ck_assert(rename(key_path(XSIPC_KIND_SHM, "kind"),
                     key_path(XSIPC_KIND_SEM, "kind")) == 0);
    remove_key(XSIPC_KIND_SEM, "kind");
}
END_TEST

/* A key file whose record names another name: the key would be shared. */
START_TEST(test_messages_key_collision)
{
    (void)key_of(XSIPC_KIND_SHM, LONG_NAME, 1);
    ck_assert(rename(key_path(XSIPC_KIND_SHM, LONG_NAME),
                     key_path(XSIPC_KIND_SHM, "victim")) == 0);
    LOOKUP_FAILS("victim", XSIPC_KEY_COLLISION,
                 "xsipc_registry_key: the key file records another name, "
                 "\"a-rather-long-name");
    ck_assert(rename(key_path(XSIPC_KIND_SHM, "victim"),
                     key_path(XSIPC_KIND_SHM, LONG_NAME)) == 0);
    remove_key(XSIPC_KIND_SHM, LONG_NAME);
}
END_TEST

/* An empty (Qt-made) key file for name; its key, and its claim's path. */
static key_t planted_key(const char *name, char *claim, size_t len)
{
    struct stat sb;
    key_t key;

    write_file(key_path(XSIPC_KIND_SHM, name), "", 0);
    ck_assert(stat(key_path(XSIPC_KIND_SHM, name), &sb) == 0);
    key = (key_t)(((unsigned)'Q' << 24) | ((sb.st_dev & 0xffu) << 16) |
                  (sb.st_ino & 0xffffu));
    snprintf(claim, len, "%s/.claim-%08x", long_dir, (unsigned)key);
    return key;
}

/* A claim that is a directory: no claim xsipc made. */
START_TEST(test_messages_planted_claim)
{
    char claim[PATH_MAX + 32];
    key_t key = planted_key("planted", claim, sizeof claim);

    ck_assert(mkdir(claim, 0700) == 0);
    LOOKUP_FAILS("planted", XSIPC_UNTRUSTED,
                 fmt("xsipc_registry_key: the claim of key 0x%08x is not a "
                     "claim made by xsipc (a hard link of its key file): key "
                     "file ",
                     (unsigned)key));
    ck_assert(rmdir(claim) == 0);
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "planted")) == 0);
}
END_TEST

/* A claim that is a stranger's symbolic link. */
START_TEST(test_messages_foreign_claim)
{
    char claim[PATH_MAX + 32];
    key_t key;

    tu_need_root();
    key = planted_key("claimed", claim, sizeof claim);
    ck_assert(symlink(file_of(XSIPC_KIND_SHM, "claimed"), claim) == 0);
    ck_assert(lchown(claim, STRANGER_UID, STRANGER_UID) == 0);
    LOOKUP_FAILS("claimed", XSIPC_UNTRUSTED,
                 fmt("xsipc_registry_key: the claim of key 0x%08x is owned by "
                     "uid %d, not by us (uid 0), root or a trusted uid: key "
                     "file ",
                     (unsigned)key, STRANGER_UID));
    ck_assert(unlink(claim) == 0);
    ck_assert(unlink(key_path(XSIPC_KIND_SHM, "claimed")) == 0);
}
END_TEST

START_TEST(test_messages_remove_missing)
{
    xsipc_status st;
    int rc = xsipc_registry_remove(reg(), LONG_NAME, XSIPC_KIND_SHM, 0, &st);

    CHECK_STATUS(rc, st, XSIPC_NOT_FOUND,
                 "xsipc_registry_remove: no such key file: key file ",
                 file_end(XSIPC_KIND_SHM, LONG_NAME));
}
END_TEST

START_TEST(test_messages_remove_in_use)
{
    xsipc_shm *shm = shm_made();
    key_t key = key_of(XSIPC_KIND_SHM, LONG_NAME, 0);
    xsipc_status st;
    int rc = xsipc_registry_remove(reg(), LONG_NAME, XSIPC_KIND_SHM, 0, &st);

    CHECK_STATUS(rc, st, XSIPC_ALREADY_EXISTS,
                 fmt("xsipc_registry_remove: a segment (id %d) exists at key "
                     "0x%08x (XSIPC_REMOVE_OBJECT removes it when unused): "
                     "key file ",
                     shmget(key, 0, 0), (unsigned)key),
                 file_end(XSIPC_KIND_SHM, LONG_NAME));
    xsipc_shm_free(shm);
}
END_TEST

/* ------------------------------------------------------------- names */

START_TEST(test_messages_name_empty)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg(), "");

    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    check_msg(__LINE__, xsipc_shm_error_string(shm),
              "xsipc_shm_set_key: the key is empty", "the key is empty", 0);
    xsipc_shm_free(shm);
}
END_TEST

/* A name whose key file name would pass NAME_MAX, with a control
 * sequence in it: quoted, and shortened in its middle. */
START_TEST(test_messages_name_too_long)
{
    char name[400];
    xsipc_shm *shm;

    strcpy(name, "\x1b[31m");
    memset(name + 5, 'n', 300);
    strcpy(name + 305, "-the-END");
    shm = xsipc_shm_new_in(reg(), name);
    ck_assert_int_eq(xsipc_shm_error(shm), XSIPC_KEY_ERROR);
    CHECK_MSG(xsipc_shm_error_string(shm),
              "xsipc_shm_set_key: the key's file name would be ### bytes, "
              "over NAME_MAX (255): key \"\\x1b[31m",
              "-the-END\"");
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_messages_native_key_directory)
{
    xsipc_shm *shm = xsipc_shm_new_in(reg(), NULL);
    const char *path = fmt("%s/", long_dir);

    ck_assert_int_eq(xsipc_shm_set_native_key(shm, path), -XSIPC_KEY_ERROR);
    CHECK_MSG(xsipc_shm_error_string(shm),
              "xsipc_shm_set_native_key: the path names a directory, not a "
              "key file: path ",
              path + strlen(path) - 12);
    xsipc_shm_free(shm);
}
END_TEST

/* A native key whose directory is longer than PATH_MAX: the message
 * shows the path's two ends. */
START_TEST(test_messages_native_key_too_long)
{
    static char path[PATH_MAX + 64];
    xsipc_shm *shm = xsipc_shm_new_in(reg(), NULL);

    memset(path, 'p', sizeof path - 1);
    path[0] = '/';
    memcpy(path + sizeof path - 12, "/native-END", 12);
    ck_assert_int_eq(xsipc_shm_set_native_key(shm, path), -XSIPC_KEY_ERROR);
    CHECK_MSG(xsipc_shm_error_string(shm),
              "xsipc_shm_set_native_key: its directory is longer than "
              "PATH_MAX: path /ppp",
              "/native-END");
    xsipc_shm_free(shm);
}
END_TEST

/* ---------------------------------------------------------- segments */

START_TEST(test_messages_attach_no_key_file)
{
    xsipc_shm *shm = peer();

    CHECK_SHM(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND,
              "xsipc_shm_attach: no segment (no key file)" SHOWN_NAME,
              XSIPC_KIND_SHM);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_messages_attach_no_segment)
{
    key_t key = key_of(XSIPC_KIND_SHM, LONG_NAME, 1);
    xsipc_shm *shm = peer();

    CHECK_SHM(shm, xsipc_shm_attach(shm, XSIPC_READ_WRITE), XSIPC_NOT_FOUND,
              fmt("xsipc_shm_attach: no segment at key 0x%08x" SHOWN_NAME,
                  (unsigned)key),
              XSIPC_KIND_SHM);
    xsipc_shm_free(shm);
    remove_key(XSIPC_KIND_SHM, LONG_NAME);
}
END_TEST

START_TEST(test_messages_create_exists)
{
    xsipc_shm *shm = shm_made(), *again = peer();
    key_t key = key_of(XSIPC_KIND_SHM, LONG_NAME, 0);

    CHECK_SHM(again, xsipc_shm_create(again, 4096, XSIPC_READ_WRITE),
              XSIPC_ALREADY_EXISTS,
              fmt("xsipc_shm_create: a segment already exists at key "
                  "0x%08x" SHOWN_NAME,
                  (unsigned)key),
              XSIPC_KIND_SHM);
    xsipc_shm_free(again);
    xsipc_shm_free(shm);
}
END_TEST

/* shmget refused (EACCES) through the seam. */
START_TEST(test_messages_permission_denied)
{
    xsipc_shm *shm = shm_made(), *other = peer();
    key_t key = key_of(XSIPC_KIND_SHM, LONG_NAME, 0);

    fail_calls(XSIPC__SYS_SHMGET, EACCES);
    CHECK_SHM(other, xsipc_shm_attach(other, XSIPC_READ_WRITE),
              XSIPC_PERMISSION_DENIED,
              fmt("xsipc_shm_attach: shmget failed for key 0x%08x: "
                  "Permission denied" SHOWN_NAME,
                  (unsigned)key),
              XSIPC_KIND_SHM);
    xsipc__sys_set_hook(NULL, NULL);
    xsipc_shm_free(other);
    xsipc_shm_free(shm);
}
END_TEST

/* Sets the owner of shm's segment. */
static void segment_owner(key_t key, uid_t uid)
{
    struct shmid_ds ds;
    int id = shmget(key, 0, 0);

    ck_assert(id >= 0 && shmctl(id, IPC_STAT, &ds) == 0);
    ds.shm_perm.uid = uid;
    ck_assert(shmctl(id, IPC_SET, &ds) == 0);
}

/* A segment owned by a stranger is not used. */
START_TEST(test_messages_foreign_segment)
{
    xsipc_shm *shm, *other;
    key_t key;

    tu_need_root();
    shm = shm_made();
    other = peer();
    key = key_of(XSIPC_KIND_SHM, LONG_NAME, 0);
    segment_owner(key, STRANGER_UID);
    CHECK_SHM(other, xsipc_shm_attach(other, XSIPC_READ_WRITE), XSIPC_UNTRUSTED,
              fmt("xsipc_shm_attach: the segment at key 0x%08x belongs to "
                  "uid %d, not to us (uid 0), root or a trusted "
                  "user" SHOWN_NAME,
                  (unsigned)key, STRANGER_UID),
              XSIPC_KIND_SHM);
    segment_owner(key, 0);
    xsipc_shm_free(other);
    xsipc_shm_free(shm);
}
END_TEST

/* ------------------------------------------------------------- locks */

/* op on a second handle while the first holds the lock fails with want;
 * the message ends with the lock's key file. */
typedef int (*shm_op)(xsipc_shm *shm);
static void while_held(int line, shm_op op, xsipc_error want, const char *cause)
{
    xsipc_shm *shm = shm_made(), *other = peer();

    ck_assert_int_eq(xsipc_shm_attach(other, XSIPC_READ_ONLY), 0);
    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_msg(op(other) == -(int)want, "line %d: %s", line,
                  xsipc_shm_error_string(other));
    check_msg(line, xsipc_shm_error_string(other), cause,
              file_end(XSIPC_KIND_SEM, LONG_NAME), 1);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(other);
    xsipc_shm_free(shm);
}

static int lock_20ms(xsipc_shm *shm)
{
    return xsipc_shm_lock_timeout(shm, 20);
}

START_TEST(test_messages_try_lock_held)
{
    while_held(__LINE__, xsipc_shm_try_lock, XSIPC_WOULD_BLOCK,
               "xsipc_shm_try_lock: the lock is held by another "
               "process" SHOWN_NAME);
}
END_TEST

START_TEST(test_messages_lock_timeout)
{
    while_held(__LINE__, lock_20ms, XSIPC_TIMEOUT,
               "xsipc_shm_lock_timeout: timed out waiting for the "
               "lock" SHOWN_NAME);
}
END_TEST

START_TEST(test_messages_sem_count)
{
    xsipc_sem *sem = xsipc_sem_new_in(reg(), LONG_NAME, 1, XSIPC_OPEN);

    ck_assert_msg(xsipc_sem_error(sem) == XSIPC_NO_ERROR, "%s",
                  xsipc_sem_error_string(sem));
    tu_sem_fails(sem, xsipc_sem_release(sem, 0), XSIPC_INVALID_ARGUMENT);
    CHECK_MSG(xsipc_sem_error_string(sem),
              "xsipc_sem_release: the count 0 is not positive" SHOWN_NAME,
              file_end(XSIPC_KIND_SEM, LONG_NAME));
    xsipc_sem_free(sem);
}
END_TEST

/* -------------------------------------------------------------- limits */

START_TEST(test_messages_path_buffer_small)
{
    char path[16];
    xsipc_status st;
    int rc = xsipc_registry_key(reg(), "small", XSIPC_KIND_SHM, 1, NULL, path,
                                sizeof path, &st);

    CHECK_STATUS(rc, st, XSIPC_INVALID_ARGUMENT,
                 fmt("xsipc_registry_key: the path buffer has %zu bytes, the "
                     "key file's path needs %zu: key file ",
                     sizeof path,
                     strlen(key_path(XSIPC_KIND_SHM, "small")) + 1),
                 file_end(XSIPC_KIND_SHM, "small"));
}
END_TEST

/* SEMMNI: no semaphore set can be made (ENOSPC through the seam). */
START_TEST(test_messages_semmni)
{
    xsipc_sem *sem;

    fail_calls(XSIPC__SYS_SEMGET, ENOSPC);
    sem = xsipc_sem_new_in(reg(), LONG_NAME, 1, XSIPC_OPEN);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_int_eq(xsipc_sem_error(sem), XSIPC_OUT_OF_RESOURCES);
    CHECK_MSG(xsipc_sem_error_string(sem),
              "xsipc_sem_new: semget failed for key 0x########: No space "
              "left on device (the SEMMNI or SEMMNS limit is "
              "reached)" SHOWN_NAME,
              file_end(XSIPC_KIND_SEM, LONG_NAME));
    xsipc_sem_free(sem);
}
END_TEST

/* A create whose shmget fails with err (through the seam). */
static void create_refused(int line, int err, xsipc_error want,
                           const char *cause)
{
    xsipc_shm *shm = peer();
    int rc;

    fail_calls(XSIPC__SYS_SHMGET, err);
    rc = xsipc_shm_create(shm, 4096, XSIPC_READ_WRITE);
    xsipc__sys_set_hook(NULL, NULL);
    ck_assert_msg(rc == -(int)want, "line %d: %s", line,
                  xsipc_shm_error_string(shm));
    check_msg(line, xsipc_shm_error_string(shm), cause,
              file_end(XSIPC_KIND_SHM, LONG_NAME), 1);
    xsipc_shm_free(shm);
}

/* SHMMNI: no segment can be made. */
START_TEST(test_messages_shmmni)
{
    create_refused(__LINE__, ENOSPC, XSIPC_OUT_OF_RESOURCES,
                   "xsipc_shm_create: shmget failed for key 0x########: No "
                   "space left on device (the SHMMNI or SHMALL limit is "
                   "reached)" SHOWN_NAME);
}
END_TEST

/* A size the kernel refuses (EINVAL: below SHMMIN, above SHMMAX). */
START_TEST(test_messages_size_refused)
{
    create_refused(__LINE__, EINVAL, XSIPC_INVALID_SIZE,
                   "xsipc_shm_create: size 4096 is outside the kernel's limits "
                   "(SHMMIN..SHMMAX, see /proc/sys/kernel/shmmax)" SHOWN_NAME);
}
END_TEST

/* SEMMNU: no undo structure for the lock's semop. */
START_TEST(test_messages_semmnu)
{
    xsipc_shm *shm = shm_made();

    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    fail_calls(XSIPC__SYS_SEMOP, ENOSPC);
    CHECK_SHM(shm, xsipc_shm_lock(shm), XSIPC_OUT_OF_RESOURCES,
              "xsipc_shm_lock: semop failed for key 0x########: No space "
              "left on device (the SEMMNU limit is reached)" SHOWN_NAME,
              XSIPC_KIND_SEM);
    xsipc__sys_set_hook(NULL, NULL);
    xsipc_shm_free(shm);
}
END_TEST

/* The registry lock stays held (by another open file description) in a
 * directory others may write, where it is waited for 10 s at the most. */
START_TEST(test_messages_registry_lock_timeout)
{
    xsipc_registry *shared;
    xsipc_status st;
    int fd, rc;

    ck_assert(mkdir(in_long("sticky"), 0755) == 0);
    ck_assert(chmod(in_long("sticky"), 01777) == 0);
    shared = xsipc_registry_open(in_long("sticky"), 0, &st);
    ck_assert_msg(shared != NULL, "%s", st.text);
    fd = open(in_long("sticky"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert(fd >= 0 && flock(fd, LOCK_EX) == 0);
    skip_sleeps = 1;
    rc = xsipc_registry_key(shared, "waited", XSIPC_KIND_SHM, 1, NULL, NULL, 0,
                            &st);
    skip_sleeps = 0;
    close(fd);
    xsipc_registry_close(shared);
    CHECK_STATUS(rc, st, XSIPC_TIMEOUT,
                 "xsipc_registry_key: the registry stayed locked (flock) by "
                 "another process for 10000 ms: directory ",
                 "/sticky");
}
END_TEST

/* ------------------------------------------------------ the command */

#define QUOTED_NAME "\"" LONG_NAME "\""

START_TEST(test_messages_tool_lock_held)
{
    static const char *const args[] = {"lock", "-w",   "0.1", LONG_NAME,
                                       "--",   "true", NULL};
    xsipc_shm *shm = peer();

    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    TOOL_FAILS(args, 1,
               "xsipc: lock: gave up after 0.100 s, the lock is held: \"",
               QUOTED_NAME);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
}
END_TEST

/* A holder that dies with the lock: the next one is told (and succeeds). */
START_TEST(test_messages_tool_owner_died)
{
    static const char *const args[] = {"lock", "-w",   "5", LONG_NAME,
                                       "--",   "true", NULL};
    int status;
    pid_t pid = fork();

    ck_assert(pid >= 0);
    if (pid == 0)
        _exit(xsipc_shm_lock(peer()) == 0 ? 0 : 1); /* dies holding it */
    ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0);
    TOOL_FAILS(args, 0,
               "xsipc: lock: the previous holder died holding the lock, what "
               "it guards may be half-written (XSIPC_OWNER_DIED=1 is set for "
               "the command): \"",
               QUOTED_NAME);
}
END_TEST

START_TEST(test_messages_tool_put_too_big)
{
    static char data[5000];
    const char *args[] = {"put", LONG_NAME, in_long("data"), NULL};
    xsipc_shm *shm = shm_made();

    write_file(args[2], data, sizeof data);
    TOOL_FAILS(args, 2,
               "xsipc: put: 5000 bytes do not fit the segment of 4096 bytes: "
               "\"",
               QUOTED_NAME);
    ck_assert(unlink(args[2]) == 0);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_messages_tool_put_no_input)
{
    const char *args[] = {"put", LONG_NAME, in_long("no-such-input"), NULL};

    TOOL_FAILS(args, 2,
               "xsipc: put: cannot open the input: No such file or directory: ",
               args[2]);
}
END_TEST

START_TEST(test_messages_tool_get_no_output)
{
    const char *args[] = {"get", "-o", in_long("no-such-dir/out"), LONG_NAME,
                          NULL};
    xsipc_shm *shm = shm_made();

    TOOL_FAILS(args, 2,
               "xsipc: get: cannot write the output: No such file or "
               "directory: ",
               args[2]);
    xsipc_shm_free(shm);
}
END_TEST

START_TEST(test_messages_tool_rm_missing)
{
    static const char *const args[] = {"rm", LONG_NAME, NULL};

    TOOL_FAILS(args, 2, "xsipc: rm: no such name: \"", QUOTED_NAME);
}
END_TEST

/* One wording for a missing name, whatever the command (issue 13). */
START_TEST(test_messages_tool_get_missing)
{
    static const char *const args[] = {"get", "-w", "1", LONG_NAME, NULL};

    TOOL_FAILS(args, 2, "xsipc: get: no such name: \"", QUOTED_NAME);
}
END_TEST

/* A held lock: get gives up as lock does. */
START_TEST(test_messages_tool_get_lock_held)
{
    static const char *const args[] = {"get", "-w", "0.1", LONG_NAME, NULL};
    xsipc_shm *shm = shm_made();

    ck_assert_int_eq(xsipc_shm_lock(shm), 0);
    TOOL_FAILS(args, 1,
               "xsipc: get: gave up after 0.100 s, the lock is held: \"",
               QUOTED_NAME);
    ck_assert_int_eq(xsipc_shm_unlock(shm), 0);
    xsipc_shm_free(shm);
}
END_TEST

/* A test case of the suite: the fixtures, and room for the waits. */
static TCase *long_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tu_tcase(tc);
    tcase_add_checked_fixture(tc, long_setup, long_teardown);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *messages_suite(void)
{
    Suite *s = suite_create("messages");
    TCase *core = long_tcase(s, "core");
    TCase *errors = long_tcase(s, "errors");
    TCase *limits = long_tcase(s, "limits");

    tcase_add_test(core, test_messages_long_dir_works);
    tcase_add_test(errors, test_messages_missing_dir);
    tcase_add_test(errors, test_messages_not_a_dir);
    tcase_add_test(errors, test_messages_writable_dir);
    tcase_add_test(errors, test_messages_foreign_dir);
    tcase_add_test(errors, test_messages_unwritable_dir);
    tcase_add_test(errors, test_messages_foreign_key_file);
    tcase_add_test(errors, test_messages_key_file_symlink);
    tcase_add_test(errors, test_messages_key_file_hard_link);
    tcase_add_test(errors, test_messages_key_file_fifo);
    tcase_add_test(errors, test_messages_key_file_denied);
    tcase_add_test(errors, test_messages_corrupt_key_file);
    tcase_add_test(errors, test_messages_oversized_record);
    tcase_add_test(errors, test_messages_record_of_other_kind);
    tcase_add_test(errors, test_messages_key_collision);
    tcase_add_test(errors, test_messages_planted_claim);
    tcase_add_test(errors, test_messages_foreign_claim);
    tcase_add_test(errors, test_messages_remove_missing);
    tcase_add_test(errors, test_messages_remove_in_use);
    tcase_add_test(errors, test_messages_name_empty);
    tcase_add_test(errors, test_messages_name_too_long);
    tcase_add_test(errors, test_messages_native_key_directory);
    tcase_add_test(errors, test_messages_native_key_too_long);
    tcase_add_test(errors, test_messages_attach_no_key_file);
    tcase_add_test(errors, test_messages_attach_no_segment);
    tcase_add_test(errors, test_messages_create_exists);
    tcase_add_test(errors, test_messages_permission_denied);
    tcase_add_test(errors, test_messages_foreign_segment);
    tcase_add_test(errors, test_messages_try_lock_held);
    tcase_add_test(errors, test_messages_lock_timeout);
    tcase_add_test(errors, test_messages_sem_count);
    tcase_add_test(errors, test_messages_tool_lock_held);
    tcase_add_test(errors, test_messages_tool_owner_died);
    tcase_add_test(errors, test_messages_tool_put_too_big);
    tcase_add_test(errors, test_messages_tool_put_no_input);
    tcase_add_test(errors, test_messages_tool_get_no_output);
    tcase_add_test(errors, test_messages_tool_rm_missing);
    tcase_add_test(errors, test_messages_tool_get_missing);
    tcase_add_test(errors, test_messages_tool_get_lock_held);
    tcase_add_test(limits, test_messages_path_buffer_small);
    tcase_add_test(limits, test_messages_semmni);
    tcase_add_test(limits, test_messages_shmmni);
    tcase_add_test(limits, test_messages_semmnu);
    tcase_add_test(limits, test_messages_size_refused);
    tcase_add_test(limits, test_messages_registry_lock_timeout);
    return s;
}
