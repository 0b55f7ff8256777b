"""Run the handoff desk: `python -m services.desk` (configuration from environment variables, see --help)."""

from services.desk.app import create_app
from services.runtime.cli import run_service


def main() -> None:
    run_service("desk", create_app, __doc__)


if __name__ == "__main__":
    main()
