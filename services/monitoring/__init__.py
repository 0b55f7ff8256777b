"""Chain monitoring (source §4.1, §4.4): the agenda of the integral meeting and the journey figures
(klantreis) of a municipality, computed from the events alone, as of any date; and a case's timeline
in plain language (`timeline.py`), which the handoff desk, the agenda and the ops CLI share."""
