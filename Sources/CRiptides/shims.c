/* Wrappers for variadic calls and raw system calls Swift cannot make. */
#define _GNU_SOURCE
#include "riptides_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

int rt_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int rt_pidfd_getfd(int pidfd, int targetfd, unsigned int flags) {
    return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}

int rt_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int rt_notif_recv(int listener, struct seccomp_notif *req) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req);
}

int rt_notif_send(int listener, struct seccomp_notif_resp *resp) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

int rt_notif_id_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

int rt_notif_addfd(int listener, struct seccomp_notif_addfd *addfd) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, addfd);
}

int rt_notif_set_flags(int listener, uint64_t flags) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
}

int rt_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

int rt_fcntl_int(int fd, int cmd, int arg) {
    return fcntl(fd, cmd, arg);
}

int rt_seccomp_get_notif_sizes(struct seccomp_notif_sizes *sizes) {
    return (int)syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes);
}

int rt_kcmp_files(pid_t pid1, pid_t pid2, int fd1, int fd2) {
    return (int)syscall(SYS_kcmp, pid1, pid2, KCMP_FILE, fd1, fd2);
}

int rt_landlock_abi_version(void) {
    return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

void rt_close_inherited(int keep) {
    if (keep < 3) {
        if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
            for (int fd = 3; fd < 65536; fd++) close(fd);
        return;
    }
    if (keep > 3) syscall(SYS_close_range, 3, (unsigned)keep - 1, 0);
    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0);
}

/* struct landlock_ruleset_attr as of ABI 6 (the 6.1 headers stop at ABI 1). */
struct rt_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};
#define RT_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define RT_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

int rt_landlock_scope_ruleset(void) {
    int abi = rt_landlock_abi_version();
    if (abi < 0) return -1;
    if (abi < 6) {
        errno = EOPNOTSUPP;
        return -1;
    }
    struct rt_landlock_ruleset_attr attr = {
        0, 0, RT_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | RT_LANDLOCK_SCOPE_SIGNAL,
    };
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (fd >= 0) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

int rt_io_uring_setup_probe(void) {
    /* Invalid arguments: a kernel with io_uring answers EFAULT or EINVAL,
       one without it (or a filter) ENOSYS or EPERM. */
    return (int)syscall(SYS_io_uring_setup, 0, NULL);
}

size_t rt_cmsg_len(size_t len) { return CMSG_LEN(len); }

ssize_t rt_process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
                            const struct iovec *remote, unsigned long riovcnt) {
    return process_vm_readv(pid, local, liovcnt, remote, riovcnt, 0);
}

ssize_t rt_process_vm_writev(pid_t pid, const struct iovec *local, unsigned long liovcnt,
                             const struct iovec *remote, unsigned long riovcnt) {
    return process_vm_writev(pid, local, liovcnt, remote, riovcnt, 0);
}

int rt_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

void rt_print_stderr(const char *line) {
    rt_write_all(STDERR_FILENO, line, strlen(line));
}

int rt_can_create_user_namespace(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
    if (pid < 0) return 0;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int rt_thread_set_credentials(uid_t uid, gid_t gid, const gid_t *groups, size_t count) {
    /* Groups and gid first, while the effective uid may still be 0; when
       switching back to root the uid goes first (see the caller). */
    if (geteuid() == 0) {
        if (syscall(SYS_setgroups, count, groups) != 0) return -1;
        if (syscall(SYS_setresgid, -1, gid, -1) != 0) return -1;
        return (int)syscall(SYS_setresuid, -1, uid, -1);
    }
    if (syscall(SYS_setresuid, -1, uid, -1) != 0) return -1;
    if (syscall(SYS_setgroups, count, groups) != 0) return -1;
    return (int)syscall(SYS_setresgid, -1, gid, -1);
}

static void rt_crash(int sig) {
    static const char message[] = "riptides: internal error (a fault in the supervisor); failing closed\n";
    (void)write(STDERR_FILENO, message, sizeof message - 1);
    (void)sig;
    _exit(125);
}

void rt_install_crash_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = rt_crash;
    sigemptyset(&action.sa_mask);
    const int signals[] = { SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT };
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);
}

/* --- epoll registrations of a replaced socket ------------------------- */

uint64_t rt_raise_file_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    uint64_t previous = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &limit);
    }
    return previous;
}

int rt_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

struct rt_epoll_as_job {
    uid_t uid;
    gid_t gid;
    int fd;
    int error;
};

static void *rt_epoll_as_thread(void *argument) {
    struct rt_epoll_as_job *job = argument;
    /* Raw system calls change this thread alone, which then ends. */
    if (syscall(SYS_setresgid, job->gid, job->gid, job->gid) != 0
        || syscall(SYS_setresuid, job->uid, job->uid, job->uid) != 0) {
        job->error = errno;
        return NULL;
    }
    job->fd = epoll_create1(EPOLL_CLOEXEC);
    if (job->fd < 0) job->error = errno;
    return NULL;
}

int rt_epoll_create_as(uid_t uid, gid_t gid) {
    struct rt_epoll_as_job job = { .uid = uid, .gid = gid, .fd = -1, .error = 0 };
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, rt_epoll_as_thread, &job);
    if (rc != 0) { errno = rc; return -1; }
    pthread_join(thread, NULL);
    if (job.fd < 0) errno = job.error;
    return job.fd;
}

int rt_epoll_watches(pid_t tid, int epfd, int slot) {
    /* The same number may be registered for several files (one closed and
       its number reused): look at the first few. */
    for (unsigned toff = 0; toff < 4; toff++) {
        struct kcmp_epoll_slot target = { .efd = (uint32_t)epfd, .tfd = (uint32_t)slot, .toff = toff };
        long rc = syscall(SYS_kcmp, tid, tid, KCMP_EPOLL_TFD, slot, &target);
        if (rc == 0) return 1;
        if (rc < 0) return 0; /* not an epoll, or no such registration */
    }
    return 0;
}

int rt_epoll_registration(int epfd, int tfd, unsigned long inode, uint32_t *events, uint64_t *data) {
    char path[48];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    int file = open(path, O_RDONLY | O_CLOEXEC);
    if (file < 0) return -1;
    /* Lines "tfd: N events: X data: Y  pos:P ino:I sdev:D", read in chunks. */
    char chunk[4096], line[256];
    size_t length = 0;
    int found = -1;
    ssize_t n;
    while (found != 0 && (n = read(file, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < n && found != 0; i++) {
            if (chunk[i] != '\n') {
                if (length + 1 < sizeof line) line[length++] = chunk[i];
                continue;
            }
            line[length] = 0;
            length = 0;
            int number;
            unsigned int mask;
            unsigned long long value, position;
            unsigned long node;
            if (sscanf(line, "tfd: %d events: %x data: %llx pos:%llu ino:%lx", &number, &mask, &value, &position, &node) == 5
                && number == tfd && node == inode) {
                *events = mask;
                *data = value;
                found = 0;
            }
        }
    }
    close(file);
    return found;
}

struct rt_move_job {
    int epfd;
    int old_file;
    int new_file;
    int as_fd;
    struct epoll_event event;
    int result;
};

static void *rt_move_thread(void *argument) {
    struct rt_move_job *job = argument;
    /* A private copy of riptides's table: numbers changed here are this
       thread's alone, and the copy goes when the thread ends. */
    if (unshare(CLONE_FILES) != 0) { job->result = errno; return NULL; }
    /* Move the epoll and the new file out of the number's way. */
    int epfd = job->epfd, new_file = job->new_file;
    if (epfd == job->as_fd && (epfd = fcntl(epfd, F_DUPFD_CLOEXEC, 0)) < 0) { job->result = errno; return NULL; }
    if (new_file == job->as_fd && (new_file = fcntl(new_file, F_DUPFD_CLOEXEC, 0)) < 0) { job->result = errno; return NULL; }
    /* The old file's registration goes now, not when its last reference
       does: until then it would report the unconnected socket's EPOLLHUP. */
    if (job->old_file != job->as_fd && dup2(job->old_file, job->as_fd) < 0) { job->result = errno; return NULL; }
    (void)epoll_ctl(epfd, EPOLL_CTL_DEL, job->as_fd, NULL);
    if (dup2(new_file, job->as_fd) < 0) { job->result = errno; return NULL; }
    job->result = epoll_ctl(epfd, EPOLL_CTL_ADD, job->as_fd, &job->event) == 0 ? 0 : errno;
    return NULL;
}

int rt_epoll_move(int epfd, int old_file, int new_file, int as_fd, uint32_t events, uint64_t data) {
    struct rt_move_job job = { .epfd = epfd, .old_file = old_file, .new_file = new_file, .as_fd = as_fd, .result = 0 };
    job.event.events = events;
    job.event.data.u64 = data;
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, rt_move_thread, &job);
    if (rc != 0) return rc;
    pthread_join(thread, NULL);
    return job.result;
}
