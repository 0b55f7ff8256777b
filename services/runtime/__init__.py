"""Shared runtime of the services: settings, logging, the JetStream event store, provisioning,
the case-ordered consumer loop and the decide-and-append cycle. Nothing domain-specific lives here."""
