#!/usr/bin/env bash
# Builds riptides, starts local stand-in servers (an "LLM API" and an
# "attacker"), and runs examples/agent.py under examples/profiles/demo-agent.yaml.
# The agent's LLM call is allowed; its exfiltration attempts are denied before
# a packet leaves, and the attacker receives nothing. Everything stays on
# loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building riptides"
build_log=$(mktemp)
if ! swift build -c release --product riptides >"$build_log" 2>&1; then
    cat "$build_log" >&2
    echo "demo: the build failed" >&2
    exit 125
fi
rm -f "$build_log"
riptides=$(swift build -c release --show-bin-path)/riptides

work=$(mktemp -d)
trap 'kill "$servers" 2>/dev/null || true; rm -rf "$work"' EXIT
received="$work/attacker-received.log"
: >"$received"

python3 examples/standin_servers.py "$received" >"$work/servers.log" 2>&1 &
servers=$!
for _ in $(seq 50); do grep -q ready "$work/servers.log" 2>/dev/null && break; sleep 0.1; done

echo "==> riptides exec --profile examples/profiles/demo-agent.yaml -- python3 examples/agent.py"
status=0
"$riptides" exec --profile examples/profiles/demo-agent.yaml --audit "$work/audit.jsonl" \
    -- python3 examples/agent.py || status=$?

echo "==> decisions (from the JSON audit)"
python3 - "$work/audit.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"].startswith("session."):
        continue
    where = f'{e.get("host") or e["address"]}:{e.get("port", "")}'.rstrip(":")
    print(f'  {e["decision"].upper():5} {e["event"]:8} {e["protocol"]:4} {where:22} rule={e["rule"]}')
PY
echo "==> what the attacker received"
if [ -s "$received" ]; then
    cat "$received"
    echo "demo FAILED: data reached the attacker" >&2
    exit 1
fi
echo "  nothing"
exit "$status"
