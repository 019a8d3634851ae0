/*
 * attack_io_uring HOST TCPPORT UDPPORT MSG (threat model item 8)
 *
 * io_uring performs connect and sendmsg inside the kernel, without the
 * connect/sendmsg system calls the filter traps. This agent sets up a ring
 * with raw system calls (no liburing) and submits IORING_OP_CONNECT followed
 * by IORING_OP_SENDMSG on a TCP socket to HOST:TCPPORT, then an
 * IORING_OP_SENDMSG with a destination address on a UDP socket to
 * HOST:UDPPORT. Run natively it delivers MSG to both; under riptides
 * io_uring_setup must fail with ENOSYS and nothing may arrive.
 *
 * Prints one line per step: NAME=ok or NAME=ERRNONAME.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

/* A completion's result (-errno or a count) as a report line. */
static void report_cqe(const char *name, int res) {
    if (res < 0) printf("%s=%s\n", name, strerrorname_np(-res));
    else printf("%s=ok\n", name);
    fflush(stdout);
}

struct ring {
    int fd;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(__NR_io_uring_setup, 8, &p);
    report("io_uring_setup", fd);
    if (fd < 0) return -1;
    r->fd = (int)fd;
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED) { report("io_uring_mmap", -1); return -1; }
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    return 0;
}

/* Submits one SQE and waits for its completion; returns cqe->res. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe) {
    unsigned tail = *r->sq_tail;
    unsigned index = tail & *r->sq_mask;
    r->sqes[index] = *sqe;
    r->sq_array[index] = index;
    __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
    long n = syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (n < 0) return -errno;
    unsigned head = __atomic_load_n(r->cq_head, __ATOMIC_ACQUIRE);
    if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) return -EAGAIN;
    int res = r->cqes[head & *r->cq_mask].res;
    __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
    return res;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_io_uring HOST TCPPORT UDPPORT MSG\n"); return 2; }
    const char *msg = argv[4];
    struct sockaddr_in tcp_to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    struct sockaddr_in udp_to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
    inet_pton(AF_INET, argv[1], &tcp_to.sin_addr);
    inet_pton(AF_INET, argv[1], &udp_to.sin_addr);

    /* The other two entry points, on a descriptor that is not a ring: a
       kernel that runs them says EBADF/EOPNOTSUPP, the filter says ENOSYS. */
    report("io_uring_enter", syscall(__NR_io_uring_enter, 0, 0, 0, 0, NULL, 0));
    report("io_uring_register", syscall(__NR_io_uring_register, 0, 0, NULL, 0));

    struct ring r;
    if (ring_setup(&r) != 0) return 0;

    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    struct io_uring_sqe sqe;
    memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_CONNECT;
    sqe.fd = tcp;
    sqe.addr = (unsigned long)&tcp_to;
    sqe.off = sizeof tcp_to;  /* addr2/off: the address length */
    int res = ring_run(&r, &sqe);
    report_cqe("uring_connect", res);
    if (res == 0) {
        struct iovec iov = { (void *)msg, strlen(msg) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        memset(&sqe, 0, sizeof sqe);
        sqe.opcode = IORING_OP_SENDMSG;
        sqe.fd = tcp;
        sqe.addr = (unsigned long)&mh;
        report_cqe("uring_tcp_sendmsg", ring_run(&r, &sqe));
    }
    close(tcp);

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct iovec iov = { (void *)msg, strlen(msg) };
    struct msghdr mh = { .msg_name = &udp_to, .msg_namelen = sizeof udp_to, .msg_iov = &iov, .msg_iovlen = 1 };
    memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_SENDMSG;
    sqe.fd = udp;
    sqe.addr = (unsigned long)&mh;
    report_cqe("uring_udp_sendmsg", ring_run(&r, &sqe));
    close(udp);
    return 0;
}
