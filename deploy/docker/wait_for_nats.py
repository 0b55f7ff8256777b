"""Wait until every NATS server named on the command line answers /healthz with 200, then exit 0.

docker-compose runs this once (service `nats-ready`, from the service image) before it starts the
services, because the NATS images cannot check themselves: the official `nats` image and ours
(deploy/nats/Dockerfile) are FROM scratch, without a shell, wget or curl, and nats-server has no
health subcommand. /healthz answers 200 once the server accepts clients and JetStream is current
(on a cluster: a meta leader is elected), so streams can be created right after.

    python wait_for_nats.py [--timeout 120] http://nats:8222/healthz [...]
"""

import argparse
import sys
import time
import urllib.error
import urllib.request


def healthy(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200, f"{response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read(200).decode(errors='replace').strip()}"
    except (OSError, urllib.error.URLError) as exc:
        return False, repr(exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", help="monitoring /healthz URL of each NATS server")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait in all (default 120)")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    waiting = list(args.urls)
    while True:
        last = {}
        for url in list(waiting):
            ok, detail = healthy(url)
            if ok:
                print(f"healthy: {url}", flush=True)
                waiting.remove(url)
            else:
                last[url] = detail
        if not waiting:
            return 0
        if time.monotonic() > deadline:
            for url, detail in last.items():
                print(f"not healthy after {args.timeout:.0f}s: {url}: {detail}", flush=True)
            return 1
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
