#!/usr/bin/env python3
"""A classroom against `mailhop serve`: many students open a scenario page
with its data and ask for what-ifs every few seconds. Prints p50/p99 for
pages and what-ifs, the errors, and the server's memory before and after.

Loopback only, bounded in students and time. Standard library only.

    cargo build --profile dist
    python3 benches/classroom-load.py [--students 200] [--seconds 30] [--heavy 20]

Each student connects from an address of its own in 127.0.0.0/8, as the
students of a room do, so the server's per-student limits apply as they
would in class. `--heavy N` adds N students who ask, back to back and four
at a time, for heavy what-ifs that no cache can answer (a 40 KB body of
blank lines, a new subject each time): the storm that once took the
server to 2 GB.

Figures only: nothing here passes or fails.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


async def request(port, method, path, body=None, source=None):
    """One HTTP/1.1 request on a fresh connection from `source`; returns
    (status, seconds)."""
    started = time.perf_counter()
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(HOST, port, local_addr=local)
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Origin: http://{HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, time.perf_counter() - started


def address(n):
    """The n-th student's own loopback address."""
    return f"127.1.{n // 250}.{n % 250 + 1}"


async def heavy_student(port, deadline, source, heavy, errors):
    """Asks for uncacheable heavy what-ifs, four at a time, back to back."""
    count = 0

    async def one():
        nonlocal count
        while time.perf_counter() < deadline:
            count += 1
            body = {"toggles": {}, "subject": f"storm {source} {count}", "body": "\n" * 19_999}
            try:
                status, took = await request(port, "POST", "/api/s/six-hops/whatif", body, source)
                heavy.append((status, took))
            except OSError as err:
                errors[str(err)] = errors.get(str(err), 0) + 1
                await asyncio.sleep(0.1)

    await asyncio.gather(*(one() for _ in range(4)))


async def student(port, deadline, pages, whatifs, errors, rng, source):
    toggles = [{}, {"starttls:smarthost.isp.test": False}, {"fault:0": False},
               {"starttls:filter.spamco.test": True}]
    while time.perf_counter() < deadline:
        for path in ("/s/six-hops", "/api/s/six-hops"):
            try:
                status, took = await request(port, "GET", path, source=source)
                pages.append(took)
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1
            except OSError as err:
                errors[str(err)] = errors.get(str(err), 0) + 1
        await asyncio.sleep(rng.uniform(1.0, 4.0))
        try:
            status, took = await request(port, "POST", "/api/s/six-hops/whatif",
                                         {"toggles": rng.choice(toggles)}, source)
            whatifs.append(took)
            if status != 200:
                errors[status] = errors.get(status, 0) + 1
        except OSError as err:
            errors[str(err)] = errors.get(str(err), 0) + 1
        await asyncio.sleep(rng.uniform(1.0, 4.0))


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--heavy", type=int, default=0)
    args = parser.parse_args()
    args.heavy = max(0, min(args.heavy, 100))
    args.students = max(1, min(args.students, 1000))
    args.seconds = max(5, min(args.seconds, 600))

    binary = os.path.join(os.path.dirname(__file__), "..", "target", "dist", "mailhop")
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                status, _ = await request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                await asyncio.sleep(0.1)
        before = rss_kb(server.pid)
        pages, whatifs, heavy, errors = [], [], [], {}
        deadline = time.perf_counter() + args.seconds
        rng = random.Random(7)
        peak = [before]

        async def watch_memory():
            while time.perf_counter() < deadline:
                peak[0] = max(peak[0], rss_kb(server.pid))
                await asyncio.sleep(0.2)

        await asyncio.gather(
            watch_memory(),
            *(student(port, deadline, pages, whatifs, errors, random.Random(rng.random()),
                      address(n))
              for n in range(args.students)),
            *(heavy_student(port, deadline, address(1000 + n), heavy, errors)
              for n in range(args.heavy)))
        await asyncio.sleep(2)
        after = rss_kb(server.pid)
        await asyncio.sleep(8)
        later = rss_kb(server.pid)
        await asyncio.sleep(20)
        much_later = rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"{args.students} students for {args.seconds} s")
    print(f"pages:    {len(pages)} requests, p50 {pct(pages, 0.5):.1f} ms, p99 {pct(pages, 0.99):.1f} ms")
    print(f"what-ifs: {len(whatifs)} requests, p50 {pct(whatifs, 0.5):.1f} ms, p99 {pct(whatifs, 0.99):.1f} ms")
    if args.heavy:
        answered = [t for status, t in heavy if status == 200]
        refused = {}
        for status, _ in heavy:
            if status != 200:
                refused[status] = refused.get(status, 0) + 1
        print(f"heavy:    {args.heavy} students, {len(heavy)} requests, {len(answered)} run "
              f"(p50 {pct(answered, 0.5):.1f} ms, p99 {pct(answered, 0.99):.1f} ms), "
              f"refused {refused or 'none'} (deliberate: 429 one at a time, 503 pool full)")
    print(f"errors:   {errors or 'none'}")
    print(f"server memory: {before} kB before, {peak[0]} kB at most during the storm, "
          f"{after} kB 2 s after, {later} kB 10 s after, {much_later} kB 30 s after")


if __name__ == "__main__":
    if sys.version_info < (3, 8):
        sys.exit("python 3.8 or newer")
    asyncio.run(main())
