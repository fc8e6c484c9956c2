/* SPDX-License-Identifier: MIT */
/*
 * tu_internal.h -- what the parts of the test harness (testutil.c,
 * tu_world.c, tu_report.c) share among themselves; suites use testutil.h.
 */
#ifndef XSIPC_TU_INTERNAL_H
#define XSIPC_TU_INTERNAL_H

#include <check.h>

/* The suite's directory (every test case's base and the LEAKS file). */
const char *tu__suite_dir(void);
/* TMPDIR as the suite found it (the fixtures then point TMPDIR at each
 * test's directory), "/tmp" when it was unset or empty. */
const char *tu__suite_tmp(void);
/* Empties and removes dir; notes each file left as a leak when report. */
void tu__sweep_dir(const char *dir, int report);
/* Notes a leak in the suite's LEAKS file (fmt has two %s). */
void tu__note_leak(const char *fmt, const char *a, const char *b);
/* tu_world.c: the end of a test (its shared directory goes; what is left
 * in it is a leak when report), and the end of the suite (the shared
 * directories of tests that failed before their teardown). */
void tu__world_teardown(int report);
void tu__world_end(void);
/* tu_report.c: runs sr with its results as TAP on stdout (see
 * testutil.h); returns the number of failed tests, skips not counted. */
int tu__run_tap(SRunner *sr);

#endif
