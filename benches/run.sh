#!/usr/bin/env bash
# The wsprobe benchmark (README.md, "Benchmark"). Runs wsprobe, websocat
# (when installed) and a raw-TCP ceiling on the same workloads against the
# same single-threaded peers on 127.0.0.1 (examples/bench_server.rs), checks
# every run's output byte for byte, and prints medians of wall time, CPU
# time and peak RSS with ratios against websocat from the same invocation.
#
#   bash benches/run.sh         five workloads, wss://, start-up, binary size,
#                               and three of listen mode (l1 to l3)
#   bash benches/run.sh --big   also 1 GiB through a slow server and through
#                               a slow stdout reader, with RSS sampled
#   BENCH_RUNS=N                measured runs per workload (default 7), each
#                               after one warm-up run; d, wss:// and --version
#                               get five times as many
#   WEBSOCAT=PATH               the websocat to compare with (default: the one
#                               on PATH; empty: none)
#   BENCH_ONLY="l1 l2"          run only these workloads (default: all)
#   BASELINE=PATH               another wsprobe binary (an older build) run
#                               with the same arguments, taking turns with
#                               this one: "vs baseline" shows the change
#
# Not part of CI: timings depend on the machine. Exit status 1 if any run
# failed or printed the wrong bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
began=$(date +%s)

big=0
for arg in "$@"; do
  case $arg in
    --big) big=1 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "benches/run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
runs=${BENCH_RUNS:-7}
# Only loopback is measured: no proxy may take part.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
  ws_proxy WS_PROXY wss_proxy WSS_PROXY no_proxy NO_PROXY SSLKEYLOGFILE

echo "building the release binary and the bench peer..." >&2
cargo build --release --locked --quiet --bin wsprobe --example bench_server
W=$PWD/target/release/wsprobe
B=$PWD/target/release/examples/bench_server
WEBSOCAT=${WEBSOCAT-$(command -v websocat || true)}
BASELINE=${BASELINE:-}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "benches/run.sh: BASELINE=$BASELINE is not an executable" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wsprobe-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server VAR ARGS...: start `bench_server serve ARGS...`, put its port in VAR.
start_server() {
  local var=$1 fd port
  shift
  exec {fd}< <(exec "$B" serve "$@")
  pids+=($!)
  if ! read -r -t 20 -u "$fd" port; then
    echo "benches/run.sh: bench_server serve $* did not start" >&2
    exit 1
  fi
  printf -v "$var" '%s' "$port"
}

echo "generating inputs..." >&2
"$B" gen lines 200000 100 > "$tmp/a.in"
"$B" gen lines 20000 4096 > "$tmp/b.in"
"$B" gen bytes $((64 << 20)) > "$tmp/c.in"
printf 'hello\n' > "$tmp/d.in"
cp "$tmp/a.in" "$tmp/e.expected" # the source sends the same lines
"$B" gen lines 50000 100 > "$tmp/l3.in" # 50 clients x 1,000, numbered: sorted as made
: > "$tmp/empty"
"$W" --version > "$tmp/v.wsprobe"
[ -n "$WEBSOCAT" ] && "$WEBSOCAT" --version > "$tmp/v.websocat"
[ -n "$BASELINE" ] && "$BASELINE" --version > "$tmp/v.baseline"
: > "$tmp/v.raw" # true(1) prints nothing

start_server ECHO echo
start_server SOURCE source --count 200000 --size 100
start_server RAW_ECHO raw-echo
start_server RAW_SOURCE raw-source --count 200000 --size 100
start_server TLS echo --tls "$tmp/ca.pem"

failed=0
declare -A WALL CPU RSS BEST SORTED PEER_EXPECTED

# Each workload is one array per tool: <workload>_wsprobe, <workload>_websocat,
# <workload>_raw (a command, words as array elements).
#
# bench W RUNS INPUT EXPECTED: one warm-up and RUNS measured runs of each
# tool that has a command for W, stdin from INPUT, stdout compared with
# EXPECTED (where %s stands for the tool's name). The tools take turns run by run, so that a busy moment of the
# machine falls on all of them alike. Medians into WALL/CPU/RSS[W.tool],
# the fastest wall time into BEST.
bench() {
  local w=$1 n=$2 input=$3 expected=$4 i tool rc stats
  local tools=()
  [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $w "* ]] || return 0
  for tool in wsprobe baseline websocat raw; do
    if declare -p "${w}_${tool}" > /dev/null 2>&1; then
      tools+=("$tool")
      : > "$tmp/stats.$w.$tool"
    fi
  done
  for ((i = 0; i <= n; i++)); do
    for tool in "${tools[@]}"; do
      [ -e "$tmp/stats.$w.$tool" ] || continue # failed earlier
      local -n cmd="${w}_${tool}"
      stats=$tmp/stats.$w.$tool
      [ "$i" -eq 0 ] && stats=$tmp/warmup
      rc=0
      # A listening tool's clients: bench_server peer ..., started by
      # measure once the tool runs; what they received goes to peer.out.
      local peer=()
      if declare -p "${w}_${tool}_peer" > /dev/null 2>&1; then
        local -n peer_cmd="${w}_${tool}_peer"
        peer=(--peer "${peer_cmd[@]}")
        unset -n peer_cmd
      fi
      rm -f "$tmp/peer.out"
      "$B" measure "$stats" 60 "${peer[@]}" -- "${cmd[@]}" < "$input" > "$tmp/out" 2> "$tmp/err" || rc=$?
      local got=$tmp/out
      if [ -n "${SORTED[$w]:-}" ]; then
        # Several clients at once: their messages interleave, so the lines
        # are compared as a set (each client's are numbered in order).
        LC_ALL=C sort "$tmp/out" > "$tmp/out.sorted"
        got=$tmp/out.sorted
      fi
      if [ "$rc" -ne 0 ] || ! cmp -s "$got" "${expected//%s/$tool}" ||
        { [ -n "${PEER_EXPECTED[$w]:-}" ] && ! cmp -s "$tmp/peer.out" "${PEER_EXPECTED[$w]}"; }; then
        echo "FAILED $w $tool (exit $rc): ${cmd[*]}" >&2
        [ "$rc" -ne 0 ] || cmp "$got" "${expected//%s/$tool}" >&2 || true
        [ -z "${PEER_EXPECTED[$w]:-}" ] || cmp "$tmp/peer.out" "${PEER_EXPECTED[$w]}" >&2 || true
        head -c 2000 "$tmp/err" >&2
        rm -f "$tmp/stats.$w.$tool"
        failed=1
      fi
      unset -n cmd
    done
  done
  for tool in "${tools[@]}"; do
    stats=$tmp/stats.$w.$tool
    [ -s "$stats" ] || continue
    WALL[$w.$tool]=$(sort -n -k1,1 "$stats" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    CPU[$w.$tool]=$(sort -n -k2,2 "$stats" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')
    RSS[$w.$tool]=$(sort -n -k3,3 "$stats" | awk '{ v[NR] = $3 } END { print v[int((NR + 1) / 2)] }')
    BEST[$w.$tool]=$(sort -n -k1,1 "$stats" | awk 'NR == 1 { print $1 }')
  done
}

ws=ws://127.0.0.1
# a: 200,000 x 100 B lines, echoed
a_wsprobe=("$W" -w 0 -c 200000 "$ws:$ECHO/")
# b: 20,000 x 4 KiB lines, echoed
b_wsprobe=("$W" -w 0 -c 20000 "$ws:$ECHO/")
# c: one 64 MiB binary message, echoed
c_wsprobe=("$W" -b --whole -w 0 -c 1 "$ws:$ECHO/")
# d: connect, one line, print the echo, exit
d_wsprobe=("$W" -w 0 -c 1 "$ws:$ECHO/")
# e: the server streams 200,000 x 100 B messages
e_wsprobe=("$W" -n -c 200000 "$ws:$SOURCE/")
# t: d over wss:// (TLS on loopback, the bench CA given with --cacert)
t_wsprobe=("$W" --cacert "$tmp/ca.pem" -w 0 -c 1 "wss://127.0.0.1:$TLS/")
# v: start-up
v_wsprobe=("$W" --version)

# Listen mode: the tool is the server, on a port taken now (each run
# binds it anew), and bench_server's peer is the client, connecting as
# soon as the tool listens.
LPORT=$("$B" free-port)
# l1: one client sends 200,000 x 100 B messages, printed on stdout
l1_wsprobe=("$W" -l "127.0.0.1:$LPORT" --once)
l1_wsprobe_peer=(peer "$LPORT" send "$tmp/a.in")
# l2: 200,000 stdin lines sent to one client
l2_wsprobe=("$W" -l "127.0.0.1:$LPORT" --once)
l2_wsprobe_peer=(peer "$LPORT" recv 200000 "$tmp/peer.out")
PEER_EXPECTED[l2]=$tmp/a.in
# l3: 50 clients at once, 1,000 messages each; stopped with SIGINT once
# every client has had the Close answered
l3_wsprobe=("$W" -l "127.0.0.1:$LPORT" --max-clients 64)
l3_wsprobe_peer=(peer "$LPORT" send "$tmp/l3.in" --clients 50 --interrupt)
SORTED[l3]=1

if [ -n "$BASELINE" ]; then
  # The same commands with the older binary in place of this one.
  for w in a b c d e t v l1 l2 l3; do
    declare -n from="${w}_wsprobe"
    declare -a "${w}_baseline=()"
    declare -n to="${w}_baseline"
    to=("$BASELINE" "${from[@]:1}")
    unset -n from to
  done
  for w in l1 l2 l3; do
    declare -n from="${w}_wsprobe_peer"
    declare -a "${w}_baseline_peer=()"
    declare -n to="${w}_baseline_peer"
    to=("${from[@]}")
    unset -n from to
  done
fi

if [ -n "$WEBSOCAT" ]; then
  # websocat's equivalents: line mode is its default (a newline after each
  # message received); it closes at EOF of stdin and prints until the
  # server's Close. -B raises its 64 KiB message limit, and reading a
  # regular file it sends the whole 64 MiB as one message; -U only copies
  # server to stdout. For wss:// it is given the bench CA through OpenSSL's
  # SSL_CERT_FILE.
  a_websocat=("$WEBSOCAT" "$ws:$ECHO/")
  b_websocat=("$WEBSOCAT" "$ws:$ECHO/")
  c_websocat=("$WEBSOCAT" -b -B $((64 << 20)) "$ws:$ECHO/")
  d_websocat=("$WEBSOCAT" "$ws:$ECHO/")
  e_websocat=("$WEBSOCAT" -U "$ws:$SOURCE/")
  t_websocat=(env "SSL_CERT_FILE=$tmp/ca.pem" "$WEBSOCAT" "wss://127.0.0.1:$TLS/")
  v_websocat=("$WEBSOCAT" --version)
  # Listen mode: ws-l: serves (not -s, which exits at the end of stdin);
  # --oneshot exits after one client; -u copies only client to stdout, -U
  # only stdin to the client. No l3: websocat 1.13 serving 50 clients to
  # one stdout (ws-l: ... broadcast:-; plain - serves only one of them)
  # left the clients waiting for the end of the connection after their
  # Close in two runs of three here.
  l1_websocat=("$WEBSOCAT" -t -u --oneshot "ws-l:127.0.0.1:$LPORT" -)
  l1_websocat_peer=("${l1_wsprobe_peer[@]}")
  l2_websocat=("$WEBSOCAT" -t -U --oneshot "ws-l:127.0.0.1:$LPORT" -)
  l2_websocat_peer=("${l2_wsprobe_peer[@]}")
fi

# The ceiling: the same bytes over plain TCP (the peer echoes or streams
# them; a tiny client copies stdin to the socket and the socket to stdout).
a_raw=("$B" raw-client "$RAW_ECHO")
b_raw=("$B" raw-client "$RAW_ECHO")
c_raw=("$B" raw-client "$RAW_ECHO")
d_raw=("$B" raw-client "$RAW_ECHO")
e_raw=("$B" raw-client "$RAW_SOURCE")
# Listen mode's ceiling: one TCP connection, stdin to it and it to stdout.
l1_raw=("$B" raw-server "$LPORT")
l1_raw_peer=(peer "$LPORT" raw-send "$tmp/a.in")
l2_raw=("$B" raw-server "$LPORT")
l2_raw_peer=(peer "$LPORT" raw-recv "$tmp/peer.out")
# The floor of the start-up row: the harness starting a program that does
# nothing.
v_raw=("$(command -v true)")

echo "running ($runs runs per workload after a warm-up)..." >&2
bench a "$runs" "$tmp/a.in" "$tmp/a.in"
bench b "$runs" "$tmp/b.in" "$tmp/b.in"
bench c "$runs" "$tmp/c.in" "$tmp/c.in"
bench d $((runs * 5)) "$tmp/d.in" "$tmp/d.in"
bench e "$runs" "$tmp/empty" "$tmp/e.expected"
bench t $((runs * 5)) "$tmp/d.in" "$tmp/d.in"
bench v $((runs * 5)) "$tmp/empty" "$tmp/v.%s"
bench l1 "$runs" "$tmp/empty" "$tmp/a.in"
bench l2 "$runs" "$tmp/a.in" "$tmp/empty"
bench l3 "$runs" "$tmp/empty" "$tmp/l3.in"

# ---------------------------------------------------------------- report

fmt_time() { awk -v s="$1" 'BEGIN {
  ms = s * 1000
  if (ms < 10) printf "%.2f ms", ms; else if (ms < 100) printf "%.1f ms", ms; else printf "%.0f ms", ms }'; }
fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# verdict VALUE LIMIT: "ok" or "MISS"
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "ok" : "MISS") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

declare -A TITLE=(
  [a]="a: 200,000 x 100 B lines echoed"
  [b]="b: 20,000 x 4 KiB lines echoed"
  [c]="c: one 64 MiB binary message echoed"
  [d]="d: connect, one line, echo, exit"
  [e]="e: server streams 200,000 x 100 B"
  [t]="t: d over wss:// (loopback TLS)"
  [v]="v: --version"
  [l1]="l1: -l, client sends 200,000 x 100 B"
  [l2]="l2: -l, 200,000 stdin lines to client"
  [l3]="l3: -l, 50 clients x 1,000 messages"
)
declare -A WALL_TARGET=([a]=0.5 [b]=0.5 [c]=0.5 [d]=0.25 [e]=0.67 [l1]=0.5 [l2]=0.5 [l3]=0.5)
declare -A RSS_TARGET=([a]=0.5 [b]=0.5 [d]=0.5 [e]=0.5 [l1]=0.5 [l2]=0.5 [l3]=0.5)

echo
echo "wsprobe benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $runs runs after a warm-up (x5 for d, t, v), medians"
[ -n "$BASELINE" ] && echo "baseline: $BASELINE ($(cat "$tmp/v.baseline"))"
echo "wsprobe: $(cat "$tmp/v.wsprobe")   websocat: $([ -n "$WEBSOCAT" ] && cat "$tmp/v.websocat" || echo "none (not on PATH, or WEBSOCAT= given)")"
echo
printf '%-37s %-8s %9s %9s %10s  %-18s %-18s %s\n' workload tool wall cpu "peak RSS" "wall vs websocat" "RSS vs websocat" \
  "$([ -n "$BASELINE" ] && echo "wall, cpu, RSS vs baseline")"
for w in a b c d e t v l1 l2 l3; do
  first=1
  for tool in wsprobe baseline websocat raw; do
    key=$w.$tool
    [ -n "${WALL[$key]:-}" ] || continue
    title=""
    [ "$first" -eq 1 ] && title=${TITLE[$w]}
    first=0
    wr="" rr=""
    if [ "$tool" = wsprobe ] && [ -n "${WALL[$w.websocat]:-}" ]; then
      r=$(ratio "${WALL[$key]}" "${WALL[$w.websocat]}")
      wr="${r}x"
      [ -n "${WALL_TARGET[$w]:-}" ] && wr="$wr (<=${WALL_TARGET[$w]} $(verdict "$r" "${WALL_TARGET[$w]}"))"
      r=$(ratio "${RSS[$key]}" "${RSS[$w.websocat]}")
      rr="${r}x"
      [ -n "${RSS_TARGET[$w]:-}" ] && rr="$rr (<=${RSS_TARGET[$w]} $(verdict "$r" "${RSS_TARGET[$w]}"))"
    fi
    br=""
    if [ "$tool" = wsprobe ] && [ -n "${WALL[$w.baseline]:-}" ]; then
      br="$(ratio "${WALL[$key]}" "${WALL[$w.baseline]}")x, $(ratio "${CPU[$key]}" "${CPU[$w.baseline]}")x, $(ratio "${RSS[$key]}" "${RSS[$w.baseline]}")x"
    fi
    label=$tool
    [ "$tool" = raw ] && label="raw TCP"
    [ "$key" = v.raw ] && label="true"
    printf '%-37s %-8s %9s %9s %10s  %-18s %-18s %s\n' "$title" "$label" \
      "$(fmt_time "${WALL[$key]}")" "$(fmt_time "${CPU[$key]}")" "$(fmt_mib "${RSS[$key]}")" "$wr" "$rr" "$br"
  done
done

echo
echo "targets outside the table:"
if [ -n "${RSS[c.wsprobe]:-}" ]; then
  echo "  c peak RSS $(fmt_mib "${RSS[c.wsprobe]}") (<=140 MiB $(verdict "${RSS[c.wsprobe]}" $((140 * 1024))))"
fi
# Runs this short are at the mercy of the scheduler on a busy machine:
# the fastest run is shown too, as the cost without waiting for a CPU.
if [ -n "${WALL[v.wsprobe]:-}" ]; then
  echo "  --version $(fmt_time "${WALL[v.wsprobe]}") (<2 ms $(verdict "${WALL[v.wsprobe]}" 0.002));" \
    "fastest $(fmt_time "${BEST[v.wsprobe]}"); the harness runs true(1) in $(fmt_time "${WALL[v.raw]:-0}")"
fi
if [ -n "${WALL[t.wsprobe]:-}" ] && [ -n "${WALL[d.wsprobe]:-}" ]; then
  r=$(ratio "${WALL[t.wsprobe]}" "${WALL[d.wsprobe]}")
  echo "  wss:// one-shot ${r}x the ws:// one (<=1.5 $(verdict "$r" 1.5));" \
    "fastest runs: $(fmt_time "${BEST[t.wsprobe]}") and $(fmt_time "${BEST[d.wsprobe]}")," \
    "$(ratio "${BEST[t.wsprobe]}" "${BEST[d.wsprobe]}")x"
fi
for w in l1 l2; do
  if [ -n "${WALL[$w.wsprobe]:-}" ] && [ -n "${WALL[$w.raw]:-}" ]; then
    r=$(ratio "${WALL[$w.wsprobe]}" "${WALL[$w.raw]}")
    echo "  $w wall ${r}x the raw-TCP one (<=2 $(verdict "$r" 2))"
  fi
done
size=$(stat -c %s "$W")
# 6 MiB since the binary holds a server too (listen mode, rustls's server
# side, static files) and the check mode; it was 5 MiB for the client alone.
echo "  release binary $(fmt_mib $((size / 1024))) stripped (<6 MiB $(verdict "$size" $((6 << 20))))"

# ---------------------------------------------------------------- 1 GiB, slow peers

if [ "$big" -eq 1 ]; then
  # 1 GiB = 262,144 lines of 4095 bytes plus a newline. The peers are held
  # to 128 MiB/s, slower than wsprobe, so its buffers would grow if it did
  # not wait for them; RSS is sampled every 20 ms.
  lines=262144 rate=$((128 << 20))
  echo
  echo "1 GiB through slow peers (128 MiB/s), RSS sampled every 20 ms:"
  expected=$("$B" gen lines $lines 4095 | "$B" sum)
  start_server SLOW_ECHO echo --rate $rate
  start_server BIG_SOURCE source --count $lines --size 4095
  # big LABEL TOOL INPUT_CMD CONSUMER_ARGS -- CMD...
  big_run() {
    local label=$1 tool=$2 gen=$3 consumer=$4
    shift 5
    local got rc=0
    : > "$tmp/big.stats"
    got=$(set -o pipefail; $gen | "$B" measure "$tmp/big.stats" 120 --rss-log "$tmp/big.rss" -- "$@" \
      2> "$tmp/err" | "$B" $consumer) || rc=$?
    if [ "$rc" -ne 0 ] || [ "$got" != "$expected" ]; then
      echo "FAILED $label $tool (exit $rc; got '$got', expected '$expected')" >&2
      head -c 2000 "$tmp/err" >&2
      failed=1
      return 0
    fi
    read -r wall cpu peak _ < "$tmp/big.stats"
    # RSS over the first and the last quarter of the samples: flat means equal.
    awk -v label="$label" -v tool="$tool" -v wall="$wall" -v peak="$peak" '
      { v[NR] = $2 }
      END {
        q = int(NR / 4); if (q < 1) q = 1
        for (i = 1; i <= q; i++) if (v[i] > m1) m1 = v[i]
        for (i = NR - q + 1; i <= NR; i++) if (v[i] > m4) m4 = v[i]
        printf "  %-26s %-8s %6.2f s  peak %6.1f MiB  max RSS first quarter %6.1f MiB, last quarter %6.1f MiB (%d samples)\n",
          label, tool, wall, peak / 1024, m1 / 1024, m4 / 1024, NR
      }' "$tmp/big.rss"
  }
  gen_lines="$B gen lines $lines 4095"
  big_run "slow server (echo)" wsprobe "$gen_lines" sum -- "$W" -w 0 -c $lines "$ws:$SLOW_ECHO/"
  big_run "slow stdout reader" wsprobe "cat $tmp/empty" "sink --rate $rate" -- "$W" -n -c $lines "$ws:$BIG_SOURCE/"
  if [ -n "$WEBSOCAT" ]; then
    big_run "slow server (echo)" websocat "$gen_lines" sum -- "$WEBSOCAT" "$ws:$SLOW_ECHO/"
    big_run "slow stdout reader" websocat "cat $tmp/empty" "sink --rate $rate" -- "$WEBSOCAT" -U "$ws:$BIG_SOURCE/"
  fi
fi

echo
echo "benchmark took $(($(date +%s) - began)) s (build included)"
exit "$failed"
