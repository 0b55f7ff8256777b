import pytest

from tests.support.brokers import any_nats


@pytest.fixture(scope="session")
def broker_url():
    """The one real NATS server of the test session (see tests/support/brokers.py)."""
    with any_nats() as (kind, url):
        print(f"\nNATS for this session: {kind} at {url}")
        yield url
