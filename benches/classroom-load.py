#!/usr/bin/env python3
"""A classroom against `mailhop serve`: many students open a scenario page
with its data and ask for what-ifs every few seconds. Prints p50/p99 for
pages and what-ifs, the errors, and the server's memory before and after.

Loopback only, bounded in students and time. Standard library only.

    cargo build --release
    python3 benches/classroom-load.py [--students 200] [--seconds 30]

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


async def request(port, method, path, body=None):
    """One HTTP/1.1 request on a fresh connection; returns (status, seconds)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
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


async def student(port, deadline, pages, whatifs, errors, rng):
    toggles = [{}, {"starttls:smarthost.isp.test": False}, {"fault:0": False},
               {"starttls:filter.spamco.test": True}]
    while time.perf_counter() < deadline:
        for path in ("/s/six-hops", "/api/s/six-hops"):
            try:
                status, took = await request(port, "GET", path)
                pages.append(took)
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1
            except OSError as err:
                errors[str(err)] = errors.get(str(err), 0) + 1
        await asyncio.sleep(rng.uniform(1.0, 4.0))
        try:
            status, took = await request(port, "POST", "/api/s/six-hops/whatif",
                                         {"toggles": rng.choice(toggles)})
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
    args = parser.parse_args()
    args.students = max(1, min(args.students, 1000))
    args.seconds = max(5, min(args.seconds, 600))

    binary = os.path.join(os.path.dirname(__file__), "..", "target", "release", "mailhop")
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
        pages, whatifs, errors = [], [], {}
        deadline = time.perf_counter() + args.seconds
        rng = random.Random(7)
        await asyncio.gather(*(student(port, deadline, pages, whatifs, errors,
                                       random.Random(rng.random()))
                               for _ in range(args.students)))
        peak = rss_kb(server.pid)
        await asyncio.sleep(2)
        after = rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"{args.students} students for {args.seconds} s")
    print(f"pages:    {len(pages)} requests, p50 {pct(pages, 0.5):.1f} ms, p99 {pct(pages, 0.99):.1f} ms")
    print(f"what-ifs: {len(whatifs)} requests, p50 {pct(whatifs, 0.5):.1f} ms, p99 {pct(whatifs, 0.99):.1f} ms")
    print(f"errors:   {errors or 'none'}")
    print(f"server memory: {before} kB before, {peak} kB at the end of the storm, {after} kB 2 s later")


if __name__ == "__main__":
    if sys.version_info < (3, 8):
        sys.exit("python 3.8 or newer")
    asyncio.run(main())
