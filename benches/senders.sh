#!/usr/bin/env bash
# Wall time and peak memory of sender authentication through the binary:
# Alice sends Bob N messages of about 2 KB (one a second; default 1,000,
# `bash benches/senders.sh 10000` for more). Her server relays them to
# Bob's, and
#   1. nothing is signed or checked (the baseline, to subtract);
#   2. her server signs each with DKIM (RSA-2048) and Bob's server checks
#      SPF, DKIM, DMARC and ARC and scores it for spam;
#   3. the same with an Ed25519 key.
# Before timing, `mailhop test` checks each run does what it says. Each
# run is timed three times, through the `dist` binary
# (MAILHOP_PROFILE=release for the release one). Figures only; run it on a
# quiet machine.
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
def scenario(kind):
    home = {"role": "msa", "accounts": {"alice@home.test": "pw"}, "connection_cache": "2s"}
    mx = {"role": "mda", "mailboxes": ["bob@friend.test"]}
    expect = [{"hops": 2 * n}]
    if kind != "plain":
        home["dkim"] = {"domain": "home.test", "selector": "s1", "algorithm": kind}
        mx["check_senders"] = {}
        mx["spam"] = {}
        expect.append({"authenticated": {"at": "mx.friend.test", "spf": "pass",
                                         "dkim": "pass", "dmarc": "pass"}})
    return {
        "id": f"senders-{kind}",
        "title": {"en": "Senders bench", "pt": "Bench de remetentes"},
        "seed": 5,
        "until": "30d",
        "nodes": {
            "alice-laptop": {"role": "mua", "user": "alice@home.test", "password": "pw",
                             "submit": "mail.home.test"},
            "mail.home.test": home,
            "mx.friend.test": mx,
        },
        "dns": {
            "home.test": {"TXT": ["v=spf1 a:mail.home.test -all"]},
            "_dmarc.home.test": {"TXT": ["v=DMARC1; p=reject"]},
            "friend.test": {"MX": [{"preference": 10, "host": "mx.friend.test"}]},
        },
        "script": [{"at": f"{i}s", "send": {"from": "alice-laptop", "to": ["bob@friend.test"],
                                            "subject": f"Message {i}", "body": body}}
                   for i in range(n)],
        "expect": expect,
    }
for kind in ["plain", "rsa", "ed25519"]:
    with open(f"{work}/{kind}.json", "w") as f:
        json.dump(scenario(kind), f)
PY
for kind in plain rsa ed25519; do
  "$binary" test --max-events 50000000 "$work/$kind.json" > /dev/null
  for run in 1 2 3; do
    /usr/bin/time -f "$kind ($messages messages) run $run: %e s, peak %M KB" \
      "$binary" run --max-events 50000000 "$work/$kind.json" > /dev/null
  done
done
