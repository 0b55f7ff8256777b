"""A first case, published as a partner would: plain nats-py and JSON, no SDK.

Nidos reports a residence permit and the filed application for a new pseudonymous case; the
municipality (Tilburg, gm0855) receives the task to plan the transition meeting and accepts it.

    NATS_URL=nats://127.0.0.1:4222 .venv/bin/python examples/first_case.py
"""

import asyncio
import json
import os
import uuid
from datetime import UTC, date, datetime

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


async def main() -> None:
    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    case_id = f"case-{uuid.uuid4().hex[:10]}"
    tasks = await nc.subscribe("amv.tasks.gm0855.>")
    rejected = await nc.subscribe("amv.rejected.nidos.>")

    today = date.today().isoformat()
    permit = {"date_of_birth": "2010-05-17", "municipality": "GM0855", "permit_date": today}
    await nc.publish("amv.inbox.nidos.ResidencePermitGranted", cloud_event("nidos", "ResidencePermitGranted", case_id, permit))
    await nc.publish("amv.inbox.nidos.ApplicationFiled", cloud_event("nidos", "ApplicationFiled", case_id, {"filed_on": today}))
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
        await nc.close()
        return
    print(f"gm0855 received on {msg.subject}:\n{json.dumps(task, indent=2)}")

    accept = cloud_event("gm0855", "TaskAccepted", case_id, {"task_id": task["data"]["task_id"]})
    await nc.publish("amv.inbox.gm0855.TaskAccepted", accept)
    await nc.flush()
    print("gm0855 accepted the task: notify records HandoffAccepted.")
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
