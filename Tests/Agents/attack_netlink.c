/*
 * Threat model item 3 (found in review): netlink requests riptides sends
 * for the agent run with riptides's privileges. The agent asks the kernel
 * to add 10.11.12.13/32 to lo (RTM_NEWADDR, as `ip addr add` does, with an
 * explicit kernel address so the call is trapped), and opens netlink
 * protocols that configure the host (netfilter, generic, audit). All must
 * fail; a read-only RTM_GETADDR dump still works (getaddrinfo needs it).
 *
 * Prints newaddr=..., getaddr=..., netfilter=..., generic=..., audit=....
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int main(void) {
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    report("route_socket", fd);

    struct {
        struct nlmsghdr header;
        struct ifaddrmsg ifa;
        struct rtattr local_attr;
        struct in_addr local;
    } add;
    memset(&add, 0, sizeof add);
    add.header.nlmsg_len = sizeof add;
    add.header.nlmsg_type = RTM_NEWADDR;
    add.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    add.header.nlmsg_seq = 1;
    add.ifa.ifa_family = AF_INET;
    add.ifa.ifa_prefixlen = 32;
    add.ifa.ifa_index = if_nametoindex("lo");
    add.local_attr.rta_type = IFA_LOCAL;
    add.local_attr.rta_len = RTA_LENGTH(sizeof(struct in_addr));
    inet_pton(AF_INET, "10.11.12.13", &add.local);
    long sent = sendto(fd, &add, sizeof add, 0, (struct sockaddr *)&kernel, sizeof kernel);
    int added = 0;
    if (sent >= 0) {
        /* The kernel's answer is an ACK (error 0) when the address was added. */
        char buffer[4096];
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        struct nlmsghdr *reply = (struct nlmsghdr *)buffer;
        if (n > 0 && reply->nlmsg_type == NLMSG_ERROR) {
            int error = ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
            added = error == 0;
            if (error) { errno = -error; sent = -1; }
        }
    }
    report("newaddr", sent);
    if (added) printf("added=yes\n");

    struct {
        struct nlmsghdr header;
        struct ifaddrmsg ifa;
    } get;
    memset(&get, 0, sizeof get);
    get.header.nlmsg_len = sizeof get;
    get.header.nlmsg_type = RTM_GETADDR;
    get.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    get.header.nlmsg_seq = 2;
    report("getaddr", sendto(fd, &get, sizeof get, 0, (struct sockaddr *)&kernel, sizeof kernel));

    report("netfilter", socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER));
    report("generic", socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC));
    report("audit", socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
    fflush(stdout);
    return 0;
}
