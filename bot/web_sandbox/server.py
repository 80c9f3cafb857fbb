"""Serving the web sandbox: uvicorn (the ASGI server the Teams SDK already brings) on 127.0.0.1 only.

The sandbox is a demo with made-up people, but it is still a bot that acts on whatever reaches it: it listens on
the loopback address alone, whatever HOST says, and its routes accept only loopback host names.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from bot.settings import Settings
from bot.startup import listen_problem
from bot.web_sandbox.app import build_app
from bot.web_sandbox.session import WebSandbox

LOOPBACK = "127.0.0.1"


def listening_socket(port: int) -> socket.socket:
    """The loopback socket to serve on, bound here so a taken port is said in one line (bot.startup), before
    the sandbox is built."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
        sock.listen(128)  # connections wait in the backlog from now on, even before the server's loop runs
    except OSError as error:
        sock.close()
        problem = listen_problem(error, LOOPBACK, port)
        if problem is None:
            raise
        raise problem from None
    return sock


def _server(web: WebSandbox) -> uvicorn.Server:
    config = uvicorn.Config(build_app(web), log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


@contextmanager
def serving(web: WebSandbox, *, port: int = 0) -> Iterator[str]:
    """Serve `web` on a thread while the block runs (port 0: any free port); yields the page's address."""
    sock = listening_socket(port)
    server = _server(web)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web-sandbox", daemon=True)
    try:
        thread.start()
        while not server.started and thread.is_alive():
            thread.join(0.05)
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def run_web_sandbox(settings: Settings, *, database: str, port: int) -> int:
    """`drumbeat sandbox --web`: serve the page until Ctrl-C (the bot's own logs quiet, as in the terminal one)."""
    logging.getLogger().setLevel(logging.WARNING)
    sock = listening_socket(port)
    web = WebSandbox(settings, database=database)
    server = _server(web)
    print(f"Drumbeat sandbox in your browser: http://{LOOPBACK}:{port}/  (Ctrl-C stops it)", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        web.close()
    return 0
