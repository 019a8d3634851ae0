#!/usr/bin/env bash
# Loopback overhead of `riptides exec`: connect and sendto latency, bulk TCP
# throughput, and exec start-up, each bare and under riptides.  See README.md.
#
# Environment (all optional):
#   RIPTIDES_BIN   use this riptides binary instead of building one
#   BENCH_N        operations per latency run            (default 1000)
#   BENCH_BYTES    bytes per bulk run                    (default 1 GiB)
#   BENCH_RUNS     runs per side for bulk and start-up   (default 9)
#   BENCH_ISOLATION netns or filter: riptides's tier     (default: riptides's own choice)
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${BENCH_N:-1000}"
BYTES="${BENCH_BYTES:-1073741824}"
RUNS="${BENCH_RUNS:-9}"
isolation=()
[[ -n "${BENCH_ISOLATION:-}" ]] && isolation=(--isolation "$BENCH_ISOLATION")
HOST=127.0.0.1

say() { printf 'exec-bench: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

# ---- riptides and netbench ------------------------------------------------
if [[ -n "${RIPTIDES_BIN:-}" ]]; then
    riptides="$RIPTIDES_BIN"
else
    say "building riptides (release)"
    (cd "$root" && swift build -c release --product riptides >&2) || fail "swift build failed"
    riptides="$(cd "$root" && swift build -c release --show-bin-path)/riptides"
fi
[[ -x "$riptides" ]] || fail "not executable: $riptides"

work="$(mktemp -d "${TMPDIR:-/tmp}/riptides-bench.XXXXXX")" || fail "mktemp failed"
server_pids=()
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nb="$work/netbench"
cc -O2 -Wall -o "$nb" "$here/netbench.c" || fail "compiling netbench.c failed"

# ---- listeners, outside riptides -------------------------------------------
start_server() { # MODE; the bound port ends up in $work/MODE.port
    local mode="$1" out="$work/$1.port" i
    "$nb" "$mode" "$HOST" 0 300 >"$out" &
    server_pids+=("$!")
    for ((i = 0; i < 100; i++)); do
        grep -q '^port=' "$out" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# Not in $(...): the pids have to be recorded in this shell.
start_server serve-tcp || fail "TCP listener did not start"
start_server serve-udp || fail "UDP listener did not start"
tcp_port="$(sed -n 's/^port=//p' "$work/serve-tcp.port")"
udp_port="$(sed -n 's/^port=//p' "$work/serve-udp.port")"

profile="$work/bench.yaml"
cat >"$profile" <<EOF
identity: spiffe://bench.example/agent/bench
rules:
  - name: bench
    to: [$HOST]
    ports: [$tcp_port, $udp_port]
EOF
"$riptides" check "$profile" >/dev/null || fail "profile rejected by riptides check"

say "riptides: $riptides"
say "listeners: tcp $HOST:$tcp_port, udp $HOST:$udp_port; N=$N, bulk=$BYTES bytes x $RUNS runs"

# ---- running ---------------------------------------------------------------
anomalies=()
run() { # SIDE ARGS... -> netbench's result line in $line (not in $(...): anomalies must stick)
    local side="$1"; shift
    local out err rc
    err="$work/stderr"
    if [[ "$side" == bare ]]; then
        out="$("$nb" "$@" 2>"$err")"; rc=$?
    else
        out="$("$riptides" exec "${isolation[@]}" --quiet --audit /dev/null --profile "$profile" -- "$nb" "$@" 2>"$err")"; rc=$?
    fi
    if ((rc != 0)) || [[ -s "$err" ]]; then
        anomalies+=("$side netbench $* -> exit $rc: ${out:-no output} $(tr '\n' ' ' <"$err")")
    fi
    line="$out"
}
field() { # KEY LINE
    local kv
    for kv in $2; do [[ "$kv" == "$1="* ]] && { printf '%s\n' "${kv#*=}"; return; }; done
    printf 'ERR\n'
}
median() { # numbers... (ERR entries ignored)
    printf '%s\n' "$@" | grep -v '^ERR$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "ERR"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ms_now() { date +%s%N; }

declare -A R
for side in bare riptides; do
    say "$side: $N TCP connects"
    run "$side" connect "$N" "$HOST" "$tcp_port"
    for k in median_us p90_us p99_us; do R[$side.connect.$k]="$(field "$k" "$line")"; done
    R[$side.connect.errors]="$(field errors "$line")"

    say "$side: $N UDP sendto"
    run "$side" udp "$N" "$HOST" "$udp_port"
    for k in median_us p90_us p99_us; do R[$side.udp.$k]="$(field "$k" "$line")"; done
    R[$side.udp.errors]="$(field errors "$line")"
    sent="$(field sent "$line")"; received="$(field received "$line")"
    [[ "$sent" == "$received" ]] || anomalies+=("$side udp: sent $sent datagrams, listener counted $received")
done

# Bulk and start-up: interleave the sides, take the median of RUNS each.
declare -A bulk startup
for ((i = 0; i < RUNS; i++)); do
    for side in bare riptides; do
        say "$side: bulk run $((i + 1))/$RUNS"
        run "$side" bulk "$BYTES" "$HOST" "$tcp_port"
        bulk[$side]+="$(field mb_per_s "$line") "
    done
done
for ((i = 0; i < RUNS; i++)); do
    for side in bare riptides; do
        t0="$(ms_now)"
        if [[ "$side" == bare ]]; then
            /bin/true
        else
            "$riptides" exec "${isolation[@]}" --quiet --audit /dev/null --profile "$profile" -- /bin/true ||
                anomalies+=("riptides exec -- /bin/true exited $?")
        fi
        t1="$(ms_now)"
        startup[$side]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }') "
    done
done
# shellcheck disable=SC2086
for side in bare riptides; do
    R[$side.bulk]="$(median ${bulk[$side]})"
    R[$side.startup]="$(median ${startup[$side]})"
done

# ---- table -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "ERR" || b == "ERR" || a + 0 == 0) print "-"; else printf "%.2fx\n", b / a }'; }
row() { printf '%-42s %12s %12s %9s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

printf '\n%-42s %12s %12s %9s\n' "figure" "bare" "riptides" "ratio"
printf '%-42s %12s %12s %9s\n' "------" "----" "--------" "-----"
for k in median p90 p99; do row "tcp connect $k (us)" "${R[bare.connect.${k}_us]}" "${R[riptides.connect.${k}_us]}"; done
for k in median p90 p99; do row "udp sendto+addr $k (us)" "${R[bare.udp.${k}_us]}" "${R[riptides.udp.${k}_us]}"; done
if ((BYTES % 1048576 == 0)); then size="$((BYTES / 1048576)) MiB"; else size="$BYTES B"; fi
row "bulk tcp $size, 64 KiB writes (MB/s)" "${R[bare.bulk]}" "${R[riptides.bulk]}"
row "exec /bin/true wall (ms)" "${R[bare.startup]}" "${R[riptides.startup]}"
printf '\n%s\n' "N=$N per latency figure (after 20 warm-up ops); bulk and exec are medians of $RUNS runs; ratio = riptides / bare; MB = 10^6 bytes."
range() { printf '%s\n' "$@" | grep -v '^ERR$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# shellcheck disable=SC2086
printf 'bulk MB/s over %s runs: bare %s, riptides %s (loopback throughput is noisy: compare the ranges)\n' \
    "$RUNS" "$(range ${bulk[bare]})" "$(range ${bulk[riptides]})"
printf 'errors: connect bare=%s riptides=%s; udp bare=%s riptides=%s\n' \
    "${R[bare.connect.errors]}" "${R[riptides.connect.errors]}" "${R[bare.udp.errors]}" "${R[riptides.udp.errors]}"

if ((${#anomalies[@]})); then
    printf '\nanomalies:\n'
    printf '  %s\n' "${anomalies[@]}"
    exit 1
fi
