"""The key of a case and the sealed value (pure): which fields are personal, a case's AES-256-GCM
key as a JSON Web Key, and sealing (encrypting) and opening an event's personal fields with it.
"""

import base64
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.envelope import CloudEvent
from contracts.events import personal_fields
from contracts.versions import all_models

ALGORITHM = "A256GCM"
SEALED = "sealed"
_NONCE_BYTES = 12

PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    model.type_name(): fields for model in all_models() if (fields := personal_fields(model))
}
"""CloudEvent `type` -> its personal fields, for every version of every event that has any."""

PERSONAL_EVENT_TYPES = frozenset(type_name.split(".")[2] for type_name in PERSONAL_FIELDS)
"""Event type names ('ResidencePermitGranted') with personal fields in some version."""


class KeysUnavailable(RuntimeError):
    """The key bucket is missing or a key in it is unreadable: nothing personal can be written."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CaseKey:
    """A case's AES-256-GCM key and its id (`kid`), which every value sealed with it names."""

    kid: str
    secret: bytes

    @classmethod
    def new(cls) -> "CaseKey":
        return cls(secrets.token_hex(8), AESGCM.generate_key(bit_length=256))

    def to_json(self) -> bytes:
        """The key as a JSON Web Key (RFC 7517, symmetric), the bucket's value."""
        return json.dumps({"kty": "oct", "alg": ALGORITHM, "kid": self.kid, "k": _b64(self.secret)}).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "CaseKey":
        jwk = json.loads(raw)
        if jwk.get("kty") != "oct" or jwk.get("alg") != ALGORITHM:
            raise KeysUnavailable(f"not an {ALGORITHM} key: kty={jwk.get('kty')!r} alg={jwk.get('alg')!r}")
        secret = _unb64(jwk["k"])
        if len(secret) != 32:
            raise KeysUnavailable(f"key {jwk.get('kid')!r} has {len(secret)} bytes, not 32")
        return cls(str(jwk["kid"]), secret)


def _associated_data(case_id: str, event_id: str, field: str) -> bytes:
    return f"{case_id}/{event_id}/{field}".encode()


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get(SEALED), str) and len(value) == 1


def seal_value(value: Any, key: CaseKey, case_id: str, event_id: str, field: str) -> dict[str, str]:
    """`{"sealed": "A256GCM.<kid>.<nonce>.<ciphertext>"}`: the JSON value encrypted with the case key."""
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key.secret).encrypt(
        nonce, json.dumps(value).encode(), _associated_data(case_id, event_id, field)
    )
    return {SEALED: f"{ALGORITHM}.{key.kid}.{_b64(nonce)}.{_b64(ciphertext)}"}


def open_value(sealed: dict[str, str], key: CaseKey | None, case_id: str, event_id: str, field: str) -> Any:
    """The value sealed in `sealed`, or None when it cannot be opened with `key`: erased (no key,
    or a key made after the erasure), or moved from another event, case or field."""
    algorithm, kid, nonce, ciphertext = sealed[SEALED].split(".")
    if key is None or algorithm != ALGORITHM or kid != key.kid:
        return None
    try:
        plain = AESGCM(key.secret).decrypt(_unb64(nonce), _unb64(ciphertext), _associated_data(case_id, event_id, field))
    except InvalidTag:
        return None
    return json.loads(plain)


def seal(event: CloudEvent, fields: Sequence[str], key: CaseKey) -> CloudEvent:
    """`event` with each of its personal `fields` sealed (encrypted) with the case key."""
    data = dict(event.data)
    for field in fields:
        if data.get(field) is not None and not is_sealed(data[field]):
            data[field] = seal_value(data[field], key, event.subject, event.id, field)
    return event.model_copy(update={"data": data})


def open_sealed(event: CloudEvent, fields: Sequence[str], key: CaseKey | None, erased: bool = False) -> CloudEvent:
    """`event` with its personal `fields` opened; None where they cannot be (the case is erased).
    A value stored in clear (before encryption existed) stays readable until the case is erased."""
    data = dict(event.data)
    for field in fields:
        value = data.get(field)
        if is_sealed(value):
            data[field] = open_value(value, key, event.subject, event.id, field)
        elif value is not None and erased:
            data[field] = None
    return event.model_copy(update={"data": data})
