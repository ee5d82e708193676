"""Running the dashboard: the port is taken here, before uvicorn starts, so that a port in use
or a host that is not this machine's is one line of error rather than uvicorn's log and exit."""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
import sys

from ..errors import WikicourseError


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free one)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:  # socket.gaierror too: an unknown host
        # create_server's own message adds the address again: the errno's text is enough
        known = exc.errno and not isinstance(exc, socket.gaierror)
        reason = (os.strerror(exc.errno) if known else exc.strerror or str(exc)).strip()
        raise WikicourseError(f"cannot listen on {host}:{port}: {reason[:1].lower()}{reason[1:]}") from None


def trusted_proxies(text: str) -> str:
    """`text` (addresses or networks, comma-separated, or "*") checked: uvicorn would take a
    mistyped address as a name that never matches, and the proxy's headers would be ignored."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if items == ["*"]:
        return "*"
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise WikicourseError(f"--forwarded-allow-ips: {item!r} is not an IP address or network") from None
    if not items:
        raise WikicourseError("--forwarded-allow-ips: no address given (use '*' for any)")
    return ",".join(items)


def address(sock: socket.socket) -> str:
    """http://host:port/ of a listening socket (its actual port when 0 was asked for)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(app, sock: socket.socket, *, access_log: bool = False, forwarded_allow_ips: str = "127.0.0.1") -> None:
    """Serve `app` on `sock` until stopped; uvicorn logs only warnings, and each request when
    `access_log` (on standard output, one line each).

    X-Forwarded-Proto and -For are believed only from `forwarded_allow_ips` (addresses or
    networks, comma-separated; "*" any): a reverse proxy's, so the app sees the browser's https
    (its sign-in checks the Origin against it) and address; from anyone else they are ignored."""
    import uvicorn
    from uvicorn.logging import AccessFormatter

    # No logging setup of uvicorn's own: its messages (a 500's traceback too) go to the root
    # logger's handler (logs.setup: escaped, without credentials); requests to standard output.
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=access_log, proxy_headers=True,
                            forwarded_allow_ips=forwarded_allow_ips)
    if access_log:  # requests are logged at INFO, below the warnings uvicorn's own messages keep to
        requests = logging.StreamHandler(sys.stdout)
        requests.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
        access = logging.getLogger("uvicorn.access")
        access.handlers[:], access.propagate = [requests], False
        access.setLevel(logging.INFO)
    uvicorn.Server(config).run(sockets=[sock])
