"""Python's poplib (standard library) against mailhop's POP3 engine.

Run by tests/pop3_peer.rs with the port, the user and the password. Every
answer poplib gets is printed as one JSON object; message bytes as hex, so
the Rust side can compare them octet for octet. poplib raises on any
answer that is not POP3, which fails the script and the test.
"""

import json
import poplib
import sys

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]

pop = poplib.POP3("127.0.0.1", port, timeout=30)
seen = {"welcome": pop.getwelcome().decode()}
seen["capa"] = pop.capa()
pop.user(user)
seen["pass"] = pop.pass_(password).decode()
seen["stat"] = list(pop.stat())
_, listing, _ = pop.list()
seen["list"] = [line.decode() for line in listing]
_, uidls, _ = pop.uidl()
seen["uidl"] = [line.decode() for line in uidls]
seen["uidl_2"] = pop.uidl(2).decode()
_, lines, _ = pop.top(1, 0)
seen["top"] = b"".join(line + b"\r\n" for line in lines).hex()
seen["retr"] = []
for number in range(1, seen["stat"][0] + 1):
    response, lines, octets = pop.retr(number)
    seen["retr"].append(
        {
            "response": response.decode(),
            "message": b"".join(line + b"\r\n" for line in lines).hex(),
            "octets": octets,
        }
    )
seen["dele"] = pop.dele(1).decode()
try:
    pop.retr(1)
    seen["retr_deleted"] = "no error"
except poplib.error_proto as error:
    seen["retr_deleted"] = error.args[0].decode()
seen["quit"] = pop.quit().decode()
print(json.dumps(seen))
