"""The fault proxy itself: it forwards, "stops" by refusing and cutting, and comes back on the same port."""

import socket
import threading

import pytest


@pytest.fixture
def echo_server():
    """A one-line echo service standing in for PostgreSQL or Redis."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stopping = threading.Event()

    def serve():
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=echo, args=(connection,), daemon=True).start()

    def echo(connection):
        with connection:
            while data := connection.recv(1024):
                connection.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stopping.set()
    thread.join()
    listener.close()


def talk(port: int, text: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(text)
        return connection.recv(1024)


def test_the_proxy_forwards_refuses_while_stopped_and_returns_on_the_same_port(make_proxy, echo_server):
    proxy = make_proxy(echo_server)
    assert talk(proxy.port, b"hello") == b"hello"
    port = proxy.port

    proxy.stop()
    with pytest.raises(ConnectionRefusedError):
        talk(port, b"anyone there?")

    proxy.start()
    assert proxy.port == port
    assert talk(port, b"back") == b"back"


def test_stopping_cuts_a_connection_that_was_open(make_proxy, echo_server):
    proxy = make_proxy(echo_server)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2) as connection:
        connection.sendall(b"one")
        assert connection.recv(1024) == b"one"

        proxy.stop()

        assert connection.recv(1024) == b"", "the open connection ends, as when a server goes away"
    assert proxy.connections_cut == 1
