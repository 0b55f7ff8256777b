"""A first case, published as a partner would: plain nats-py and JSON, no SDK.

Nidos reports a residence permit and the filed application for a new pseudonymous case; the
municipality (Tilburg, gm0855) receives the task to plan the transition meeting and accepts it.

    NATS_URL=nats://127.0.0.1:4222 .venv/bin/python examples/first_case.py

Each organisation logs in as itself. `make run` keeps the development passwords in
var/credentials.json (WO_NATS_CREDENTIALS names another file); a partner is given its own password
by the operator. The NATS permissions let it publish only to amv.inbox.<org>.> and read only its
own amv.tasks.<org>.> and amv.rejected.<org>.>, so the example opens one connection per organisation.
"""

import asyncio
import json
import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import nats


def cloud_event(org: str, event_type: str, case_id: str, data: dict) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": f"urn:nld:warmeoverdracht:org:{org}",
            "type": f"nl.warmeoverdracht.{event_type}.v1",
            "subject": case_id,
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


def login(org: str) -> dict:
    """User, password and private reply inbox of `org`, from the dev credentials file if there is one."""
    credentials = Path(os.environ.get("WO_NATS_CREDENTIALS", "var/credentials.json"))
    if not credentials.exists():
        return {}  # a server without authentication
    password = json.loads(credentials.read_text())["users"][org]["password"]
    return {"user": org, "password": password, "inbox_prefix": f"_INBOX_{org}"}


async def main() -> None:
    url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222").split(",")
    nidos = await nats.connect(url, **login("nidos"))
    gm0855 = await nats.connect(url, **login("gm0855"))
    case_id = f"case-{uuid.uuid4().hex[:10]}"
    tasks = await gm0855.subscribe("amv.tasks.gm0855.>")
    rejected = await nidos.subscribe("amv.rejected.nidos.>")

    today = date.today().isoformat()
    permit = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": today}
    await nidos.publish("amv.inbox.nidos.ResidencePermitGranted", cloud_event("nidos", "ResidencePermitGranted", case_id, permit))
    await nidos.publish("amv.inbox.nidos.ApplicationFiled", cloud_event("nidos", "ApplicationFiled", case_id, {"filed_on": today}))
    print(f"published ResidencePermitGranted and ApplicationFiled for {case_id}")

    try:
        while True:
            msg = await tasks.next_msg(timeout=10)
            task = json.loads(msg.data)
            if task["subject"] == case_id:
                break
    except TimeoutError:
        try:
            why = await rejected.next_msg(timeout=0.1)
            print("rejected:", why.headers)
        except TimeoutError:
            print("no task arrived within 10 s: are the services running (make run)?")
        await nidos.close()
        await gm0855.close()
        return
    print(f"gm0855 received on {msg.subject}:\n{json.dumps(task, indent=2)}")

    accept = cloud_event("gm0855", "TaskAccepted", case_id, {"task_id": task["data"]["task_id"]})
    await gm0855.publish("amv.inbox.gm0855.TaskAccepted", accept)
    await gm0855.flush()
    print("gm0855 accepted the task: notify records HandoffAccepted.")
    await nidos.close()
    await gm0855.close()


if __name__ == "__main__":
    asyncio.run(main())
