#!/usr/bin/env python3
"""A DNS client that talks to a nameserver directly (no libc resolver), as
malware doing DNS exfiltration would.

  dns_client.py SERVER NAME...                 query each NAME (type A), print NAME=rcodeN answers=K [address]
  dns_client.py SERVER NAME --connect PORT     then connect to the first address over TCP and send "hello"
  dns_client.py SERVER NAME --via mapped|tcp   send the query another way: UDP to ::ffff:SERVER, or over TCP
  dns_client.py SERVER --hold N                open N TCP connections to SERVER:53, send nothing, hold them 3 s
  dns_client.py SERVER NAME --after PORT       query NAME on a UDP socket that first sent "warm" to 127.0.0.1:PORT
                                               (in the netns tier, a socket riptides has replaced with a host one)
"""
import socket
import struct
import sys


def labels(name):
    """NAME split on dots; a backslash-escaped dot stays inside its label."""
    parts, current, i = [], "", 0
    while i < len(name):
        if name[i] == "\\" and i + 1 < len(name):
            current += name[i + 1]
            i += 2
            continue
        if name[i] == ".":
            parts.append(current)
            current = ""
        else:
            current += name[i]
        i += 1
    return parts + [current]


def query(server, name):
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    header = struct.pack(">HHHHHH", 0x2b2b, 0x0100, 1, 0, 0, 0)
    question = b"".join(bytes([len(p)]) + p.encode() for p in labels(name)) + b"\x00\x00\x01\x00\x01"
    try:
        s.sendto(header + question, (server, 53))
        data, _ = s.recvfrom(4096)
    except OSError as error:
        print(f"{name}=error {error}", flush=True)
        return None
    rcode, answers = data[3] & 0xF, struct.unpack(">H", data[6:8])[0]
    address = socket.inet_ntoa(data[-4:]) if answers else ""
    print(f"{name}=rcode{rcode} answers={answers} {address}".rstrip(), flush=True)
    return address or None


def query_via(server, name, via):
    header = struct.pack(">HHHHHH", 0x2c2c, 0x0100, 1, 0, 0, 0)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
    try:
        if via == "mapped":
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.sendto(header + question, ("::ffff:" + server, 53))
            data, _ = s.recvfrom(4096)
            print(f"{name}=rcode{data[3] & 0xF}", flush=True)
        else:
            with socket.create_connection((server, 53), timeout=2) as s:
                s.sendall(struct.pack(">H", len(header + question)) + header + question)
                data = s.recv(4096)
                if len(data) < 14:
                    print(f"{name}=tcp closed", flush=True)
                else:
                    print(f"{name}=tcp rcode{data[2 + 3] & 0xF}", flush=True)
    except OSError as error:
        print(f"{name}=errno{error.errno}", flush=True)


def query_after(server, name, port):
    """The query on a UDP socket already used for an allowed datagram."""
    header = struct.pack(">HHHHHH", 0x2d2d, 0x0100, 1, 0, 0, 0)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(b"warm", ("127.0.0.1", port))
        print("warm=ok", flush=True)
        s.sendto(header + question, (server, 53))
        data, _ = s.recvfrom(4096)
        print(f"{name}=rcode{data[3] & 0xF}", flush=True)
    except OSError as error:
        print(f"{name}=errno{error.errno}", flush=True)


def hold(server, count):
    import time
    held = []
    for _ in range(count):
        try:
            held.append(socket.create_connection((server, 53), timeout=2))
        except OSError:
            break
    print(f"held={len(held)}", flush=True)
    time.sleep(3)


def main():
    server, rest = sys.argv[1], sys.argv[2:]
    if rest[:1] == ["--hold"]:
        hold(server, int(rest[1]))
        return
    if "--after" in rest:
        query_after(server, rest[0], int(rest[rest.index("--after") + 1]))
        return
    if "--via" in rest:
        i = rest.index("--via")
        query_via(server, rest[0], rest[i + 1])
        return
    port = None
    if "--connect" in rest:
        i = rest.index("--connect")
        port = int(rest[i + 1])
        rest = rest[:i]
    addresses = [query(server, name) for name in rest]
    if port is not None and addresses and addresses[0]:
        try:
            with socket.create_connection((addresses[0], port), timeout=3) as c:
                c.sendall(b"hello")
            print("connect=ok", flush=True)
        except OSError as error:
            print(f"connect={error.errno}", flush=True)


main()
