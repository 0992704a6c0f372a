"""An independent IMAP client for tests/imap_peer.rs: Python's imaplib
talks to mailhop's IMAP engine on a loopback port. It prints what it
fetched (base64, so the test compares bytes) and exits non-zero, with the
reason, on any answer it did not expect."""

import base64
import imaplib
import sys

port = int(sys.argv[1])
M = imaplib.IMAP4("127.0.0.1", port)
assert "IMAP4REV1" in M.capabilities, M.capabilities

typ, data = M.login("bob@friend.test", "pw")
assert typ == "OK", (typ, data)

typ, data = M.list()
assert typ == "OK", (typ, data)
listed = b"\n".join(data)
for line in (b'() "/" INBOX', b'(\\Junk) "/" Junk', b'(\\Sent) "/" Sent'):
    assert line in listed, listed

typ, data = M.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)

typ, data = M.uid("SEARCH", None, "ALL")
assert typ == "OK" and data[0].split() == [b"1", b"2"], (typ, data)
typ, data = M.uid("SEARCH", None, "UNSEEN")
assert typ == "OK" and data[0].split() == [b"1", b"2"], (typ, data)

typ, data = M.uid("FETCH", "1", "(BODY.PEEK[])")
assert typ == "OK", (typ, data)
head, body = data[0]
assert b"UID 1" in head, head
print("BODY", base64.b64encode(body).decode())

typ, data = M.uid("STORE", "1", "+FLAGS", "(\\Seen)")
assert typ == "OK" and b"\\Seen" in data[0], (typ, data)

sent = b"From: bob@friend.test\r\nTo: alice@home.test\r\nSubject: Re: Hi\r\n\r\nThanks!\r\n"
typ, data = M.append("Sent", "(\\Seen)", None, sent)
assert typ == "OK" and b"APPENDUID" in data[0], (typ, data)

typ, data = M.uid("MOVE", "2", "Junk")
assert typ == "OK", (typ, data)

typ, data = M.select("Junk", readonly=True)
assert typ == "OK" and data == [b"1"], (typ, data)

typ, data = M.logout()
assert typ in ("OK", "BYE"), (typ, data)
print("DONE")
