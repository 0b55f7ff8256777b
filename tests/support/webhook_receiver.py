"""A real webhook receiver for tests: an HTTP server on a free loopback port, in a thread.

It behaves as a careful partner system does (docs/webhooks.md): it verifies the delivery with the
`standardwebhooks` package's Webhook class and its own secret (not our code), drops deliveries whose
webhook-id it has seen, and answers 2xx only when it stored one. Tests make it fail its first N
calls, or never answer, and read what it saw.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

from services.runtime.natsserver import free_port


@dataclass
class Call:
    delivery_id: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answer: int | None  # None: it never answered


@dataclass
class Receiver:
    secret: str  # the receiver's copy of the webhook's secret, "whsec_…"
    fail_first: int = 0  # answer 500 to this many calls, then behave
    hang_s: float = 0.0  # when > 0, wait this long before answering (longer than the sender's timeout)
    calls: list[Call] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/tasks"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.receive(self, body)

            def log_message(self, *args: object) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
        """Whether a receiver holding `secret` takes a delivery as genuine: signature over its
        webhook-id, webhook-timestamp (within five minutes of now) and body, by standardwebhooks."""
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            return False
        return True

    def receive(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items()}
        delivery_id = headers.get("webhook-id", "")
        verified = self.verifies(self.secret, body, headers)
        with self.lock:
            hang_s = self.hang_s
            failing = self.fail_first > 0
            if failing and not hang_s:
                self.fail_first -= 1
        if hang_s:
            self.record(Call(delivery_id, headers, body, verified, None))
            time.sleep(hang_s)
            return  # the sender gave up long ago; answer nothing
        if failing:
            answer = 500
        elif not verified:
            answer = 401
        else:
            answer = 200
            with self.lock:
                if delivery_id in self.accepted:
                    self.duplicates[delivery_id] = self.duplicates.get(delivery_id, 0) + 1
                else:
                    self.accepted[delivery_id] = body
        self.record(Call(delivery_id, headers, body, verified, answer))
        handler.send_response(answer)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def fix(self) -> None:
        """From now on, answer at once and well."""
        with self.lock:
            self.hang_s = 0.0
            self.fail_first = 0

    def calls_for(self, delivery_id: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.delivery_id == delivery_id]
