"""The compose end-to-end test (test_compose_e2e.py) runs last, and its images are built while the
rest of the suite runs (tests/deploy/images.py).

The hooks below sit in this directory's conftest, but pytest calls them with the whole session's
items: they reorder and look at the compose test only.
"""

import pytest

from tests.deploy.images import E2E_TIMES, IMAGE_BUILD, ImageBuild

E2E_FILE = "test_compose_e2e.py"


def _is_e2e(item: pytest.Item) -> bool:
    return item.path.name == E2E_FILE


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    e2e = [item for item in items if _is_e2e(item)]
    if e2e:
        items[:] = [item for item in items if not _is_e2e(item)] + e2e


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start `make images` once the selection is final, if it holds the compose test."""
    if session.config.option.collectonly:
        return
    if any(_is_e2e(item) for item in session.items):
        session.config.stash[IMAGE_BUILD] = ImageBuild()
        session.config.stash[E2E_TIMES] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    build = session.config.stash.get(IMAGE_BUILD, None)
    if build is not None:
        build.stop()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    build = config.stash.get(IMAGE_BUILD, None)
    if build is None:
        return
    times = config.stash.get(E2E_TIMES, {})
    kept = "" if build.process.returncode == 0 else f" (log: {build.log})"
    parts = [f"`make images` {build.seconds:.0f}s in the background{kept}"]
    if "waited_for_images" in times:
        parts.append(f"the test waited {times['waited_for_images']:.0f}s for it")
    if "stack" in times:
        phases = ", ".join(f"{name} {times[name]:.1f}s" for name in ("up", "ready", "recovered", "down") if name in times)
        parts.append(f"up, play, kill, recover, down {times['stack']:.0f}s ({phases})")
    terminalreporter.write_line("compose end-to-end: " + "; ".join(parts))


def pytest_unconfigure(config: pytest.Config) -> None:
    """The build's log is kept when the build failed or was stopped, for whoever looks into it."""
    build = config.stash.get(IMAGE_BUILD, None)
    if build is not None and build.process.returncode == 0:
        build.log.unlink(missing_ok=True)
