#!/usr/bin/env python3
"""Local stand-ins for the demo, on loopback only.

- an "LLM API" on 127.0.0.1:LLM_PORT answering POST /v1/complete with JSON;
- an "attacker" on 127.0.0.2:EXFIL_PORT (TCP and UDP) that records
  everything it receives into the file given as the first argument.
Port 0 takes free ports; the ready line names them.

Runs until killed (the demo script stops it).
"""
import http.server
import json
import os
import socketserver
import sys
import threading

LLM_PORT = int(os.environ.get("LLM_PORT", "18080"))
EXFIL_HOST = os.environ.get("EXFIL_HOST", "127.0.0.2")
EXFIL_PORT = int(os.environ.get("EXFIL_PORT", "18666"))
received_log = sys.argv[1]


class LLM(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"completion": "Revenue grew 12% quarter on quarter."}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def record(what: bytes) -> None:
    with open(received_log, "ab") as f:
        f.write(what + b"\n")


class Attacker(socketserver.StreamRequestHandler):
    def handle(self):
        record(self.rfile.read1(65536))


class AttackerUDP(socketserver.BaseRequestHandler):
    def handle(self):
        record(self.request[0])


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


servers = [
    http.server.ThreadingHTTPServer(("127.0.0.1", LLM_PORT), LLM),
    Server((EXFIL_HOST, EXFIL_PORT), Attacker),
    socketserver.UDPServer((EXFIL_HOST, EXFIL_PORT), AttackerUDP),
]
for server in servers:
    threading.Thread(target=server.serve_forever, daemon=True).start()
llm_port = servers[0].server_address[1]
exfil_port = servers[1].server_address[1]
# With EXFIL_PORT=0 the UDP side takes the TCP side's port.
if servers[2].server_address[1] != exfil_port:
    servers[2].server_close()
    servers[2] = socketserver.UDPServer((EXFIL_HOST, exfil_port), AttackerUDP)
    threading.Thread(target=servers[2].serve_forever, daemon=True).start()
print(f"stand-ins ready llm={llm_port} exfil={exfil_port}", flush=True)
threading.Event().wait()
