#!/usr/bin/env python3
"""A nameserver for the tests: binds ADDRESS:53 (IPv4 or IPv6) over UDP and TCP, answers
every A query with 127.0.0.1, and appends each name it is asked to LOG
(prefixed "tcp " for queries over TCP). Runs until killed."""
import socket
import struct
import sys
import threading

address, log = sys.argv[1], open(sys.argv[2], "a")
lock = threading.Lock()


def answer(data, transport):
    i, labels = 12, []
    while i < len(data) and data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode())
        i += 1 + data[i]
    with lock:
        log.write(("tcp " if transport == "tcp" else "") + ".".join(labels) + "\n")
        log.flush()
    response = bytearray(data[:i + 5])
    response[2], response[3] = 0x81, 0x80
    response[6:8] = b"\x00\x01"
    response += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([127, 0, 0, 1])
    return bytes(response)


def serve_tcp(listener):
    while True:
        connection, _ = listener.accept()
        with connection:
            try:
                length = struct.unpack(">H", connection.recv(2))[0]
                data = b""
                while len(data) < length:
                    data += connection.recv(length - len(data))
                reply = answer(data, "tcp")
                connection.sendall(struct.pack(">H", len(reply)) + reply)
            except (OSError, struct.error):
                pass


family = socket.AF_INET6 if ":" in address else socket.AF_INET
udp = socket.socket(family, socket.SOCK_DGRAM)
udp.bind((address, 53))
tcp = socket.socket(family)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((address, 53))
tcp.listen(8)
threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
print("ready", flush=True)
while True:
    data, peer = udp.recvfrom(4096)
    udp.sendto(answer(data, "udp"), peer)
