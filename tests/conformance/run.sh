#!/usr/bin/env bash
# Protocol conformance: run every client case of the Autobahn TestSuite (1.*
# to 13.*, 517 cases, the permessage-deflate ones included) against the
# release binary in --echo mode, and fail unless every case ends exactly as
# tests/conformance/expected.json says (all OK, or INFORMATIONAL by design).
#
#   tests/conformance/run.sh              # the full suite
#   tests/conformance/run.sh --quick      # without 12.* and 13.* (deflate): ~20 s
#   tests/conformance/run.sh --update     # rewrite expected.json from this run
#
# The fuzzing server is single-threaded Python and most of the time goes to
# it, so the cases run as two halves of about equal time, each with its own
# server, side by side (PARTS=1 runs them in one go).
#
# The runner is the shared Autobahn harness (shared/conformance/run-autobahn.sh
# beside the repository, as CI has it; AUTOBAHN_RUNNER overrides). It builds
# and caches its Python 2.7 environment from PyPI under ~/.cache on first use.
# The binary is target/release/wsprobe (WSPROBE_BIN overrides); reports and
# the client's stderr per case land in target/autobahn/partN/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runner=${AUTOBAHN_RUNNER:-$(dirname "$repo")/shared/conformance/run-autobahn.sh}
bin=${WSPROBE_BIN:-$repo/target/release/wsprobe}
expected=$here/expected.json
outdir=$repo/target/autobahn
parts=${PARTS:-2}

quick=0 update=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --update) update=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) echo "conformance: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$runner" ] || { echo "conformance: no Autobahn runner at $runner (set AUTOBAHN_RUNNER)" >&2; exit 2; }
[ -x "$bin" ] || { echo "conformance: no binary at $bin: run 'cargo build --release --locked' first" >&2; exit 2; }
[ "$quick" = 0 ] || [ "$update" = 0 ] || { echo "conformance: --update needs the full suite" >&2; exit 2; }

# The second half: the deflate groups that took half of the time (measured
# per group from the reports' durations).
half='12.4.*,12.5.*,13.2.*,13.3.*,13.4.*,13.5.*,13.6.*,13.7.*'
selections=()
if [ "$quick" = 1 ]; then
  selections=("-x 12.*,13.*")
elif [ "$parts" = 1 ]; then
  selections=("-c *")
else
  selections=("-x $half" "-c $half")
fi

# Set up the cached environment once, not from both halves at the same time.
bash "$runner" --setup-only >/dev/null

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rm -rf "$outdir"
mkdir -p "$outdir"
pids=()
for i in "${!selections[@]}"; do
  dir=$outdir/part$((i + 1))
  read -r flag list <<<"${selections[$i]}"
  args=(-a wsprobe -o "$dir" -t 60 -p "$(free_port)" "$flag" "$list")
  if [ "$update" = 1 ]; then args+=(--save-expect "$dir/expect.json"); else args+=(--expect "$expected"); fi
  # One run of the client per case: answer everything the fuzzing server
  # sends, exit when it closes. Messages go to /dev/null; errors stay in
  # client.log.
  bash "$runner" "${args[@]}" "$bin --echo --max-time 60 {url} > /dev/null" >"$dir.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

# One verdict over the parts: every case as expected, nothing failed,
# non-strict or unimplemented (the runner alone lets those two pass).
python3 - "$outdir" "$expected" "$update" "${#selections[@]}" <<'PY'
import json, os, sys
outdir, expected, update, n = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
keys = ["passed", "failed", "non-strict", "informational", "unimplemented"]
total = {k: 0 for k in keys}
cases, seconds, problems = 0, 0, []
baseline = {}
for i in range(1, n + 1):
    part = os.path.join(outdir, "part%d" % i)
    path = os.path.join(part, "summary.json")
    if not os.path.exists(path):
        problems.append("part %d wrote no summary (see %s.log)" % (i, part))
        continue
    s = json.load(open(path))
    for k in keys:
        total[k] += s[k]
    cases += s["cases"]
    seconds = max(seconds, s["seconds"])
    problems += ["%s: no result" % c for c in s["missing"]]
    problems += ["%s: failed" % c for c in s["failed_cases"]]
    problems += s["baseline_differences"]
    if update:
        baseline.update(json.load(open(os.path.join(part, "expect.json")))["wsprobe"])
if total["non-strict"] or total["unimplemented"]:
    problems.append("%d non-strict, %d unimplemented" % (total["non-strict"], total["unimplemented"]))
print("autobahn: %d passed, %d failed, %d non-strict, %d informational, %d unimplemented"
      % tuple(total[k] for k in keys))
print("conformance: %d cases in %d s%s" % (cases, seconds, " (%d parts side by side)" % n if n > 1 else ""))
if update and not problems:
    with open(expected, "w") as f:
        json.dump({"wsprobe": baseline}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("conformance: wrote %s (%d cases)" % (expected, len(baseline)))
if problems:
    print("conformance: FAILED")
    for p in problems[:60]:
        print("  " + p)
    print("reports: %s/partN/clients, client stderr: %s/partN/client.log" % (outdir, outdir))
    sys.exit(1)
PY
