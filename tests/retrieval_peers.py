"""Python's imaplib or poplib against a mailbox server of a running world.

Run by tests/retrieval_peers.rs with: the protocol (imap or pop3), the
loopback port that stands in for the server, the server's name, the user,
the password and the scenario's CA certificate (PEM). The client believes
it talks to the server's name (that is the name it checks the certificate
against); only its socket goes to the loopback port.

It upgrades with STARTTLS (IMAP) or STLS (POP3), verifying the server's
certificate against the CA, logs in, reads INBOX and prints one JSON object
of what it saw; message bytes as hex, so the test compares them octet for
octet. Any answer the library does not expect raises, which fails the
script and the test.
"""

import imaplib
import json
import poplib
import socket
import ssl
import sys

protocol, port, host, user, password, ca = sys.argv[1:7]
port = int(port)


class LoopbackIMAP(imaplib.IMAP4):
    """IMAP4 to `host`, over a socket to the loopback port."""

    def _create_socket(self, timeout):
        return socket.create_connection(("127.0.0.1", port), timeout)


class LoopbackPOP3(poplib.POP3):
    """POP3 to `host`, over a socket to the loopback port."""

    def _create_socket(self, timeout):
        return socket.create_connection(("127.0.0.1", port), timeout)


def tls_context():
    """Trusts only the scenario's CA, and checks the host name."""
    context = ssl.create_default_context(cadata=ca)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    return context


def peer(sock):
    """What the handshake gave: version and the certificate's names."""
    cert = sock.getpeercert()
    return {
        "version": sock.version(),
        "names": [name for kind, name in cert["subjectAltName"] if kind == "DNS"],
    }


def imap():
    M = LoopbackIMAP(host, port, timeout=30)
    seen = {"welcome": M.welcome.decode(), "before_tls": sorted(M.capabilities)}
    typ, data = M.starttls(tls_context())
    seen["starttls"] = typ
    seen["tls"] = peer(M.sock)
    seen["after_tls"] = sorted(M.capabilities)
    typ, data = M.login(user, password)
    seen["login"] = [typ, data[0].decode()]
    typ, data = M.select("INBOX")
    seen["select"] = [typ, int(data[0])]
    typ, data = M.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert typ == "OK", (typ, data)
    seen["fetched"] = [
        {"head": item[0].decode(), "body": item[1].hex()}
        for item in data
        if isinstance(item, tuple)
    ]
    typ, data = M.logout()
    seen["logout"] = [typ, data[0].decode()]
    return seen


def pop3():
    P = LoopbackPOP3(host, port, timeout=30)
    seen = {"welcome": P.getwelcome().decode(), "before_tls": sorted(P.capa())}
    seen["stls"] = P.stls(tls_context()).decode()
    seen["tls"] = peer(P.sock)
    seen["after_tls"] = sorted(P.capa())
    seen["user"] = P.user(user).decode()
    seen["pass"] = P.pass_(password).decode()
    seen["stat"] = list(P.stat())
    response, lines, octets = P.retr(1)
    seen["retr"] = {
        "response": response.decode(),
        "message": b"".join(line + b"\r\n" for line in lines).hex(),
        "octets": octets,
    }
    seen["dele"] = P.dele(1).decode()
    seen["quit"] = P.quit().decode()
    return seen


print(json.dumps({"imap": imap, "pop3": pop3}[protocol]()))
