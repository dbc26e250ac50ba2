"""A small TCP proxy that lets a test "stop" and "restart" a shared service without touching it.

The PostgreSQL and Redis servers on a test machine are shared with other runs, so a test
must never stop them. Instead the app under test talks to this proxy, which forwards each
connection to the real service:

    app  ->  127.0.0.1:<proxy.port>  ->  127.0.0.1:5432 (or :6379)

stop() is what the app sees when the service goes down: the listening socket closes (new
connections are refused) and every open connection is cut in both directions. start()
listens again on the same port, as a restarted service would, so the app's own URL keeps
working without being told anything.

Threads: one accepts connections; each connection gets two more, one per direction, that
copy bytes until either side closes. All are daemons, and stop() joins them.
"""

import socket
import threading
from contextlib import contextmanager

CHUNK = 65536  # bytes copied per read
ACCEPT_POLL = 0.05  # seconds between checks for stop() while waiting for a connection


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = 0  # chosen when it first listens, then kept for every restart
        self.connections_cut = 0  # how many open connections stop() has cut, over all stops
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()  # both ends of every forwarded connection
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> "TcpProxy":
        """Listen (again) on 127.0.0.1:<port> and forward every connection to the target."""
        if self.running:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Without SO_REUSEADDR a restart could find the port blocked by connections in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(ACCEPT_POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        """The service "goes down": refuse new connections and cut every open one."""
        if not self.running:
            return
        self._stopping.set()
        with self._lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            try:
                # shutdown() wakes the copying threads blocked in recv() on either side.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the other end closed it already
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        self._listener.close()
        self._listener = None
        self.connections_cut += len(open_sockets) // 2  # two sockets per connection

    @contextmanager
    def outage(self):
        """The service is down inside the block and back after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    # --- inside the proxy ------------------------------------------------------------------

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="fault-proxy", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue  # look at _stopping again
            except OSError:
                return  # the listener was closed
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()  # the real service is not there: the client sees its connection close
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._stopping.is_set():
                    client.close()
                    upstream.close()
                    return
                self._open.update((client, upstream))
            pumps_left = [2]  # the second pump to finish closes the connection's sockets
            self._spawn(self._pump, client, upstream, pumps_left)
            self._spawn(self._pump, upstream, client, pumps_left)

    def _pump(self, source: socket.socket, destination: socket.socket, pumps_left: list[int]) -> None:
        """Copy bytes one way until either side closes; then end the other way too."""
        try:
            while data := source.recv(CHUNK):
                destination.sendall(data)
        except OSError:
            pass  # cut by stop(), or reset by an end
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the other pump
            except OSError:
                pass
        with self._lock:
            pumps_left[0] -= 1
            if pumps_left[0] == 0:
                for sock in (source, destination):
                    sock.close()
                    self._open.discard(sock)
