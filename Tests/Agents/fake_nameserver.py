#!/usr/bin/env python3
"""A nameserver for the tests: binds ADDRESS:53/udp, answers every A query
with 127.0.0.1, and appends each name it is asked to LOG. Runs until killed."""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
log = open(sys.argv[2], "a")
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(4096)
    i, labels = 12, []
    while i < len(data) and data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode())
        i += 1 + data[i]
    log.write(".".join(labels) + "\n")
    log.flush()
    response = bytearray(data[:i + 5])
    response[2], response[3] = 0x81, 0x80
    response[6:8] = b"\x00\x01"
    response += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([127, 0, 0, 1])
    s.sendto(bytes(response), peer)
