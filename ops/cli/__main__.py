"""`python -m ops.cli ARGS` is `overdracht ARGS`."""

from ops.cli import main

main()
