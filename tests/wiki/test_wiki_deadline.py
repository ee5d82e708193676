"""The request deadline over TLS: the timer must cut the TLS socket, which replaces the TCP one."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from wikicourse.wiki.transport import TooSlow, Transport


@pytest.fixture
def tls_trickle(tmp_path):
    """An HTTPS server on loopback that sends its headers a byte every 0.1 s, for ever; with its certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))
    closing = threading.Event()
    sent = []

    def answer(conn: socket.socket) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not closing.wait(0.1):
                    tls.sendall(b"a")
                    sent.append(1)
        except OSError:
            pass  # the client left

    def serve() -> None:
        while not closing.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://127.0.0.1:{server.getsockname()[1]}/api.php", cert, sent
    closing.set()
    server.close()


def test_a_trickle_over_tls_is_cut_at_the_deadline(tls_trickle) -> None:
    url, cert, sent = tls_trickle
    verified = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
    transport = Transport(url, deadline=0.7, transport=verified)
    began = time.monotonic()
    try:
        with pytest.raises(TooSlow, match="no full answer within 0.7 s"):
            transport.send({"action": "query"})
    finally:
        transport.close()
    assert 0.7 <= time.monotonic() - began < 1.5
    assert len(sent) >= 3  # it did trickle, within the read timeout, until cut
