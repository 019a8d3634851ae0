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

#endif
