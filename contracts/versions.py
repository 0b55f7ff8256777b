"""Event versions: every earlier version of an event that is still read, and how it becomes current.

They live in `contracts.events.versions`, beside the current models they upcast to; this module
keeps the import path `contracts.versions` (docs/versioning.md).
"""

from contracts.events.versions import (
    PREVIOUS_VERSIONS,
    Data,
    HousingAssignedV1,
    PreviousVersion,
    UnknownEventVersion,
    accepted_until,
    all_models,
    housing_assigned_v1_to_v2,
    model_of,
    read_data,
    upcast,
)
