"""Servers the tests start: `wikicourse serve` as a real process (`serving`), and an app on a real
uvicorn server in a thread of this process (`served`)."""
from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn

from support.cli import command, environment
from wikicourse.web.serving import address, listen

SERVING = re.compile(r"serving (http://\S+)")


@dataclass
class Server:
    """A `wikicourse serve` process: its base URL (no trailing "/") and port while it runs; what it
    printed and its exit status once stopped (at the end of the `serving` block)."""
    url: str = ""
    port: int = 0
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    _out: list[str] = field(default_factory=list, repr=False)
    _err: list[str] = field(default_factory=list, repr=False)

    def output(self) -> str:
        """What it printed so far (standard error, then standard output)."""
        return "".join(self._err) + "".join(self._out)


@contextmanager
def serving(db: str, *args: str, port: int = 0, env: dict[str, str] | None = None, prefix: Sequence[str] = (),
            probe: str | None = "/api/courses", timeout: float = 30) -> Iterator[Server]:
    """`wikicourse --db DB serve --port PORT ARGS` until the block ends (then SIGTERM); yields its
    Server once it listens (its "serving http://..." line on standard error: port 0 asks for any
    free one, with no race for it) and, unless `probe` is None, has answered a GET of `probe`.
    A server that exits, or does not listen and answer within `timeout` seconds, fails the test
    with what it printed. Its output is read as it comes (no pipe fills up)."""
    server = Server()
    process = subprocess.Popen(command(db, "serve", "--port", str(port), *args, prefix=prefix), env=environment(env),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listening = threading.Event()

    def read_stderr() -> None:
        for line in process.stderr:
            server._err.append(line)
            found = not server.url and SERVING.match(line)
            if found:
                server.url = found.group(1).rstrip("/")
                server.port = int(server.url.rsplit(":", 1)[1])
                listening.set()
        listening.set()  # its end: it exited

    readers = [threading.Thread(target=read_stderr, daemon=True),
               threading.Thread(target=lambda: server._out.extend(process.stdout), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + timeout
        listening.wait(timeout)
        if not server.url:
            try:
                ended = process.wait(1)  # its standard error ended: it is exiting
            except subprocess.TimeoutExpired:
                ended = None
            raise AssertionError((f"wikicourse serve exited ({ended})" if ended is not None else
                                  f"wikicourse serve did not listen within {timeout} s") + f": {server.output()!r}")
        while probe is not None:
            if process.poll() is not None:
                raise AssertionError(f"wikicourse serve exited ({process.returncode}): {server.output()!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"wikicourse serve did not answer {server.url}{probe} within {timeout} s: "
                                     f"{server.output()!r}")
            try:
                httpx.get(f"{server.url}{probe}", timeout=min(left, 5)).close()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(30)
        server.stdout, server.stderr, server.returncode = "".join(server._out), "".join(server._err), process.returncode


@contextmanager
def served(app) -> Iterator[str]:
    """`app` on a real uvicorn server, in a thread, on a free loopback port; yields its base URL."""
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield address(sock).rstrip("/")
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
