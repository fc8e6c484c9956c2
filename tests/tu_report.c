/* SPDX-License-Identifier: MIT */
/*
 * tu_report.c -- a suite's results as TAP, for automake's tap-driver.sh:
 * one line per test, so that `make check` counts tests, not programs, and
 * a skipped case (tu_skip) is counted as skipped, with its reason on the
 * console, never as a pass.
 *
 * Check writes its own TAP log (srunner_set_tap) as
 *   ok N - FILE:TCASE:TEST: Passed
 *   not ok N - FILE:TCASE:TEST: MESSAGE
 * and knows nothing of skips; a skip is a failure whose message begins
 * with TU_SKIP_MARK.  The log is rewritten here to stdout:
 *   ok N - TCASE:TEST
 *   ok N - TCASE:TEST # SKIP REASON
 *   not ok N - TCASE:TEST: MESSAGE
 * followed by the failures with their lines and a summary line in Check's
 * words, plus the skips.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tu_internal.h"

/* Copies text to out, a '#' escaped so TAP never reads a directive in a
 * message, each newline (a multi-line message) turned into a space. */
static void put_text(const char *text, FILE *out)
{
    for (; *text != '\0'; text++) {
        if (*text == '#')
            fputs("\\#", out);
        else
            fputc(*text == '\n' ? ' ' : *text, out);
    }
}

/* Rewrites one line of Check's TAP log; a line that is no test result
 * (the plan, a message's continuation) is passed on as it is. */
static void rewrite(char *line, FILE *out)
{
    char *rest, *desc, *msg;
    int ok;

    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ok ", 3) == 0)
        ok = 1;
    else if (strncmp(line, "not ok ", 7) == 0)
        ok = 0;
    else {
        if (line[0] != '\0' && strncmp(line, "1..", 3) != 0)
            fputs("# ", out); /* a continuation: keep it out of the plan */
        fprintf(out, "%s\n", line);
        return;
    }
    rest = line + (ok ? 3 : 7);
    desc = strstr(rest, " - ");
    if (desc == NULL) {
        fprintf(out, "%s\n", line);
        return;
    }
    *desc = '\0';
    desc += 3;
    /* FILE:TCASE:TEST: MESSAGE -> drop FILE, split off MESSAGE. */
    if ((msg = strchr(desc, ':')) != NULL)
        desc = msg + 1;
    msg = strstr(desc, ": ");
    if (msg != NULL) {
        *msg = '\0';
        msg += 2;
    }
    if (!ok && msg != NULL &&
        strncmp(msg, TU_SKIP_MARK, strlen(TU_SKIP_MARK)) == 0) {
        fprintf(out, "ok %s - ", rest);
        put_text(desc, out);
        fputs(" # SKIP ", out);
        put_text(msg + strlen(TU_SKIP_MARK), out);
    } else {
        fprintf(out, "%s %s - ", ok ? "ok" : "not ok", rest);
        put_text(desc, out);
        if (!ok && msg != NULL) {
            fputs(": ", out);
            put_text(msg, out);
        }
    }
    fputc('\n', out);
}

static int is_skip(TestResult *tr)
{
    return tr_rtype(tr) != CK_PASS &&
           strncmp(tr_msg(tr), TU_SKIP_MARK, strlen(TU_SKIP_MARK)) == 0;
}

int tu__run_tap(SRunner *sr)
{
    char path[PATH_MAX], line[8192];
    TestResult **res;
    int i, n, failures = 0, errors = 0, skipped = 0;
    FILE *f;

    if (snprintf(path, sizeof path, "%s/TAP", tu__suite_dir()) >=
        (int)sizeof path) {
        fprintf(stderr, "testutil: path too long\n");
        abort();
    }
    srunner_set_tap(sr, path);
    /* Check's own report would call every skip a failure: it is silent,
     * this one speaks. */
    srunner_run_all(sr, CK_SILENT);
    if ((f = fopen(path, "r")) == NULL) {
        perror(path);
        return 1;
    }
    while (fgets(line, sizeof line, f) != NULL)
        rewrite(line, stdout);
    fclose(f);
    remove(path);

    n = srunner_ntests_run(sr);
    res = srunner_results(sr);
    for (i = 0; i < n; i++) {
        if (tr_rtype(res[i]) == CK_PASS)
            continue;
        if (is_skip(res[i])) {
            skipped++;
            continue;
        }
        if (tr_rtype(res[i]) == CK_ERROR)
            errors++;
        else
            failures++;
        printf("# %s:%d:%c:%s: ", tr_lfile(res[i]), tr_lno(res[i]),
               tr_rtype(res[i]) == CK_ERROR ? 'E' : 'F', tr_tcname(res[i]));
        put_text(tr_msg(res[i]), stdout);
        putchar('\n');
    }
    free(res);
    printf("# %d%%: Checks: %d, Failures: %d, Errors: %d, Skipped: %d\n",
           n > 0 ? 100 * (n - failures - errors) / n : 100, n, failures, errors,
           skipped);
    fflush(stdout);
    return failures + errors;
}
