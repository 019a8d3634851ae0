#!/usr/bin/env python3
"""What getaddrinfo with AI_ADDRCONFIG answers for numeric loopback
addresses (no DNS involved): it goes by the address families the network
namespace shows, so the answers tell whether they match the host's.

Prints one line per lookup: HOST/FAMILY=addresses or HOST/FAMILY=error CODE."""
import socket

for host in ["127.0.0.1", "::1"]:
    for family, name in [(socket.AF_INET, "inet"), (socket.AF_INET6, "inet6"), (socket.AF_UNSPEC, "unspec")]:
        try:
            found = socket.getaddrinfo(host, 80, family, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG)
            print(f"{host}/{name}=" + ",".join(sorted({entry[4][0] for entry in found})), flush=True)
        except socket.gaierror as error:
            print(f"{host}/{name}=error {error.errno}", flush=True)
