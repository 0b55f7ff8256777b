"""The four services of Warme Overdracht and their shared runtime."""
