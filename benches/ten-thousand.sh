#!/usr/bin/env bash
# Wall time and peak memory of a 10,000-message six-hop run, through the
# release binary. Figures only; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
scenario="$(mktemp --suffix=.json)"
trap 'rm -f "$scenario"' EXIT
python3 - "$scenario" <<'PY'
import json, sys
s = json.load(open("scenarios/six-hops.json"))
step = s["script"][0]
s["script"] = [dict(step, at=f"{i}s") for i in range(10_000)]
s["expect"], s["captions"] = [], []
s.pop("$schema", None)
json.dump(s, open(sys.argv[1], "w"))
PY
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "10,000 messages: %e s wall, %M KB peak" target/release/mailhop run "$scenario" > /dev/null
else
  start=$(date +%s.%N)
  target/release/mailhop run "$scenario" > /dev/null
  echo "10,000 messages: $(echo "$(date +%s.%N) - $start" | bc) s wall (install GNU time for peak memory)"
fi
