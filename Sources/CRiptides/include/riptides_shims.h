/*
 * riptides C shims.
 *
 * Two things live here because Swift cannot do them:
 *  - the child side of the launch (between fork and exec only async-signal-safe
 *    system calls may run, and no Swift code may), see rt_spawn;
 *  - wrappers for variadic calls (ioctl, prctl, syscall) and for constants that
 *    the Linux 6.1 headers on Debian 12 lack and newer kernels offer.
 */
#ifndef RIPTIDES_SHIMS_H
#define RIPTIDES_SHIMS_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/netlink.h>
#include <sys/un.h>
#include <signal.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

_Static_assert(sizeof(struct seccomp_notif) == 80, "seccomp_notif layout");
_Static_assert(sizeof(struct seccomp_notif_resp) == 24, "seccomp_notif_resp layout");

/* System call numbers and sizes Swift's Glibc module does not show. */
#include <sys/syscall.h>
enum {
    RT_SYS_CONNECT = SYS_connect,
    RT_SYS_SENDTO = SYS_sendto,
    RT_SYS_SENDMSG = SYS_sendmsg,
    RT_SYS_SENDMMSG = SYS_sendmmsg,
    RT_SYS_LISTEN = SYS_listen,
    RT_SYS_EPOLL_CREATE1 = SYS_epoll_create1,
#ifdef SYS_epoll_create
    RT_SYS_EPOLL_CREATE = SYS_epoll_create,
#else
    RT_SYS_EPOLL_CREATE = -1,
#endif
};

/* prctl options (linux/prctl.h clashes with sys/prctl.h in Swift's view). */
enum {
    RT_PR_SET_DUMPABLE = 4,
    RT_PR_SET_CHILD_SUBREAPER = 36,
};

/* Writes one line to stderr with one write (Swift 6 forbids touching the
   global `stderr` FILE from Swift). */
void rt_print_stderr(const char *line);

/* write(2) until all of `buf` is written or an error other than EINTR;
   async-signal-safe (the child uses it too). */
void rt_write_all(int fd, const void *buf, size_t len);

/* struct mmsghdr needs _GNU_SOURCE; this is its layout. */
struct rt_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
_Static_assert(sizeof(struct rt_mmsghdr) == 64, "mmsghdr layout");

/* --- launch ------------------------------------------------------------ */

/** The step of the child's set-up that failed (reported with its errno). */
enum rt_spawn_stage {
    RT_STAGE_NONE = 0,
    RT_STAGE_SIGNALS = 1,
    RT_STAGE_FDS = 2,
    RT_STAGE_CAPABILITIES = 3,
    RT_STAGE_CREDENTIALS = 4,
    RT_STAGE_NO_NEW_PRIVS = 5,
    RT_STAGE_LANDLOCK = 6,
    RT_STAGE_SECCOMP = 7,
    RT_STAGE_HANDOFF = 8,
    RT_STAGE_EXEC = 9,
    RT_STAGE_CLONE = 10,
    RT_STAGE_PARENT = 11,
    RT_STAGE_NETNS = 12,
    RT_STAGE_USERNS = 13,
    RT_STAGE_DNS = 14,
};

/* An IPv4 or IPv6 address: `family` AF_INET or AF_INET6, `bytes` in
   network order (an IPv4 address in the first four). */
struct rt_ip_address {
    int family;
    uint8_t bytes[16];
};

struct rt_spawn_request {
    const char *path;            /* resolved executable path */
    char *const *argv;
    char *const *envp;
    const struct sock_fprog *filter;
    unsigned int filter_flags;   /* SECCOMP_FILTER_FLAG_* besides NEW_LISTENER */
    /* Credentials: -1 keeps the current ones. */
    int64_t uid;
    int64_t gid;
    const gid_t *groups;         /* supplementary groups when uid/gid change */
    int group_count;
    /* Capabilities: bit N set = keep capability N; every other one is dropped
       from the bounding, ambient, inheritable, permitted and effective sets. */
    uint64_t keep_capabilities;
    int drop_capabilities;       /* 0: leave capabilities alone */
    /* Landlock ruleset fd to restrict the child with, or -1. */
    int landlock_ruleset_fd;
    /* The network-namespace tier: a new network namespace with only an
       up loopback, inside a new user namespace when riptides is not root
       (mapping the caller's uid and gid to themselves). */
    int new_netns;
    int new_userns;
    /* The address families the host shows getaddrinfo's AI_ADDRCONFIG
       (RT_FAMILY_*): the namespace's lo gets a placeholder address of each
       one it would otherwise lack (127.0.0.2, 100::1), so that lookups
       answer as they do outside. */
    int host_families;
    /* The agent's soft RLIMIT_NOFILE, set in the child (riptides raises its
       own to the hard limit: it must be able to use any descriptor number
       the agent can); 0 leaves the limit alone. */
    uint64_t file_limit;
    /* The netns tier's DNS proxy: for each nameserver, the child gives the
       namespace that address (on lo, unless lo has it already: 127/8, ::1)
       and binds a UDP socket and a listening TCP socket to it, port 53,
       which riptides takes like the listener. At most RT_MAX_DNS. An IPv4
       nameserver that cannot be set up fails the launch (stage DNS); an
       IPv6 one (IPv6 disabled or absent in the kernel) is left out: its
       sockets in the result are -1. */
    const struct rt_ip_address *dns_servers;
    int dns_server_count;
};

#define RT_MAX_DNS 3
#define RT_FAMILY_IPV4 1   /* an IPv4 address other than 127.0.0.1 */
#define RT_FAMILY_IPV6 2   /* an IPv6 address other than ::1 */

struct rt_spawn_result {
    pid_t pid;
    int pidfd;
    int listener;                /* the supervisor's copy of the notify fd */
    int failed_stage;            /* enum rt_spawn_stage, RT_STAGE_NONE on success */
    int error;                   /* errno of the failed stage */
    int wait_killable;           /* 1 when WAIT_KILLABLE_RECV was accepted */
    int dns_sockets[RT_MAX_DNS]; /* riptides's copies, -1 when none */
    int dns_tcp_sockets[RT_MAX_DNS]; /* the listening TCP sockets, same order */
};

/**
 * Starts `req->path` in a new process under the seccomp filter and takes the
 * user-notification listener from it with pidfd_getfd.
 *
 * Returns 0 when the command was executed; -1 when a stage failed (see
 * `failed_stage` and `error`; the child has then been reaped).
 */
int rt_spawn(const struct rt_spawn_request *req, struct rt_spawn_result *res);

/* --- syscalls without a usable libc wrapper ---------------------------- */

int rt_pidfd_open(pid_t pid, unsigned int flags);
int rt_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
int rt_pidfd_send_signal(int pidfd, int sig);
int rt_notif_recv(int listener, struct seccomp_notif *req);
int rt_notif_send(int listener, struct seccomp_notif_resp *resp);
int rt_notif_id_valid(int listener, uint64_t id);
int rt_notif_addfd(int listener, struct seccomp_notif_addfd *addfd);
int rt_notif_set_flags(int listener, uint64_t flags);
int rt_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int rt_fcntl_int(int fd, int cmd, int arg);
int rt_seccomp_get_notif_sizes(struct seccomp_notif_sizes *sizes);
int rt_kcmp_files(pid_t pid1, pid_t pid2, int fd1, int fd2);
int rt_landlock_abi_version(void);

/* --- epoll registrations of a replaced socket (netns tier) ------------- */

/* Raises this process's soft RLIMIT_NOFILE to its hard limit. Returns the
   soft limit it had, or 0 when it could not be read. */
uint64_t rt_raise_file_limit(void);

/* A new epoll instance, close-on-exec (Swift's Glibc shows no sys/epoll.h). */
int rt_epoll_create(void);

/* The same, made by a short-lived thread running as `uid` and `gid` (real
   ids too): the kernel charges an epoll instance's watches to the real user
   that made it. While it runs, a process of that uid may signal riptides:
   use it only where the agent's signals are scoped (Landlock). Returns the
   descriptor, or -1 with errno. */
int rt_epoll_create_as(uid_t uid, gid_t gid);

/* 1 when descriptor `epfd` of thread `tid` is an epoll instance watching
   the file at `slot` under that number (kcmp KCMP_EPOLL_TFD), else 0. */
int rt_epoll_watches(pid_t tid, int epfd, int slot);

/* The events and data of the registration under number `tfd` of the file
   with inode `inode`, from /proc/self/fdinfo/EPFD. Returns 0, or -1 when
   there is none. */
int rt_epoll_registration(int epfd, int tfd, unsigned long inode, uint32_t *events, uint64_t *data);

/* Moves the registration in epoll `epfd` under descriptor number `as_fd`
   from `old_file` to `new_file` (the key the agent's later EPOLL_CTL_MOD and
   DEL look up is the file and that number), with `events` and `data`, from
   a short-lived thread with a descriptor table of its own, so that
   riptides's own numbers stay untouched. Returns 0, or an errno value. */
int rt_epoll_move(int epfd, int old_file, int new_file, int as_fd, uint32_t events, uint64_t data);
int rt_io_uring_setup_probe(void);

ssize_t rt_process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
                            const struct iovec *remote, unsigned long riovcnt);
ssize_t rt_process_vm_writev(pid_t pid, const struct iovec *local, unsigned long liovcnt,
                             const struct iovec *remote, unsigned long riovcnt);

/* An anonymous close-on-exec memory file (memfd_create needs _GNU_SOURCE). */
int rt_memfd_create(const char *name);

/* Closes every descriptor from 3 up except `keep` (-1 for none): what
   riptides inherited must not be reachable from the agent (pidfd_getfd on
   its parent) nor leak into it. */
void rt_close_inherited(int keep);

/* A Landlock ruleset that only scopes: no signals to, and no abstract unix
   sockets of, processes outside the domain (ABI 6, Linux 6.12). Returns the
   ruleset fd, or -1 with errno (EOPNOTSUPP when the ABI is older). */
int rt_landlock_scope_ruleset(void);

/* 1 when this process may create a user namespace (tried in a throwaway
   child), 0 otherwise. */
int rt_can_create_user_namespace(void);

/* Sets the CALLING THREAD's effective uid and gid (and so its filesystem
   ones) and its supplementary groups with raw system calls (glibc's wrappers
   would change every thread). The real and saved ids stay as they are: a
   root thread can switch back, and the agent, whose uid would have to match
   the real or saved one, cannot signal the thread meanwhile. Returns 0, or
   -1 with errno. */
int rt_thread_set_credentials(uid_t uid, gid_t gid, const gid_t *groups, size_t count);

/* Fail closed on an internal fault: a crash in any riptides thread ends the
   whole process at once (one line on stderr, exit 125), so the listener
   closes and every trapped call of the agent fails with ENOSYS, instead of
   a dead supervisor thread leaving the agent hanging. */
void rt_install_crash_handlers(void);

/* CMSG_LEN is a macro. */
size_t rt_cmsg_len(size_t len);

#endif
