"""Fixtures for the fault tests: a proxy between the app and a shared service, to "stop" it safely."""

import pytest

from tests.faults.proxy import TcpProxy
from tests.messaging.conftest import twilio_server  # noqa: F401  (the local Twilio test server)


@pytest.fixture
def make_proxy():
    """Start proxies to 127.0.0.1:<port>; every one is stopped when the test ends."""
    made: list[TcpProxy] = []

    def make(target_port: int, target_host: str = "127.0.0.1") -> TcpProxy:
        proxy = TcpProxy(target_port, target_host).start()
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.stop()
