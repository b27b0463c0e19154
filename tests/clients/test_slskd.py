"""slskd client against the slskd simulator over real loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import aiohttp
import pytest

from custom_components.harmony_music.clients.errors import CannotConnectError, InvalidAuthError
from custom_components.harmony_music.clients.http import RetryPolicy
from custom_components.harmony_music.clients.slskd import SlskdClient
from tests.simulators.slskd import SlskdSimulator

FAST = RetryPolicy(attempts=2, base_delay=0.01)


@pytest.fixture
async def sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    simulator = SlskdSimulator(tmp_path)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_application_state(sim: SlskdSimulator) -> None:
    """Version, login and shares as slskd reports them."""
    async with aiohttp.ClientSession() as session:
        app = await SlskdClient(session, sim.url, sim.api_key, policy=FAST).get_application()
        assert app.version == "0.24.1"
        assert app.server_connected
        assert app.logged_in
        assert app.shared_files == 1200
        sim.logged_in = False
        app = await SlskdClient(session, sim.url, sim.api_key, policy=FAST).get_application()
        assert not app.logged_in


async def test_bad_key_and_faults(sim: SlskdSimulator) -> None:
    """A wrong key is invalid auth; a 500 is retried; a hang times out into CannotConnect."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidAuthError):
            await SlskdClient(session, sim.url, "wrong", policy=FAST).get_application()
        sim.faults.add("GET /api/v0/application status=500 times=1")
        assert (
            await SlskdClient(session, sim.url, sim.api_key, policy=FAST).get_application()
        ).logged_in
        sim.faults.add("GET /api/v0/application kind=hang delay=1")
        client = SlskdClient(session, sim.url, sim.api_key, timeout=0.2, policy=FAST)
        with pytest.raises(CannotConnectError):
            await client.get_application()


async def test_unreachable(socket_enabled: None) -> None:
    """Nothing listening: CannotConnectError, not a traceback."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(CannotConnectError):
            await SlskdClient(session, "http://127.0.0.1:9", "k", policy=FAST).get_application()
