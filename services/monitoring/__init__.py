"""Chain monitoring (source §4.1, §4.4): the agenda of the integral meeting and the journey figures
(klantreis) of a municipality, computed from the events alone, as of any date."""
