"""Run housing: `python -m services.housing` (configuration from environment variables, see --help)."""

from services.housing.app import create_app
from services.runtime.cli import run_service


def main() -> None:
    run_service("housing", create_app, __doc__)


if __name__ == "__main__":
    main()
