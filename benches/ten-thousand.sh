#!/usr/bin/env bash
# Wall time and peak memory of a 10,000-message six-hop run (one message a
# second for 10,000 virtual seconds, Bob's server down for the first two
# hours), through the `dist` binary (what `cargo run --profile dist` runs). Figures only; run it on a quiet
# machine.
#
# The relays keep their connections (`connection_cache: 2s`, as a Postfix
# relay with connection caching would at this volume) and every client
# resumes its TLS sessions. Three runs:
#   1. the trace held in memory (what `mailhop run` does by default);
#   2. the trace written as it happens (`--trace-out`), the way to run very
#      large worlds;
#   3. for comparison, without connection_cache: a connection and a TLS
#      handshake for every message on every hop.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --profile dist --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
s = json.load(open("scenarios/six-hops.json"))
step = s["script"][0]
s["script"] = [dict(step, at=f"{i}s") for i in range(10_000)]
s["expect"], s["captions"] = [], []
s.pop("$schema", None)
json.dump(s, open(f"{sys.argv[1]}/uncached.json", "w"))
for node in s["nodes"].values():
    if node["role"] != "mua":
        node["connection_cache"] = "2s"
json.dump(s, open(f"{sys.argv[1]}/cached.json", "w"))
PY
measure() {
  local label="$1"; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$label: %e s wall, %M KB peak" "$@" > /dev/null
  else
    local start; start=$(date +%s.%N)
    "$@" > /dev/null
    echo "$label: $(echo "$(date +%s.%N) - $start" | bc) s wall (install GNU time for peak memory)"
  fi
}
measure "10,000 messages, trace in memory" target/dist/mailhop run "$work/cached.json"
measure "10,000 messages, --trace-out" target/dist/mailhop run "$work/cached.json" --trace-out "$work/trace.ndjson"
echo "   the trace file: $(du -h "$work/trace.ndjson" | cut -f1), $(wc -l < "$work/trace.ndjson") lines"
measure "10,000 messages, no connection_cache" target/dist/mailhop run "$work/uncached.json"
