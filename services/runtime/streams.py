"""The names of the system's JetStream streams and of its key-value bucket: declared here, below
everything that reads or writes them (the event store, privacy, provisioning, NATS permissions).
Their configuration is in services/runtime/provision.py; their subjects in contracts/subjects.py.
"""

from contracts import subjects

INBOX_STREAM = "AMV_INBOX"
EVENTS_STREAM = "AMV_EVENTS"
REJECTED_STREAM = "AMV_REJECTED"
TASKS_STREAM = "AMV_TASKS"
CLOCK_STREAM = "AMV_CLOCK"
WEBHOOKS_STREAM = "AMV_WEBHOOKS"
KEYS_BUCKET = "AMV_CASE_KEYS"
KEYS_STREAM = f"KV_{KEYS_BUCKET}"
KEYS_SUBJECT_PREFIX = subjects.kv_prefix(KEYS_BUCKET)  # $KV.AMV_CASE_KEYS.<case id>: the key of a case
PARKED_BUCKET = "AMV_PARKED"
PARKED_STREAM = f"KV_{PARKED_BUCKET}"
PARKED_SUBJECT_PREFIX = subjects.kv_prefix(PARKED_BUCKET)  # $KV.AMV_PARKED.<service>.<case>: a parked case
