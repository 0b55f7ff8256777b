"""Privacy by design in an append-only log: personal fields are stored encrypted with a key per
case, and erasing a case deletes its key (crypto-shredding).

What is personal is said by the contracts: a field marked `x-personal-data`
(`contracts.events.PERSONAL_DATA`; today only `ResidencePermitGranted.date_of_birth`). The event
store (services/runtime/eventstore.py) seals such a field when it encodes an event and opens it
when it decodes one, so rules, read models and partners only ever see the value or, once the case
is erased, None. The CloudEvent envelope and every other field stay in clear.

- **Keys.** One random AES-256 key per case, in the JetStream key-value bucket `AMV_CASE_KEYS`
  (stream `KV_AMV_CASE_KEYS`, key = case id, history 1), as a JSON Web Key
  `{"kty": "oct", "alg": "A256GCM", "kid": …, "k": …}`. The first event with a personal field
  creates it (`CaseKeyring.for_writing`).
- **Sealed field.** The value becomes `{"sealed": "A256GCM.<kid>.<nonce>.<ciphertext>"}` (base64url):
  AES-256-GCM (the `cryptography` package) of the value's JSON, with a fresh 96-bit nonce, and the
  case id, event id and field name as associated data, so a sealed value copied into another
  event or case does not open.
- **Reading.** Keys are cached per process (`KEYRING`), so a read model or consumer does at most
  one key lookup per case, never one per event; events without personal fields involve no
  crypto at all. Every process that loads keys watches the bucket (an ordered consumer of its
  headers only) and drops a cached key as soon as it changes or is erased.
- **Erasure** (`erase_case`, `overdracht erase CASE --yes`): the key's message is deleted with
  JetStream's secure erase (overwritten on disk; a key-value delete or purge alone only marks it
  deleted and leaves its bytes in the block file), then a delete marker, the only message left on
  the key (history 1), tells every process to drop its copy. From then on the case's personal
  fields read as None everywhere: in every service, replay and timeline, and in every copy of the
  event store (a backup of the bucket made before still holds the key). Events written in clear
  before this module existed cannot be shredded; the erase report counts them, and the copies of
  partner reports the inbox keeps (see README "Privacy").

The parts: `sealing` (which fields are personal, the case key, sealing and opening: pure),
`keyring` (the keys of this process) and `erasure`. Everything is importable from here.
"""

from services.runtime.privacy.erasure import ErasureReport, UnknownCase, erase_case
from services.runtime.privacy.keyring import KEYRING, CaseKeyNotLoaded, CaseKeyring, cases_with_personal_events
from services.runtime.privacy.sealing import (
    ALGORITHM,
    PERSONAL_EVENT_TYPES,
    PERSONAL_FIELDS,
    SEALED,
    CaseKey,
    KeysUnavailable,
    is_sealed,
    open_sealed,
    open_value,
    seal,
    seal_value,
)
from services.runtime.streams import KEYS_BUCKET, KEYS_STREAM, KEYS_SUBJECT_PREFIX
