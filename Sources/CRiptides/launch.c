/*
 * The child side of `riptides exec`, in C because between fork and exec only
 * async-signal-safe system calls may run: no allocation, no locks, no Swift.
 * The BPF program arrives compiled; every path out of the child is either
 * execve or _exit after reporting the failed stage through a close-on-exec
 * pipe.
 */
#define _GNU_SOURCE
#include "riptides_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* What the child tells the parent, once before the hand-off and once if a
   later stage fails. */
struct rt_child_report {
    int stage;
    int error;
    int listener;
    int wait_killable;
    int dns[RT_MAX_DNS];
    int dns_tcp[RT_MAX_DNS];
};

void rt_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

static int read_all(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return (int)got;
}

static void close_range_raw(unsigned int first, unsigned int last) {
    if (first > last) return;
    if (syscall(SYS_close_range, first, last, 0) == 0) return;
    /* Kernels without close_range: close one by one up to a bound. */
    for (unsigned int fd = first; fd <= last && fd < 65536; fd++) close((int)fd);
}

/* Closes every descriptor from 3 up except the `n` in `keep` (n <= 3,
   negative entries ignored). */
static void close_all_but(int *keep, int n) {
    /* Insertion sort: tiny, allocation-free. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t;
        }
    unsigned int next = 3;
    for (int i = 0; i < n; i++) {
        if (keep[i] < 3) continue;
        if ((unsigned int)keep[i] > next) close_range_raw(next, (unsigned int)keep[i] - 1);
        next = (unsigned int)keep[i] + 1;
    }
    close_range_raw(next, ~0U);
}

__attribute__((noreturn))
static void child_fail(int report_fd, int stage, int error) {
    struct rt_child_report r = { stage, error, -1, 0, { -1, -1, -1 }, { -1, -1, -1 } };
    rt_write_all(report_fd, &r, sizeof r);
    _exit(stage == RT_STAGE_EXEC && (error == ENOENT || error == ENOTDIR) ? 127 :
          stage == RT_STAGE_EXEC ? 126 : 125);
}

/* Clears the ambient set and masks the effective, permitted and inheritable
   sets (the bounding set was reduced before the credentials changed). */
static int drop_capabilities(uint64_t keep) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -1;
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        uint32_t mask = (uint32_t)(keep >> (32 * i));
        data[i].effective &= mask;
        data[i].permitted &= mask;
        data[i].inheritable &= mask;
    }
    return (int)syscall(SYS_capset, &header, data);
}

/* Brings the new namespace's loopback up (SIOCSIFFLAGS on "lo"). */
static int loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Gives the namespace's lo the IPv4 address `a` (a /32 alias "lo:N"). */
static int loopback_alias4(int index, const struct rt_ip_address *a) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo:", 3);
    ifr.ifr_name[3] = (char)('1' + index);
    struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, a->bytes, 4);
    int rc = ioctl(fd, SIOCSIFADDR, &ifr);
    if (rc == 0) {
        in->sin_addr.s_addr = htonl(0xffffffffu);
        rc = ioctl(fd, SIOCSIFNETMASK, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Gives the namespace's lo the IPv6 address `a` as a /128 (RTM_NEWADDR, no
   duplicate address detection), unless it is ::1. lo is interface 1 in
   every network namespace. */
static int loopback_alias6(const struct rt_ip_address *a) {
    static const uint8_t loopback[16] = { [15] = 1 };
    if (memcmp(a->bytes, loopback, 16) == 0) return 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct {
        struct nlmsghdr header;
        struct ifaddrmsg message;
        struct rtattr attribute;
        uint8_t address[16];
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_NEWADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    request.header.nlmsg_seq = 1;
    request.message.ifa_family = AF_INET6;
    request.message.ifa_prefixlen = 128;
    request.message.ifa_flags = IFA_F_NODAD;
    request.message.ifa_index = 1;
    request.attribute.rta_type = IFA_ADDRESS;
    request.attribute.rta_len = RTA_LENGTH(16);
    memcpy(request.address, a->bytes, 16);
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int rc = -1;
    if (sendto(fd, &request, sizeof request, 0, (struct sockaddr *)&kernel, sizeof kernel) == (ssize_t)sizeof request) {
        struct {
            struct nlmsghdr header;
            struct nlmsgerr error;
        } reply;
        ssize_t n = recv(fd, &reply, sizeof reply, 0);
        if (n >= (ssize_t)sizeof reply && reply.header.nlmsg_type == NLMSG_ERROR) {
            if (reply.error.error == 0) rc = 0; else errno = -reply.error.error;
        } else if (n >= 0) {
            errno = EPROTO;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* A UDP socket (or a listening TCP one) bound to `a`, port 53, in the
   agent's namespace: where the agent's DNS queries arrive, for riptides. */
static int dns_socket(const struct rt_ip_address *a, int type) {
    int fd = socket(a->family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (type == SOCK_STREAM) (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (a->family == AF_INET6) {
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 in6;
        memset(&in6, 0, sizeof in6);
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(53);
        memcpy(&in6.sin6_addr, a->bytes, 16);
        rc = bind(fd, (struct sockaddr *)&in6, sizeof in6);
    } else {
        struct sockaddr_in in;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        in.sin_port = htons(53);
        memcpy(&in.sin_addr, a->bytes, 4);
        rc = bind(fd, (struct sockaddr *)&in, sizeof in);
    }
    if (rc != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Sets up nameserver `index` in the agent's namespace: its address on lo
   and the two sockets. Returns 0, or -1 with errno (nothing left open). */
static int dns_setup(int index, const struct rt_ip_address *a, int *udp, int *tcp) {
    /* lo has 127/8 already. */
    int rc = a->family == AF_INET6 ? loopback_alias6(a) : a->bytes[0] == 127 ? 0 : loopback_alias4(index, a);
    if (rc != 0) return -1;
    *udp = dns_socket(a, SOCK_DGRAM);
    if (*udp < 0) return -1;
    *tcp = dns_socket(a, SOCK_STREAM);
    if (*tcp < 0) {
        int saved = errno;
        close(*udp);
        *udp = -1;
        errno = saved;
        return -1;
    }
    return 0;
}

/* Which RT_FAMILY_* bit nameserver `a`, set up on lo, shows getaddrinfo's
   AI_ADDRCONFIG: glibc ignores 127.0.0.1 and ::1, and an address in 127/8
   got no alias (lo lists 127.0.0.1 alone). */
static int family_seen(const struct rt_ip_address *a) {
    static const uint8_t loopback6[16] = { [15] = 1 };
    if (a->family == AF_INET6) return memcmp(a->bytes, loopback6, 16) == 0 ? 0 : RT_FAMILY_IPV6;
    return a->bytes[0] == 127 ? 0 : RT_FAMILY_IPV4;
}

/* Placeholder addresses on lo for the families in `missing`, best effort:
   127.0.0.2 (loopback already) and 100::1 (the discard-only prefix). */
static void add_placeholders(int missing) {
    if (missing & RT_FAMILY_IPV4) {
        struct rt_ip_address a = { .family = AF_INET, .bytes = { 127, 0, 0, 2 } };
        (void)loopback_alias4(RT_MAX_DNS, &a);
    }
    if (missing & RT_FAMILY_IPV6) {
        struct rt_ip_address a = { .family = AF_INET6, .bytes = { 0x01, 0x00, [15] = 1 } };
        (void)loopback_alias6(&a);
    }
}

/* Writes `text` to the file at `path` (the parent side of a user
   namespace's id maps). */
static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void format_map(char *out, size_t size, unsigned id) {
    /* "ID ID 1\n" without snprintf's locale machinery. */
    char digits[16];
    int n = 0;
    do { digits[n++] = (char)('0' + id % 10); id /= 10; } while (id && n < 15);
    size_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = n - 1; i >= 0 && at + 1 < size; i--) out[at++] = digits[i];
        if (at + 1 < size) out[at++] = ' ';
    }
    if (at + 3 < size) { out[at++] = '1'; out[at++] = '\n'; }
    out[at] = 0;
}

__attribute__((noreturn))
static void child_main(const struct rt_spawn_request *req, int report_fd, int ack_fd) {
    /* Signals: default dispositions, then the empty mask (the parent blocked
       everything around the clone). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)sigaction(sig, &dfl, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) != 0) child_fail(report_fd, RT_STAGE_SIGNALS, errno);

    int keep[3] = { report_fd, ack_fd, req->landlock_ruleset_fd };
    close_all_but(keep, 3);

    if (req->new_userns) {
        /* Wait until the parent has written our id maps. */
        char mapped = 0;
        if (read_all(ack_fd, &mapped, 1) != 1 || mapped != 'm') child_fail(report_fd, RT_STAGE_USERNS, EPERM);
    }
    if (req->new_netns && loopback_up() != 0) child_fail(report_fd, RT_STAGE_NETNS, errno);
    int dns[RT_MAX_DNS] = { -1, -1, -1 }, dns_tcp[RT_MAX_DNS] = { -1, -1, -1 };
    int families = 0; /* RT_FAMILY_* that getaddrinfo will see on lo */
    for (int i = 0; req->new_netns && i < req->dns_server_count && i < RT_MAX_DNS; i++) {
        const struct rt_ip_address *server = &req->dns_servers[i];
        /* IPv6 may be disabled or absent: such a nameserver is left out. */
        if (dns_setup(i, server, &dns[i], &dns_tcp[i]) != 0) {
            if (server->family != AF_INET6) child_fail(report_fd, RT_STAGE_DNS, errno);
            continue;
        }
        families |= family_seen(server);
    }
    if (req->new_netns) add_placeholders(req->host_families & ~families);

    if (req->drop_capabilities) {
        /* The bounding set needs CAP_SETPCAP: drop it before changing uid. */
        for (int cap = 0; cap < 64; cap++) {
            if (req->keep_capabilities & (1ULL << cap)) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
                child_fail(report_fd, RT_STAGE_CAPABILITIES, errno);
        }
    }
    if (req->gid >= 0 || req->uid >= 0) {
        /* Raw system calls: glibc's wrappers would try to reach the parent's
           other threads (setxid broadcast) and can hang in this child. */
        if (syscall(SYS_setgroups, (size_t)req->group_count, req->groups) != 0)
            child_fail(report_fd, RT_STAGE_CREDENTIALS, errno);
        if (req->gid >= 0 && syscall(SYS_setresgid, (gid_t)req->gid, (gid_t)req->gid, (gid_t)req->gid) != 0)
            child_fail(report_fd, RT_STAGE_CREDENTIALS, errno);
        if (req->uid >= 0 && syscall(SYS_setresuid, (uid_t)req->uid, (uid_t)req->uid, (uid_t)req->uid) != 0)
            child_fail(report_fd, RT_STAGE_CREDENTIALS, errno);
    }
    if (req->drop_capabilities && drop_capabilities(req->keep_capabilities) != 0)
        child_fail(report_fd, RT_STAGE_CAPABILITIES, errno);

    if (req->file_limit > 0) {
        /* The agent gets the descriptor limit riptides was started with. */
        struct rlimit limit;
        if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &limit) == 0 && limit.rlim_cur != req->file_limit) {
            limit.rlim_cur = req->file_limit;
            (void)syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &limit, NULL);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(report_fd, RT_STAGE_NO_NEW_PRIVS, errno);
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) child_fail(report_fd, RT_STAGE_NO_NEW_PRIVS, EPERM);

    if (req->landlock_ruleset_fd >= 0) {
        if (syscall(SYS_landlock_restrict_self, req->landlock_ruleset_fd, 0) != 0)
            child_fail(report_fd, RT_STAGE_LANDLOCK, errno);
        close(req->landlock_ruleset_fd);
    }

    /* The filter is the last thing before execve. */
    unsigned int flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | req->filter_flags;
    int wait_killable = (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) != 0;
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, req->filter);
    if (listener < 0 && errno == EINVAL && wait_killable) {
        /* Kernels before 5.19 do not know WAIT_KILLABLE_RECV. */
        flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        wait_killable = 0;
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, req->filter);
    }
    if (listener < 0) child_fail(report_fd, RT_STAGE_SECCOMP, errno);

    /* Hand-off: the parent takes the listener with pidfd_getfd (write and
       read are not trapped), then this copy is closed so that exactly one
       stays open. */
    struct rt_child_report r = { RT_STAGE_NONE, 0, (int)listener, wait_killable, { dns[0], dns[1], dns[2] },
                                 { dns_tcp[0], dns_tcp[1], dns_tcp[2] } };
    rt_write_all(report_fd, &r, sizeof r);
    char ack = 0;
    if (read_all(ack_fd, &ack, 1) != 1 || ack != 'k') child_fail(report_fd, RT_STAGE_HANDOFF, EPIPE);
    close((int)listener);
    for (int i = 0; i < RT_MAX_DNS; i++) {
        if (dns[i] >= 0) close(dns[i]);
        if (dns_tcp[i] >= 0) close(dns_tcp[i]);
    }
    close(ack_fd);

    execve(req->path, req->argv, req->envp);
    child_fail(report_fd, RT_STAGE_EXEC, errno);
}

int rt_spawn(const struct rt_spawn_request *req, struct rt_spawn_result *res) {
    memset(res, 0, sizeof *res);
    for (int i = 0; i < RT_MAX_DNS; i++) res->dns_sockets[i] = res->dns_tcp_sockets[i] = -1;
    res->pid = -1;
    res->pidfd = -1;
    res->listener = -1;

    int report[2], ack[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        res->failed_stage = RT_STAGE_PARENT;
        res->error = errno;
        return -1;
    }
    if (pipe2(ack, O_CLOEXEC) != 0) {
        res->failed_stage = RT_STAGE_PARENT;
        res->error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    int pidfd = -1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD;
    if (req->new_netns) args.flags |= CLONE_NEWNET;
    if (req->new_userns) args.flags |= CLONE_NEWUSER;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        close(report[0]);
        close(ack[1]);
        child_main(req, report[1], ack[0]);
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    close(ack[0]);
    if (pid < 0) {
        res->failed_stage = RT_STAGE_CLONE;
        res->error = clone_errno;
        close(report[0]);
        close(ack[1]);
        return -1;
    }
    res->pid = (pid_t)pid;
    res->pidfd = pidfd;

    if (req->new_userns) {
        char path[64], map[64];
        char *end;
        /* /proc/PID/... built by hand: the same code shape as the child's. */
        const char *names[3] = { "setgroups", "uid_map", "gid_map" };
        for (int i = 0; i < 3; i++) {
            char digits[16];
            int n = 0;
            unsigned v = (unsigned)pid;
            do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 15);
            strcpy(path, "/proc/");
            end = path + strlen(path);
            while (n > 0) *end++ = digits[--n];
            *end++ = '/';
            strcpy(end, names[i]);
            if (i == 0) strcpy(map, "deny");
            else format_map(map, sizeof map, i == 1 ? (unsigned)getuid() : (unsigned)getgid());
            if (write_file(path, map) != 0) {
                res->failed_stage = RT_STAGE_USERNS;
                res->error = errno;
                goto fail;
            }
        }
        char mapped = 'm';
        rt_write_all(ack[1], &mapped, 1);
    }

    struct rt_child_report r;
    int n = read_all(report[0], &r, sizeof r);
    if (n != (int)sizeof r) {
        res->failed_stage = RT_STAGE_HANDOFF;
        res->error = EPIPE;
        goto fail;
    }
    if (r.stage != RT_STAGE_NONE) {
        res->failed_stage = r.stage;
        res->error = r.error;
        goto fail;
    }
    res->wait_killable = r.wait_killable;
    res->listener = (int)syscall(SYS_pidfd_getfd, pidfd, r.listener, 0);
    if (res->listener < 0) {
        res->failed_stage = RT_STAGE_HANDOFF;
        res->error = errno;
        goto fail;
    }
    (void)fcntl(res->listener, F_SETFD, FD_CLOEXEC);
    for (int i = 0; i < RT_MAX_DNS; i++) {
        if (r.dns[i] < 0) continue;
        res->dns_sockets[i] = (int)syscall(SYS_pidfd_getfd, pidfd, r.dns[i], 0);
        res->dns_tcp_sockets[i] = (int)syscall(SYS_pidfd_getfd, pidfd, r.dns_tcp[i], 0);
        if (res->dns_sockets[i] < 0 || res->dns_tcp_sockets[i] < 0) {
            res->failed_stage = RT_STAGE_DNS;
            res->error = errno;
            goto fail;
        }
    }
    char ok = 'k';
    rt_write_all(ack[1], &ok, 1);
    close(ack[1]);
    ack[1] = -1;

    /* EOF means execve succeeded (the pipe is close-on-exec). */
    n = read_all(report[0], &r, sizeof r);
    close(report[0]);
    if (n == (int)sizeof r) {
        res->failed_stage = r.stage;
        res->error = r.error;
        close(res->listener);
        res->listener = -1;
        for (int i = 0; i < RT_MAX_DNS; i++) {
            if (res->dns_sockets[i] >= 0) close(res->dns_sockets[i]);
            if (res->dns_tcp_sockets[i] >= 0) close(res->dns_tcp_sockets[i]);
            res->dns_sockets[i] = res->dns_tcp_sockets[i] = -1;
        }
        report[0] = -1;
        goto reap;
    }
    return 0;

fail:
    for (int i = 0; i < RT_MAX_DNS; i++) {
        if (res->dns_sockets[i] >= 0) close(res->dns_sockets[i]);
        if (res->dns_tcp_sockets[i] >= 0) close(res->dns_tcp_sockets[i]);
        res->dns_sockets[i] = res->dns_tcp_sockets[i] = -1;
    }
    close(report[0]);
    if (ack[1] >= 0) close(ack[1]);
    if (res->listener >= 0) close(res->listener);
    res->listener = -1;
reap:
    kill((pid_t)pid, SIGKILL);
    {
        int status;
        while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
    }
    close(pidfd);
    res->pidfd = -1;
    return -1;
}
