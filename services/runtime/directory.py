"""The organisation directory (deploy/organisations.yaml): per municipality, who takes over.

Loaded and validated once at start-up; rules receive it as plain data, so they stay pure.
"""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from contracts.ids import MunicipalityCode, OrgId, organisation_kind

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "deploy" / "organisations.yaml"


class DirectoryError(Exception):
    """The directory file is missing or wrong; the message says where and why."""


class NationalOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str


class Municipality(BaseModel):
    """The organisations that take over a case in one municipality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    municipality: OrgId
    coordinator: OrgId
    district_team: OrgId
    vwn: OrgId
    rmc: OrgId


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    national: dict[OrgId, NationalOrganisation]
    municipalities: dict[MunicipalityCode, Municipality]
    channels: dict[OrgId, list[dict]] = {}

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
                if organisation_kind(org) != kind:
                    raise ValueError(f"municipalities.{code}.{role}: '{org}' is not a {kind} organisation id")
        return self

    def of(self, code: str) -> Municipality | None:
        return self.municipalities.get(code)

    def organisations(self) -> set[str]:
        orgs = set(self.national)
        for entry in self.municipalities.values():
            orgs |= {entry.municipality, entry.coordinator, entry.district_team, entry.vwn, entry.rmc}
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
