/*
 * What every test agent prints: one line per attempt, "NAME=ok" or
 * "NAME=ERRNONAME" (EPERM, ENOSYS...), flushed at once, so that the test
 * reads what the agent saw while its listeners show what arrived.
 */
#ifndef RIPTIDES_TEST_REPORT_H
#define RIPTIDES_TEST_REPORT_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline void report(const char *name, long rc) {
    if (rc < 0) printf("%s=%s\n", name, strerrorname_np(errno));
    else printf("%s=ok\n", name);
    fflush(stdout);
}
#endif
