"""dkimpy (Debian's python3-dkim) judging one message for tests/common/dkimpy.rs.

Reads one JSON object on stdin: {"message": base64 bytes, "records": {"name.":
"TXT value", ...}, "now": seconds since 1970}. DNS is the records and nothing
else; dkimpy's clock is `now` (it refuses a t= more than a few hours in its
future, and an x= in its past). Writes one JSON object on stdout:
{"dkim": [{"verified", "domain", "selector", "why"}, ...] one per
DKIM-Signature, top first (dkimpy's idx), "arc": {"cv", "reason"}, "asked":
[names looked up, in order]}.
"""
import base64
import json
import logging
import sys
import time

import dkim
import dkim.util

request = json.load(sys.stdin)
NOW = int(request["now"])
time.time = lambda: NOW


def fqdn(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


records = {fqdn(k): v.encode() for k, v in request["records"].items()}
asked = []


def dnsfunc(name, timeout=5):
    name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    asked.append(name)
    return records.get(fqdn(name))


class Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def logger(name):
    kept = Kept()
    log = logging.getLogger(name)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.handlers = [kept]
    return log, kept


message = base64.b64decode(request["message"])
headers = [v for k, v in dkim.DKIM(message).headers if k.lower() == b"dkim-signature"]
signatures = []
for idx, value in enumerate(headers):
    try:
        tags = dkim.util.parse_tag_value(value)
    except Exception:
        tags = {}
    log, kept = logger("dkimpy.sig%d" % idx)
    why = None
    try:
        verified = bool(dkim.DKIM(message, logger=log).verify(idx=idx, dnsfunc=dnsfunc))
    except dkim.DKIMException as e:
        verified, why = False, str(e)
    if not verified and why is None:
        errors = [l for l in kept.lines if not l.startswith(("bh:", "sig:", "h:"))]
        why = errors[-1] if errors else "not verified"
    signatures.append({
        "verified": verified,
        "domain": tags.get(b"d", b"").decode("ascii", "replace"),
        "selector": tags.get(b"s", b"").decode("ascii", "replace"),
        "why": why,
    })

cv, _results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
cv = cv.decode("ascii") if isinstance(cv, bytes) else str(cv)
reason = reason.decode("ascii", "replace") if isinstance(reason, bytes) else str(reason)
json.dump({"dkim": signatures, "arc": {"cv": cv, "reason": reason}, "asked": asked}, sys.stdout)
