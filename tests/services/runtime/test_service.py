"""The service runtime's own rules of timing, without a broker."""

import time

from services.intake.app import IntakeService
from services.runtime.service import REDELIVERY_MARGIN_S
from services.runtime.settings import Settings


def test_reports_wait_for_earlier_ones_only_while_a_crashed_process_could_still_have_them() -> None:
    service = IntakeService(Settings(ack_wait_s=4.0))
    service._started_at = time.monotonic()
    assert 4.0 < service.redelivery_window_s() <= 4.0 + REDELIVERY_MARGIN_S
    service._started_at = time.monotonic() - 3.0  # started 3 s ago: what it could have left comes back within 2 s
    assert 1.0 < service.redelivery_window_s() <= 2.0
    service._started_at = time.monotonic() - 60.0
    assert service.redelivery_window_s() == 0.0
