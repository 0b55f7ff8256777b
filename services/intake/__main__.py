"""Run intake: `python -m services.intake` (configuration from environment variables, see --help)."""

from services.intake.app import create_app
from services.runtime.cli import run_service


def main() -> None:
    run_service("intake", create_app, __doc__)


if __name__ == "__main__":
    main()
