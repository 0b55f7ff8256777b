"""Run guardianship: `python -m services.guardianship` (configuration from environment variables, see --help)."""

from services.guardianship.app import create_app
from services.runtime.cli import run_service


def main() -> None:
    run_service("guardianship", create_app, __doc__)


if __name__ == "__main__":
    main()
