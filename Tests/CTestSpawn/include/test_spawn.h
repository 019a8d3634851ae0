#ifndef TEST_SPAWN_H
#define TEST_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL: this process's environment),
/// in `directory` (NULL: this one), with descriptors `in`, `out` and `err` as
/// 0, 1 and 2 and every other descriptor closed, in a process group of its
/// own, with no signal blocked and every disposition at its default.
/// Returns 0 and sets `*pid`, or an errno value.
int test_spawn(const char *path, char *const argv[], char *const envp[], const char *directory,
               int in, int out, int err, pid_t *pid);

/// A pidfd for `pid` (close-on-exec), or -1 with errno set.
int test_pidfd_open(pid_t pid);

/// Sends `signal` through `pidfd`: never to another process that reused the pid.
int test_pidfd_signal(int pidfd, int signal);

/// Waits up to `milliseconds` (-1: for ever) for the child behind `pidfd`
/// to end, and reaps it: returns 1 with `*code` and `*signal` set (one of
/// them 0), 0 on timeout, -1 with errno set.
int test_pidfd_wait(int pidfd, int milliseconds, int *code, int *signal);

#endif
