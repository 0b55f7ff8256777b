"""How the consumers pull: one message at a time when quiet, batches under traffic."""

import pytest

from services.runtime.consumer import BUSY_PULL_WAIT_S, IDLE_PULL_WAIT_S, Puller


class ScriptedSubscription:
    """A pull subscription whose fetches return (or time out) as scripted, recording each ask."""

    def __init__(self, *answers: list[str] | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[int, float]] = []

    async def fetch(self, batch: int, timeout: float) -> list[str]:
        self.asked.append((batch, timeout))
        answer = self.answers.pop(0)
        if answer is None:
            raise TimeoutError
        return answer[:batch]


async def test_a_quiet_consumer_asks_for_one_message_and_a_busy_one_for_a_batch() -> None:
    subscription = ScriptedSubscription(["m1"], ["m2", "m3"], None, None, ["m4"])
    puller = Puller(subscription, batch=256)
    assert await puller.next_batch() == ["m1"]  # quiet: one, returned the moment it arrives
    assert await puller.next_batch() == ["m2", "m3"]  # traffic: whatever is there, up to a batch
    with pytest.raises(TimeoutError):
        await puller.next_batch()  # nothing more within the short wait: quiet again
    with pytest.raises(TimeoutError):
        await puller.next_batch()
    assert await puller.next_batch() == ["m4"]
    assert subscription.asked == [
        (1, IDLE_PULL_WAIT_S), (256, BUSY_PULL_WAIT_S), (256, BUSY_PULL_WAIT_S), (1, IDLE_PULL_WAIT_S),
        (1, IDLE_PULL_WAIT_S),
    ]
