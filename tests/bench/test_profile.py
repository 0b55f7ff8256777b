"""The profile summary reads py-spy's collapsed stacks right."""

from bench.profile import summarise


def test_functions_are_ranked_by_inclusive_and_self_samples(tmp_path) -> None:
    collapsed = tmp_path / "e2e-intake.txt"
    collapsed.write_text(
        "main (app.py:1);decide (rules.py:10);validate (pydantic/main.py:5) 6\n"
        "main (app.py:1);decide (rules.py:12) 2\n"
        "main (app.py:1);select (selectors.py:3) 2\n"
    )
    summary = summarise(collapsed, top=3)
    inclusive, own = summary.split("  self:")
    assert summary.startswith("e2e-intake.txt: 10 samples")
    assert "100.0%  main (app.py)" in inclusive
    assert " 80.0%  decide (rules.py)" in inclusive  # two lines of one function count as one
    assert own.strip().splitlines()[0] == "60.0%  validate (pydantic/main.py)"


def test_an_empty_profile_says_so(tmp_path) -> None:
    empty = tmp_path / "e2e-notify.txt"
    empty.write_text("")
    assert summarise(empty) == "e2e-notify.txt: no samples"
