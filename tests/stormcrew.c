/* SPDX-License-Identifier: MIT */
/*
 * stormcrew.c -- the storms' supervisor: starting, reaping, killing and
 * watching worker processes (see stormkit.h).
 *
 * Only the supervisor calls these, and only it writes a slot's pid and
 * live fields; a worker writes its own since and phase.  The order that
 * matters: live goes to 0 before the SIGKILL and gets the next token only
 * after the old incarnation has been reaped, so no observer ever sees a
 * dead incarnation's token as live.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stormkit.h"

static const struct sk_crew *crew;

static void say(uint64_t *count, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(uint64_t *count, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sk_report(count, fmt, ap);
    va_end(ap);
}

void sk_crew_use(const struct sk_crew *c)
{
    crew = c;
}

void sk_start(unsigned i)
{
    struct sk_slot *s = &crew->slot[i];
    uint64_t token = ((sk_add(crew->incarnations) + 1) << 8) | i;
    pid_t pid;

    s->token = token;
    s->phase = 0;
    s->since = sk_now_ms();
    sk_put(&s->live, token);
    fflush(NULL);
    pid = fork();
    if (pid == 0)
        crew->worker(i, token);
    if (pid < 0) {
        sk_put(&s->live, 0);
        sk_add(crew->errors);
        say(crew->shown_errors, "error: fork: %s", strerror(errno));
        s->pid = 0;
        return;
    }
    s->pid = pid;
}

void sk_ended(unsigned i, int status, int killed)
{
    struct sk_slot *s = &crew->slot[i];
    const char *where = crew->phase_name[s->phase];
    int ok;

    if (killed)
        ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    else
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
             (crew->may_exit == NULL || crew->may_exit());
    sk_put(&s->live, 0);
    if (!ok) {
        sk_add(crew->errors);
        if (WIFSIGNALED(status))
            say(crew->shown_errors,
                "error: worker %u (pid %d) died of signal %d in %s", i,
                (int)s->pid, WTERMSIG(status), where);
        else
            say(crew->shown_errors,
                "error: worker %u (pid %d) exited with %d in %s", i,
                (int)s->pid, WEXITSTATUS(status), where);
    }
    s->pid = 0;
}

int sk_kill(unsigned i)
{
    struct sk_slot *s = &crew->slot[i];
    int ph = __atomic_load_n(&s->phase, __ATOMIC_SEQ_CST);
    int status;

    sk_put(&s->live, 0);
    kill(s->pid, SIGKILL);
    if (sk_wait_for(s->pid, 10000, &status) != 0) {
        sk_add(crew->hangs);
        say(crew->shown_hangs,
            "HANG: worker %u (pid %d) outlived SIGKILL by 10 s", i,
            (int)s->pid);
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    sk_ended(i, status, 1);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? ph : -1;
}

void sk_reap(void)
{
    int status;
    unsigned i;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (i = 0; i < crew->count; i++)
            if (crew->slot[i].pid == pid) {
                sk_ended(i, status, 0);
                sk_start(i);
                break;
            }
}

void sk_watch(void)
{
    int64_t now = sk_now_ms();
    unsigned i;

    for (i = 0; i < crew->count; i++) {
        struct sk_slot *s = &crew->slot[i];
        if (s->pid == 0 || now - s->since < crew->stuck_ms)
            continue;
        sk_add(crew->hangs);
        say(crew->shown_hangs, "HANG: worker %u stuck in %s for %lld ms", i,
            crew->phase_name[s->phase], (long long)(now - s->since));
        (void)sk_kill(i);
        sk_start(i);
    }
}

void sk_run(unsigned seconds, uint64_t *kills, uint64_t *kills_in)
{
    int64_t end = sk_now_ms() + (int64_t)seconds * 1000;
    unsigned i;
    int ph;

    for (i = 0; i < crew->count; i++)
        sk_start(i);
    while (sk_now_ms() < end) {
        sk_nap_us(kills != NULL ? 1000 + sk_rnd() % 19001 : 20000);
        sk_reap();
        sk_watch();
        if (kills == NULL)
            continue;
        i = sk_rnd() % crew->count;
        if (crew->slot[i].pid == 0) { /* its fork failed: try again */
            sk_start(i);
            continue;
        }
        if ((ph = sk_kill(i)) >= 0) {
            sk_add(kills);
            sk_add(&kills_in[ph]);
        }
        sk_start(i);
    }
}

void sk_stop(unsigned first, unsigned last, int64_t deadline)
{
    unsigned i;
    int status;

    for (i = first; i < last; i++) {
        struct sk_slot *s = &crew->slot[i];
        long left = (long)(deadline - sk_now_ms());
        if (s->pid == 0)
            continue;
        if (sk_wait_for(s->pid, left > 0 ? left : 0, &status) == 0) {
            sk_ended(i, status, 0);
            continue;
        }
        sk_add(crew->hangs);
        say(crew->shown_hangs,
            "HANG: worker %u did not stop (in %s for %lld ms)", i,
            crew->phase_name[s->phase], (long long)(sk_now_ms() - s->since));
        (void)sk_kill(i);
    }
}

void sk_watchdog(int sig)
{
    unsigned i;

    (void)sig;
    for (i = 0; i < crew->count; i++)
        if (crew->slot[i].pid > 0)
            kill(crew->slot[i].pid, SIGKILL);
    if (write(STDERR_FILENO, crew->hang_text, strlen(crew->hang_text)) < 0)
        _exit(1);
    _exit(1);
}
