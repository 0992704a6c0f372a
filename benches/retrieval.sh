#!/usr/bin/env bash
# Wall time and peak memory of whole retrieval runs through the binary:
# Alice sends Bob N messages of about 2 KB (one a second; default 1,000,
# `bash benches/retrieval.sh 10000` for more), her server relays them to
# Bob's, and then
#   1. nobody reads them (the deliveries alone, to subtract);
#   2. bob-laptop downloads them all by IMAP (STARTTLS on 143);
#   3. bob-phone downloads them all by POP3 (STLS on 110) and deletes them.
# A client downloads at most 1,000 messages a session, so each reads with
# one `fetch` step per thousand, ten minutes apart (a POP3 session holds
# the maildrop locked: the next must not start before it ends). Before
# timing, `mailhop test` checks each run does what it says (hops and their
# protocols), and a trace shows POP3 deleting every message. Each run is
# timed three times, through the `dist` binary as benches/ten-thousand.sh
# does (MAILHOP_PROFILE=release for the release one). Figures only; run it
# on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
messages="${1:-1000}"
profile="${MAILHOP_PROFILE:-dist}"
cargo build --profile "$profile" --quiet
binary="${CARGO_TARGET_DIR:-target}/$profile/mailhop"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$messages" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
body = "Hi Bob,\n\n" + line * 26
base = {
    "id": "retrieval-bench",
    "title": {"en": "Retrieval bench", "pt": "Bench de leitura"},
    "seed": 11,
    "nodes": {
        "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw",
                         "submit": "mail.home.test"},
        "mail.home.test": {"role": "msa", "accounts": {"alice@home.test": "pw"},
                           "connection_cache": "2s"},
        "mx.friend.test": {"role": "mda", "mailboxes": ["bob@friend.test"],
                           "accounts": {"bob@friend.test": "pw"}},
        "bob-laptop": {"role": "mua", "user": "bob@friend.test", "password": "pw",
                       "fetch": {"server": "mx.friend.test", "protocol": "imap"}},
        "bob-phone": {"role": "mua", "user": "bob@friend.test", "password": "pw",
                      "fetch": {"server": "mx.friend.test", "protocol": "pop3", "delete": True}},
    },
    "dns": {"friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}]}},
    "script": [
        {"at": f"{i}s", "send": {"from": "alice-laptop", "to": ["bob@friend.test"],
                                 "subject": f"Message {i}", "body": body}}
        for i in range(n)
    ],
}
# Reading starts ten minutes after the last message was sent.
start = n + 600
sessions = (n + 999) // 1000
runs = {
    "deliver": ([], 2 * n),
    "imap": ([{"at": f"{start + 600 * k}s", "fetch": {"by": "bob-laptop"}}
              for k in range(sessions)], 3 * n),
    "pop3": ([{"at": f"{start + 600 * k}s", "fetch": {"by": "bob-phone"}}
              for k in range(sessions)], 3 * n),
}
for name, (reads, hops) in runs.items():
    s = json.loads(json.dumps(base))
    s["id"] = f"retrieval-{name}"
    s["script"] += reads
    s["expect"] = [{"hops": hops}]
    if name != "deliver":
        device = {"imap": "bob-laptop", "pop3": "bob-phone"}[name]
        s["expect"].append({"hop": {"to": device, "protocol": name.upper()}})
    json.dump(s, open(f"{work}/{name}.json", "w"))
PY
"$binary" test "$work/deliver.json" "$work/imap.json" "$work/pop3.json" > "$work/checked.txt" \
  || { cut -c1-300 "$work/checked.txt"; exit 1; }
"$binary" run "$work/pop3.json" --trace-out "$work/pop3.ndjson" > /dev/null
python3 - "$work/pop3.ndjson" "$messages" <<'PY'
import json, sys
deleted = sum(1 for line in open(sys.argv[1])
              if '"expunged"' in line and json.loads(line).get("by") == "DELE")
assert deleted == int(sys.argv[2]), f"POP3 deleted {deleted} of {sys.argv[2]}"
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
echo "$messages messages of about 2 KB, $profile binary"
for run in deliver imap pop3; do
  case "$run" in
    deliver) label="delivered, nobody reads them        " ;;
    imap) label="delivered, then IMAP downloads all  " ;;
    pop3) label="delivered, then POP3 downloads, DELE" ;;
  esac
  for _ in 1 2 3; do measure "$label" "$binary" run "$work/$run.json"; done
done
