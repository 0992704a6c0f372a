#!/bin/sh
# Makes tests/data/rfc7208-tests.json, which tests/spf_suite.rs reads, from
# the RFC 7208 test suite as pyspf ships it (no YAML crate in the tree):
#
#   pip download pyspf==2.0.14 --no-deps --no-binary :all:
#   # sha256 57a7ef01bda090173aafb6af0106251686ed73f03db4e911fcd34c57fc347186
#   tar xzf pyspf-2.0.14.tar.gz
#   tests/data/convert-rfc7208.sh pyspf-2.0.14/test/rfc7208-tests.yml tests/data/rfc7208-tests.json
#
# and copy pyspf-2.0.14/test/rfc7208-tests.LICENSE beside it. The YAML
# documents (one per scenario) become one JSON array, keys sorted, one
# scenario per line; escapes such as "\x80" are read by a real YAML parser
# (Debian's python3-yaml, under /usr/bin/python3).
set -eu
/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys, yaml
with open(sys.argv[1], "rb") as f:
    docs = list(yaml.safe_load_all(f))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("[\n")
    out.write(",\n".join(json.dumps(d, sort_keys=True, ensure_ascii=True) for d in docs))
    out.write("\n]\n")
PY
