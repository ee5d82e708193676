"""`wikicourse serve` as a real process: a port in use is one line of error, and requests are
logged only when asked (--access-log)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import wikicourse
from support.ports import free_port
from wikicourse.db import open_db

SRC = str(Path(wikicourse.__file__).parents[1])


def start(url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "wikicourse", "--db", url, "serve", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def database(sqlite_url):
    open_db(sqlite_url).dispose()
    return sqlite_url


def test_a_port_in_use_is_one_line_and_a_nonzero_exit(database):
    port = free_port(18400, 18499)
    with socket.create_server(("127.0.0.1", port)):
        server = start(database, "--port", str(port))
        out, err = server.communicate(timeout=30)
    assert (server.returncode, out, err) == (
        1, "", f"error: cannot listen on 127.0.0.1:{port}: address already in use\n")


def test_an_unknown_host_is_one_line_too(database):
    server = start(database, "--host", "no-such-host.invalid", "--port", "0")
    out, err = server.communicate(timeout=30)
    assert (server.returncode, out) == (1, "")
    assert err.startswith("error: cannot listen on no-such-host.invalid:0: ") and err.count("\n") == 1, err


def served(url: str, *args: str) -> tuple[str, str]:
    """Start serve, ask for the courses twice, stop it: what it printed (stdout, stderr)."""
    port = free_port(18400, 18499)
    server = start(url, "--port", str(port), *args)
    try:
        for _ in range(200):
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/api/courses").json()["courses"] == []
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert httpx.get(f"http://127.0.0.1:{port}/api/nothing-here").status_code == 404
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert server.returncode in (0, -15)
    return out, err


def test_requests_are_logged_only_with_access_log(database):
    out, err = served(database)
    assert out == "" and "GET" not in err
    assert err.startswith("serving http://127.0.0.1:")
    out, _ = served(database, "--access-log")
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert '"GET /api/courses HTTP/1.1" 200' in lines[0] and '"GET /api/nothing-here HTTP/1.1" 404' in lines[1]
