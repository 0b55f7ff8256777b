"""The organisation directory (deploy/organisations.yaml): per municipality, who takes over.

Loaded and validated once at start-up; rules receive it as plain data, so they stay pure.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, PrivateAttr, StringConstraints, ValidationError, field_validator, model_validator

from contracts.events.tasks import TASK_CHANGES, TaskChangeKind
from contracts.ids import MunicipalityCode, OrgId, municipality_of, organisation_kind
from services.runtime.rulesettings import RuleSettings

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "deploy" / "organisations.yaml"


class DirectoryError(Exception):
    """The directory file is missing or wrong; the message says where and why."""


class NationalOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str


class Municipality(BaseModel):
    """The organisations that take over a case in one municipality.

    §4.2 hands the young person over to "VluchtelingenWerk en/of wijkprofessionals": a municipality
    has a district team, a VluchtelingenWerk branch or both, never neither. `settings` overrides
    some of the directory's local-policy numbers for this municipality only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    municipality: OrgId
    coordinator: OrgId
    district_team: OrgId | None = None
    vwn: OrgId | None = None
    rmc: OrgId
    settings: dict[str, Any] = {}  # names of RuleSettings; validated merged over the directory's (Directory)

    @model_validator(mode="after")
    def _district_team_or_vwn(self) -> "Municipality":
        if self.district_team is None and self.vwn is None:
            raise ValueError("needs a district_team, a vwn or both (§4.2: VluchtelingenWerk en/of wijkprofessionals)")
        return self

    @property
    def support(self) -> tuple[str, ...]:
        """Who supports the young person after Nidos (§4.2, "en/of"): the district team and VWN that exist."""
        return tuple(org for org in (self.district_team, self.vwn) if org is not None)

    @property
    def social_guidance(self) -> str:
        """Who guides the parents: VluchtelingenWerk (§4.3), else the district team."""
        return self.vwn or self.district_team  # type: ignore[return-value]  # one of them exists

    @property
    def neighbourhood(self) -> str:
        """Who knows the young person's network: the district team (§3.2), else VluchtelingenWerk."""
        return self.district_team or self.vwn  # type: ignore[return-value]  # one of them exists


EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,127}$")]
"""Name of an environment variable holding a secret: the directory names it, never holds the value."""

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


TaskRole = Literal["owner", "requester"]


class WebhookChannel(BaseModel):
    """A webhook subscription, as in the VNG ZGW Notificaties API (Open Notificaties): the task
    messages of the organisation are POSTed to `url` as CloudEvents signed per Standard Webhooks
    (docs/webhooks.md). Like an abonnement on kanalen, it chooses the `changes` it wants (opened,
    accepted, …; default all) and whether as the task's owner, its requester or both (`roles`).
    Secrets stay out of this file: the signing secret (`whsec_…`) is read from the environment
    variable `secret_env`; while it is being rotated, the one it replaces from `previous_secret_env`
    (every delivery then carries a signature with each, so a receiver with either verifies); the
    optional Authorization header value (e.g. "Bearer …", per subscription) from `authorization_env`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["webhook"]
    name: ChannelName = "webhook"
    url: HttpUrl
    secret_env: EnvVarName
    previous_secret_env: EnvVarName | None = None
    authorization_env: EnvVarName | None = None
    changes: tuple[TaskChangeKind, ...] = Field(default=tuple(TASK_CHANGES), min_length=1)
    roles: tuple[TaskRole, ...] = Field(default=("owner", "requester"), min_length=1)

    def wants(self, message_type: str, roles: set[str]) -> bool:
        """Whether this subscription takes a task message of `message_type` for an organisation that is
        the task's `roles` (owner, requester or both)."""
        changes = {change for change, types in TASK_CHANGES.items() if message_type in types}
        return bool(changes & set(self.changes)) and bool(roles & set(self.roles))

    @model_validator(mode="after")
    def _two_secrets_are_two_variables(self) -> "WebhookChannel":
        if self.previous_secret_env == self.secret_env:
            raise ValueError("previous_secret_env must name another variable than secret_env")
        return self

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, url: HttpUrl) -> HttpUrl:
        if url.username or url.password:
            raise ValueError("the url must not carry credentials: name them in authorization_env")
        if url.scheme != "https" and url.host not in LOOPBACK_HOSTS:
            raise ValueError(f"must be https (http only for localhost), not {url.scheme}://{url.host}")
        return url


Channel = WebhookChannel
"""How an organisation receives its tasks besides NATS (only webhooks so far; `type` tells which)."""


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    national: dict[OrgId, NationalOrganisation]
    settings: RuleSettings = RuleSettings()  # local policy for every municipality (services/runtime/rulesettings.py)
    municipalities: dict[MunicipalityCode, Municipality]
    channels: dict[OrgId, list[Channel]] = {}
    # The first step of the escalation chain: each organisation's own coordinator (rules.md rule 14).
    own_coordinators: dict[OrgId, OrgId] = {}
    _settings_of: dict[str, RuleSettings] = PrivateAttr(default_factory=dict)  # per code with its own block

    @model_validator(mode="after")
    def _organisations_are_what_they_claim(self) -> "Directory":
        for required in ("nidos", "ind", "coa"):
            if required not in self.national:
                raise ValueError(f"national.{required} is missing")
        expected = {
            "municipality": "municipality",
            "coordinator": "coordinator",
            "district_team": "wijkteam",
            "vwn": "vwn",
            "rmc": "rmc",
        }
        for code, entry in self.municipalities.items():
            for role, kind in expected.items():
                org = getattr(entry, role)
                if org is not None and organisation_kind(org) != kind:
                    raise ValueError(f"municipalities.{code}.{role}: '{org}' is not a {kind} organisation id")
        return self

    @model_validator(mode="after")
    def _channels_are_for_known_organisations_and_named_apart(self) -> "Directory":
        for org, channels in self.channels.items():
            if organisation_kind(org) is None:
                raise ValueError(f"channels.{org}: '{org}' is not an organisation id of a known kind")
            names = [channel.name for channel in channels]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"channels.{org}: two channels are named '{repeated[0]}': give each its own name")
        for org, coordinator in self.own_coordinators.items():
            for named in (org, coordinator):
                if organisation_kind(named) is None:
                    raise ValueError(f"own_coordinators.{org}: '{named}' is not an organisation id of a known kind")
        return self

    def of(self, code: str) -> Municipality | None:
        return self.municipalities.get(code)

    @model_validator(mode="after")
    def _municipal_settings_are_valid_over_the_directorys(self) -> "Directory":
        """A municipality's `settings:` block is checked as it applies: merged over the directory's."""
        for code, entry in self.municipalities.items():
            if not entry.settings:
                continue
            try:
                self._settings_of[code] = RuleSettings.model_validate(self.settings.model_dump() | entry.settings)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"municipalities.{code}.settings{'.' + where if where else ''}: {first['msg']}") from None
        return self

    def settings_for(self, code: str | None) -> RuleSettings:
        """The local-policy numbers in `code`: the directory's, with the municipality's own block over them."""
        return self._settings_of.get(code or "", self.settings)

    def own_coordinator(self, org: str) -> str:
        """Who coordinates within `org`, the first step when a task of `org` is overdue: the directory's
        `own_coordinators` entry; else a municipality's coordinator (regie-gm…) for the municipality
        itself; else the organisation itself (its escalation lands in its own inbox, for its coordinator)."""
        if org in self.own_coordinators:
            return self.own_coordinators[org]
        local = self.of(municipality_of(org) or "")
        if local is not None and org == local.municipality:
            return local.coordinator
        return org

    def organisations(self) -> set[str]:
        orgs = set(self.national)
        for entry in self.municipalities.values():
            orgs |= {entry.municipality, entry.coordinator, entry.rmc, *entry.support}
        return orgs


def load_directory(path: Path | str | None = None) -> Directory:
    path = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise DirectoryError(f"organisation directory {path} does not exist (set WO_DIRECTORY)") from exc
    except yaml.YAMLError as exc:
        raise DirectoryError(f"organisation directory {path} is not valid YAML: {exc}") from exc
    try:
        return Directory.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise DirectoryError(f"organisation directory {path}: {where}: {first['msg']}") from exc
