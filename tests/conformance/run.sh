#!/usr/bin/env bash
# Protocol conformance: run every client case of the Autobahn TestSuite (1.*
# to 13.*, 517 cases, the permessage-deflate ones included) against the
# release binary in --echo mode, and fail unless every case ends exactly as
# tests/conformance/expected.json says (all OK, or INFORMATIONAL by design).
#
#   tests/conformance/run.sh              # the full suite (about 5-10 minutes)
#   tests/conformance/run.sh --quick      # without 12.* and 13.* (deflate): ~30 s
#   tests/conformance/run.sh --update     # rewrite expected.json from this run
#
# The runner is the shared Autobahn harness (shared/conformance/run-autobahn.sh
# beside the repository, as CI has it; AUTOBAHN_RUNNER overrides). It builds
# and caches its Python 2.7 environment from PyPI under ~/.cache on first use.
# The binary is target/release/wsprobe (WSPROBE_BIN overrides); reports and
# the client's stderr per case land in target/autobahn/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runner=${AUTOBAHN_RUNNER:-$(dirname "$repo")/shared/conformance/run-autobahn.sh}
bin=${WSPROBE_BIN:-$repo/target/release/wsprobe}
expected=$here/expected.json
outdir=$repo/target/autobahn

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

args=(-a wsprobe -o "$outdir" -t 60)
if [ "$quick" = 1 ]; then args+=(-x '12.*,13.*'); fi
if [ "$update" = 1 ]; then
  [ "$quick" = 0 ] || { echo "conformance: --update needs the full suite" >&2; exit 2; }
  args+=(--save-expect "$expected")
else
  args+=(--expect "$expected")
fi
# One run of the client per case: answer everything the fuzzing server sends,
# exit when it closes. Messages go to /dev/null; errors stay in client.log.
# The port is picked free on 127.0.0.1 (the runner refuses a busy one).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args+=(-p "$port")
status=0
bash "$runner" "${args[@]}" "$bin --echo --max-time 60 {url} > /dev/null" || status=$?

summary=$outdir/summary.json
[ -f "$summary" ] || { echo "conformance: the runner wrote no summary (exit $status)" >&2; exit 1; }
# Beyond the runner's own verdict: nothing non-strict or unimplemented either.
python3 - "$summary" <<'PY' || status=1
import json, sys
s = json.load(open(sys.argv[1]))
bad = {k: s[k] for k in ("failed", "non-strict", "unimplemented") if s[k]}
if bad or s["missing"]:
    print("conformance: not clean: %s%s" % (bad, " missing: %s" % s["missing"] if s["missing"] else ""))
    sys.exit(1)
print("conformance: %d cases, %d passed, %d informational, in %ss" % (s["cases"], s["passed"], s["informational"], s["seconds"]))
PY
if [ "$status" != 0 ]; then
  echo "conformance: FAILED; per-case reports in $outdir/clients, client stderr in $outdir/client.log" >&2
fi
exit "$status"
