"""`make contracts`: write the JSON Schema of the envelope and of every event to contracts/schemas/.

    python -m contracts.export [--check]

With --check nothing is written; the exit code is 1 when the committed files differ from the models.
"""

import argparse
import json
import sys
from pathlib import Path

from contracts.envelope import CloudEvent
from contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def rendered_schemas() -> dict[str, str]:
    """File name -> JSON text, for the envelope and every event type and version."""
    schemas = {"CloudEvent.json": CloudEvent.model_json_schema()}
    for name, cls in EVENT_TYPES.items():
        schema = cls.model_json_schema()
        schema["$id"] = f"https://warmeoverdracht.nl/contracts/{cls.type_name()}.json"
        schema["x-cloudevents-type"] = cls.type_name()
        schema["x-reported-by"] = sorted(cls.reporters)
        schema["x-stored-by"] = cls.service
        schemas[f"{name}.v{cls.version}.json"] = schema
    return {file: json.dumps(schema, indent=2, sort_keys=True) + "\n" for file, schema in schemas.items()}


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    expected = rendered_schemas()
    present = {path.name for path in directory.glob("*.json")}
    problems = [f"missing: {name}" for name in sorted(set(expected) - present)]
    problems += [f"stale file: {name}" for name in sorted(present - set(expected))]
    problems += [
        f"differs from the model: {name}"
        for name in sorted(set(expected) & present)
        if (directory / name).read_text() != expected[name]
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for stale in SCHEMA_DIR.glob("*.json"):
        stale.unlink()
    for name, text in rendered_schemas().items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(rendered_schemas())} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
