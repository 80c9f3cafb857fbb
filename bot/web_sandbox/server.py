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
from bot.web_sandbox.teams_session import TeamsWebSandbox, teams_database

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


def _server(web: WebSandbox | None, teams: TeamsWebSandbox | None) -> uvicorn.Server:
    config = uvicorn.Config(build_app(web, teams), log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


@contextmanager
def serving(web: WebSandbox | None = None, *, teams: TeamsWebSandbox | None = None, port: int = 0) -> Iterator[str]:
    """Serve the worlds given on a thread while the block runs (port 0: any free port); yields the page's
    address (Teams' page when it is the only world)."""
    sock = listening_socket(port)
    server = _server(web, teams)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web-sandbox", daemon=True)
    try:
        thread.start()
        while not server.started and thread.is_alive():
            thread.join(0.05)
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}/" + ("teams/" if web is None else "")
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def run_web_sandbox(settings: Settings, *, database: str, port: int, teams_first: bool = False) -> int:
    """`drumbeat sandbox --web`: serve both worlds, Slack's and Teams' (each its own SQLite file), with a switch
    between them, until Ctrl-C; `--teams` opens on Teams' page. The bot's own logs are quiet, as in the terminal."""
    logging.getLogger().setLevel(logging.WARNING)
    sock = listening_socket(port)
    web = WebSandbox(settings, database=database)
    try:
        teams = TeamsWebSandbox(settings, database=teams_database(database), start=web.clock())
    except BaseException:
        web.close()
        raise
    server = _server(web, teams)
    page = "teams/" if teams_first else ""
    print(f"Drumbeat sandbox in your browser: http://{LOOPBACK}:{port}/{page}  (Slack and Microsoft Teams; "
          "Ctrl-C stops it)", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        teams.close()
        web.close()
    return 0
