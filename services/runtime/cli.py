"""The command line of a service: `--help` explains the environment variables, then it runs."""

import argparse
import asyncio
import sys
from collections.abc import Callable

from faststream import FastStream

from services.runtime.settings import Settings


def _variables() -> str:
    lines = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if alias is not None else f"WO_{name.upper()}"
        lines.append(f"  {env:<26} {field.description} (default: {field.default})")
    return "\n".join(lines)


def run_service(name: str, create_app: Callable[[], FastStream], description: str | None) -> None:
    """Parse --help, run the application; the process's exit code is the application's
    (services/runtime/application.py: EXIT_CONNECTION_LOST when NATS closed its connection for good)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{name}",
        description=description,
        epilog="Configured from environment variables:\n" + _variables(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args()
    app = create_app()
    asyncio.run(app.run())
    code = getattr(app, "exit_code", 0)
    if code:
        sys.exit(code)
