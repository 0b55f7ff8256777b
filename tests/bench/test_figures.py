"""The figures counted from nats-server's statistics and from RSS samples come out right."""

import pytest

from bench.figures import (
    BENCH,
    by_process,
    counters,
    deltas,
    memory_goal_mb,
    messages_per_report,
    per_report,
    rss_per_10k_cases,
    who,
)


def varz(in_msgs: int, out_msgs: int) -> dict:
    return {"in_msgs": in_msgs, "out_msgs": out_msgs}


def connz(*connections: tuple[list[str], int, int]) -> dict:
    return {"connections": [{"subscriptions_list": subs, "in_msgs": i, "out_msgs": o} for subs, i, o in connections]}


def jsz(api: int, *consumers: tuple[str | None, int]) -> dict:
    detail = [{"config": {"durable_name": durable} if durable else {}, "delivered": {"consumer_seq": seq}}
              for durable, seq in consumers]
    return {"api": {"total": api}, "account_details": [{"stream_detail": [{"consumer_detail": detail}]}]}


def test_a_connection_is_known_by_its_service_inbox_and_anything_else_is_the_benchmark() -> None:
    assert who(["_INBOX_notify.abc.*", "amv.tasks.>"]) == "notify"
    assert who(["_INBOX_intake.x"]) == "intake"
    assert who(["_INBOX.xd1SRbKoKIJTEVjFXPnsuJ.*"]) == BENCH
    assert who([]) == BENCH


def test_counters_sum_the_connections_of_a_process_and_the_read_models_consumers() -> None:
    snapshot = counters(
        varz(100, 140),
        connz((["_INBOX_intake.a"], 30, 40), (["_INBOX_intake.b"], 5, 6), (["_INBOX.z"], 65, 94)),
        jsz(12, ("intake-inbox", 7), (None, 50), (None, 25)),
    )
    assert snapshot == {
        "in_msgs": 100, "out_msgs": 140, "api_requests": 12,
        "intake.in_msgs": 35, "intake.out_msgs": 46, "bench.in_msgs": 65, "bench.out_msgs": 94,
        "delivered.intake-inbox": 7, "delivered.(read models)": 75,
    }


def test_messages_per_report_are_the_runs_deltas_less_the_idle_traffic_per_report() -> None:
    idle_from = {"in_msgs": 1_000, "out_msgs": 2_000, "notify.in_msgs": 10}
    idle_to = {"in_msgs": 1_020, "out_msgs": 2_030, "notify.in_msgs": 14}  # 50 in 5 s: 10/s idle
    before = {"in_msgs": 5_000, "out_msgs": 6_000, "notify.in_msgs": 100}
    after = {"in_msgs": 25_080, "out_msgs": 30_120, "notify.in_msgs": 4_108, "notify.out_msgs": 3_000}
    idle, run = deltas(idle_from, idle_to), deltas(before, after)
    assert run == {"in_msgs": 20_080, "out_msgs": 24_120, "notify.in_msgs": 4_008, "notify.out_msgs": 3_000}

    per = per_report(run, run_s=10.0, idle=idle, idle_s=5.0, reports=1_000)
    # in: (20,080 − 20/5 × 10) / 1,000; out: (24,120 − 30/5 × 10) / 1,000
    assert per == {"in_msgs": 20.04, "out_msgs": 24.06, "notify.in_msgs": 4.0, "notify.out_msgs": 3.0}
    assert messages_per_report(per) == 44.1
    assert by_process(per) == {"notify": 7.0}


def test_the_raw_baseline_counts_four_messages_per_message() -> None:
    # 1,000 messages: each published (in) and its publish ack (out), delivered (out) and acked (in); 4 pull requests (in)
    run = deltas({"in_msgs": 0, "out_msgs": 0}, {"in_msgs": 2_004, "out_msgs": 2_000})
    per = per_report(run, run_s=0.1, idle={"in_msgs": 0, "out_msgs": 0}, idle_s=1.0, reports=1_000)
    assert messages_per_report(per) == 4.0


def test_memory_per_10k_cases_is_the_median_growth_over_idle_scaled() -> None:
    idle = [84.0, 84.5, 200.0, 84.2, 84.3]  # one wild sample does not move the median
    loaded = [120.0, 121.0, 120.5, 119.0, 120.4]
    # (120.4 − 84.3) MB for 2,500 cases -> per 10,000
    assert rss_per_10k_cases(idle, loaded, 2_500) == pytest.approx(144.4)
    assert rss_per_10k_cases([90.0], [90.0], 10_000) == 0.0
    assert rss_per_10k_cases([80.0], [120.0], 40_000) == 10.0


def test_the_memory_goal_is_one_kib_per_case() -> None:
    assert memory_goal_mb() == 9.77  # 10,000 KiB in MiB
