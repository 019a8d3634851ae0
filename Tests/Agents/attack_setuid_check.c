/*
 * attack_setuid_check (threat model item 20)
 *
 * Installed setuid root by the test and run under riptides: a setuid
 * binary must gain nothing, which holds because the launcher set
 * no_new_privs before exec. Prints what the process sees:
 * no_new_privs=N (prctl), status_NoNewPrivs=N and status_Seccomp=N (from
 * /proc/self/status), ruid=, euid=, and cap_eff=HEX.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
    printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("ruid=%d\neuid=%d\n", (int)getuid(), (int)geteuid());
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        char value[200];
        if (sscanf(line, "NoNewPrivs: %199s", value) == 1) printf("status_NoNewPrivs=%s\n", value);
        if (sscanf(line, "Seccomp: %199s", value) == 1) printf("status_Seccomp=%s\n", value);
        if (sscanf(line, "CapEff: %199s", value) == 1) printf("cap_eff=%s\n", value);
    }
    if (f) fclose(f);
    fflush(stdout);
    return 0;
}
