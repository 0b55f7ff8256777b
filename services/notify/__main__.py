"""Run notify: `python -m services.notify` (configuration from environment variables, see --help)."""

from services.notify.app import create_app
from services.runtime.cli import run_service


def main() -> None:
    run_service("notify", create_app, __doc__)


if __name__ == "__main__":
    main()
