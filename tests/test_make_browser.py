"""`make test` on a fresh machine (issue 16, point 8): its prerequisite `make browser` installs
Chromium from Debian's packages when make runs as root and Chromium is missing, or stops with one
line saying what to install. Run against stand-ins for `id` and `apt-get` on PATH and a Chromium
path in a temporary folder, so the machine's own Chromium and packages are left alone."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ONE_LINE = "make test: install Chromium first (Debian: apt-get install chromium), or set WO_CHROMIUM to its path"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def stand_in(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def make_browser(tmp_path: Path, uid: int, apt_installs: bool, chromium_there: bool = False) -> subprocess.CompletedProcess:
    """`make browser` as user `uid`, Chromium expected at tmp_path/chromium; the stand-in apt-get
    logs its calls and, if `apt_installs`, puts an executable there."""
    bin_dir, chromium, log = tmp_path / "bin", tmp_path / "chromium", tmp_path / "apt.log"
    bin_dir.mkdir(exist_ok=True)
    stand_in(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}\n')
    installed = f'case "$*" in *install*) printf "#!/bin/sh\\n" > {chromium}; chmod +x {chromium};; esac\n'
    stand_in(bin_dir, "apt-get", f'echo "$*" >> {log}\n' + (installed if apt_installs else "exit 100\n"))
    if chromium_there:
        stand_in(tmp_path, "chromium", "")
    return subprocess.run(
        # -o: the virtual environment counts as installed (the test runs inside it).
        ["make", "-s", "-o", ".venv/.installed", "browser", f"CHROMIUM_DEBIAN={chromium}", f"WO_CHROMIUM={chromium}"],
        cwd=REPO, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, capture_output=True, text=True,
        timeout=120,
    )


def apt_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_with_chromium_there_nothing_is_installed_or_said(tmp_path) -> None:
    ran = make_browser(tmp_path, uid=0, apt_installs=True, chromium_there=True)
    assert (ran.returncode, ran.stdout, apt_calls(tmp_path)) == (0, "", [])


def test_as_root_missing_chromium_is_installed_from_debians_packages(tmp_path) -> None:
    ran = make_browser(tmp_path, uid=0, apt_installs=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert apt_calls(tmp_path) == ["update -qq", "install -y -qq chromium"]
    assert ran.stdout.splitlines() == ["make test: installing Chromium from Debian's packages (apt-get install chromium)"]


def test_as_another_user_make_stops_with_one_line_saying_what_to_install(tmp_path) -> None:
    ran = make_browser(tmp_path, uid=1000, apt_installs=True)
    assert ran.returncode != 0
    assert ran.stdout.splitlines() == [ONE_LINE]
    assert apt_calls(tmp_path) == []


def test_when_the_install_fails_make_stops_with_that_line_too(tmp_path) -> None:
    ran = make_browser(tmp_path, uid=0, apt_installs=False)
    assert ran.returncode != 0
    assert ran.stdout.splitlines()[-1] == ONE_LINE
