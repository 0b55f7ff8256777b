"""Configuration from environment variables (pydantic-settings). Every variable has a safe default."""

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.clock import SCHEDULE


class Settings(BaseSettings):
    """Settings shared by every service. `docs` and `.env.example` list the same variables."""

    model_config = SettingsConfigDict(env_prefix="WO_", extra="ignore", populate_by_name=True)

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("NATS_URL", "WO_NATS_URL"),
        description="NATS server(s), comma-separated.",
    )
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "WO_LOG_LEVEL"), description="DEBUG, INFO, WARNING, ERROR."
    )
    publish_ack_timeout_s: float = Field(default=5.0, gt=0, description="How long to wait for JetStream's ack.")
    max_message_bytes: int = Field(default=64 * 1024, gt=0, description="Largest inbox message accepted.")
    max_deliver: int = Field(default=8, ge=2, description="Deliveries before a failing message is dead-lettered.")
    ack_wait_s: float = Field(default=30.0, gt=0, description="Seconds before an unacknowledged message is redelivered.")
    fetch_batch: int = Field(default=256, ge=1, le=4096, description="Messages fetched per pull.")
    stream_replicas: int = Field(default=1, ge=1, le=5, description="Replicas of each stream (3 on a cluster).")
    directory: str = Field(default="", description="Organisation directory YAML; empty: deploy/organisations.yaml.")
    duplicate_window_s: float = Field(default=2 * 24 * 3600, gt=0, description="JetStream de-duplication window.")
    clock_schedule: str = Field(
        default=SCHEDULE, min_length=1,
        description="When a day starts: the JetStream schedule on amv.clock.day (cron with seconds, Europe/Amsterdam).",
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, le=100, description="Webhook delivery attempts before a task is dead-lettered."
    )
    webhook_backoff_s: float = Field(
        default=5.0, gt=0, description="First webhook retry delay; doubles per attempt, with jitter."
    )
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0, description="Longest delay between webhook attempts.")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one webhook POST.")
    # the handoff desk, services/desk (web page and API; README "The handoff desk")
    http_port: int = Field(default=8080, ge=0, le=65535, description="Port of the handoff desk (web page and API); 0: off.")
    http_host: str = Field(default="127.0.0.1", description="Address the handoff desk listens on (0.0.0.0 in a container).")
    org_tokens: str = Field(default="", description='Sign-in tokens of the handoff desk, JSON {"<org>": "<token>"}.')
    org_tokens_file: str = Field(default="", description="JSON file of those tokens, used when WO_ORG_TOKENS is empty.")
    # operations: health, readiness and Prometheus metrics (services/runtime/observability.py)
    metrics_port: int = Field(
        default=0, ge=0, le=65535,
        description="Port of the service's /healthz, /readyz, /metrics and /projection/digest; 0: off.",
    )
    metrics_bind: str = Field(
        default="127.0.0.1",
        description="Address those endpoints listen on (0.0.0.0 in a container, whose port is published).",
    )
    # NATS login (README "Security: NATS accounts and permissions"); `make run` sets each service's own
    nats_user: str = Field(
        default="", validation_alias=AliasChoices("NATS_USER", "WO_NATS_USER"), description="NATS user; empty: none."
    )
    nats_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("NATS_PASSWORD", "WO_NATS_PASSWORD"),
        description="Password of NATS_USER.",
    )
    nats_password_file: str = Field(
        default="", validation_alias=AliasChoices("NATS_PASSWORD_FILE", "WO_NATS_PASSWORD_FILE"),
        description="File holding the password of NATS_USER (instead of NATS_PASSWORD; docker-compose sets it).",
    )

    @model_validator(mode="after")
    def _password_from_file(self) -> "Settings":
        """NATS_PASSWORD_FILE, the `_FILE` convention of docker secrets: the password is the file's
        content without its trailing newline. Read once, when the settings are loaded, so a service
        with an unreadable file stops at start-up saying which variable and file."""
        if not self.nats_password_file:
            return self
        if self.nats_password.get_secret_value():
            raise ValueError("NATS_PASSWORD and NATS_PASSWORD_FILE are both set: set one of them")
        path = Path(self.nats_password_file)
        try:
            password = path.read_text().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"NATS_PASSWORD_FILE={path}: cannot read the NATS password: {exc}") from exc
        if not password:
            raise ValueError(f"NATS_PASSWORD_FILE={path}: the file is empty")
        self.nats_password = SecretStr(password)
        return self

    def nats_login(self) -> dict[str, str]:
        """Keyword arguments of `nats.connect` that log in as the configured user ({} without one)."""
        if self.nats_user:
            return {"user": self.nats_user, "password": self.nats_password.get_secret_value()}
        return {}
