"""Operator and partner tooling: publishing as a partner, waiting for the system to settle, the demo."""
