"""The handoff desk: the web page and HTTP API where organisations see and answer their tasks
(README "The handoff desk"). Its own process beside notify, which owns the tasks' lifecycle and
their delivery; the desk reads notify's events and answers as the organisations' own reports."""
