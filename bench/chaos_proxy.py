"""A TCP relay in front of PostgreSQL that can play an outage, because the shared server itself must never
be stopped (other people use it). Cutting every connection and refusing new ones is what a dispatcher
sees when PostgreSQL restarts or the network drops: its open connections die, reconnects are refused,
and then one day the port answers again.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

ACCEPT_POLL_SECONDS = 0.1


class OutageProxy:
    """Relays 127.0.0.1:<port> to `upstream`; `begin_outage` cuts and refuses, `end_outage` listens again
    on the same port (so the dispatcher's DATABASE_URL stays valid)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.port = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listening = threading.Event()
        self._listener: socket.socket | None = None

    def __enter__(self) -> OutageProxy:
        self._listen()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.begin_outage()

    def begin_outage(self) -> None:
        """Stop listening (connects are refused) and cut every relayed connection."""
        self._listening.clear()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            _close(connection)

    def end_outage(self) -> None:
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._listening.set()
        threading.Thread(target=self._accept, args=(listener,), name="outage-proxy", daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        # Polls with a timeout: closing a socket does not reliably wake a thread blocked in accept().
        while self._listening.is_set() and self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._relay(client)

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        client.settimeout(None)
        server.settimeout(None)
        with self._lock:
            self._connections.update((client, server))
        for source, target in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(target)
            _close(source)
            _close(target)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
