"""notify: the handoff desk. Turns handoff requests into tasks, delivers them, records answers."""
