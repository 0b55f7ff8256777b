"""A read model waits at a stored event it cannot read yet, and never folds past it
(services/runtime/projection.py)."""

import asyncio

import pytest
from structlog.testing import capture_logs

from services.runtime import projection as module
from services.runtime.privacy import KeysUnavailable
from services.runtime.projection import Projection


class Flaky:
    """decode_loading_key failing `times` times with `error`, then decoding."""

    def __init__(self, times: int, error: Exception) -> None:
        self.times, self.error, self.calls = times, error, 0

    async def __call__(self, nc, body: bytes) -> str:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return "decoded"


@pytest.mark.parametrize("error", [TimeoutError(), KeysUnavailable("bucket not there yet")], ids=type)
async def test_a_passing_failure_is_retried_and_the_read_model_says_it_waits(monkeypatch, error):
    flaky = Flaky(3, error)
    monkeypatch.setattr(module, "decode_loading_key", flaky)
    monkeypatch.setattr(module, "FIRST_PAUSE_S", 0.01)
    read_model = Projection(None, lambda case_id: None, lambda state, event: state)
    with capture_logs() as logged:
        decoding = asyncio.ensure_future(read_model._decode_patiently(b"{}", 7))
        async with asyncio.timeout(10):
            while flaky.calls < 2 and not decoding.done():
                await asyncio.sleep(0.005)
            assert read_model.stalled is not None and "stored event 7" in read_model.stalled
            assert await decoding == "decoded"
    assert flaky.calls == 4 and read_model.stalled is None
    waits = [entry for entry in logged if entry["event"] == "stored event cannot be read yet; waiting, not skipping"]
    assert [entry["stream_seq"] for entry in waits] == [7, 7, 7]


async def test_a_permanent_failure_is_not_retried(monkeypatch):
    flaky = Flaky(1, ValueError("not a CloudEvent"))
    monkeypatch.setattr(module, "decode_loading_key", flaky)
    read_model = Projection(None, lambda case_id: None, lambda state, event: state)
    with pytest.raises(ValueError):
        await read_model._decode_patiently(b"{}", 8)
    assert flaky.calls == 1 and read_model.stalled is None
