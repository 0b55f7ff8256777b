"""`overdracht dead-letters`: messages that failed every attempt, and redriving webhook ones."""

from dataclasses import asdict
from typing import Annotated

import typer
from nats.aio.client import Client as NATS

from ops import deadletters
from ops.cli.common import Code, OpsError, out, print_json, run, say, table

group = typer.Typer(help="Messages that failed every attempt (`amv.deadletter.<service>.<consumer>`).",
                    no_args_is_help=True)


@group.command("list")
def dead_letters_list(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when a webhook dead letter is still undelivered or a consumer "
                           "dead letter exists.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Dead letters: tasks a webhook kept refusing, and messages a consumer failed on every time.

    Webhook dead letters: redrive them with `dead-letters redrive SEQ` once the receiver works.
    Consumer dead letters: messages a service failed on WO_MAX_DELIVER times; see
    docs/operations.md, "Alerts", for what to do. With --json: {"webhook": [...], "consumer": [...]}.
    """

    async def work(nc: NATS) -> Code:
        webhooks = [asdict(letter) | {"status": letter.status, "kind": "webhook"}
                    for letter in await deadletters.dead_letters(nc)]
        consumers = await deadletters.consumer_dead_letters(nc)
        if json_output:
            print_json({"webhook": webhooks, "consumer": consumers})
        else:
            print_dead_letters(webhooks, consumers)
        undelivered = [w for w in webhooks if not w["delivered"]]
        return Code.ALERT if check and (undelivered or consumers) else Code.OK

    run(ctx, work)


def print_dead_letters(webhooks: list[dict], consumers: list[dict]) -> None:
    if not webhooks:
        say("No webhook dead letters.")
    else:
        shown = table("Webhook dead letters", "seq", "status", "owner", "attempts", "case", "delivery id", "reason")
        for w in webhooks:
            shown.add_row(str(w["seq"]), w["status"], w["owner"], str(w["attempts"]), w["case_id"], w["delivery_id"],
                          w["reason"])
        out.print(shown)
    if not consumers:
        say("No consumer dead letters.")
    else:
        shown = table("Consumer dead letters", "seq", "dead letter subject", "original subject", "original", "reason")
        for c in consumers:
            shown.add_row(str(c["seq"]), c["dead_letter_subject"], c["original_subject"], c["original"], c["reason"])
        out.print(shown)


@group.command("redrive")
def dead_letters_redrive(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The webhook dead letter's sequence, as `dead-letters list` shows it.", min=1)],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Re-queue a webhook dead letter: notify tries the owner's webhooks again.

    Redriving the same dead letter twice is recognised and does nothing the second time. Exits 1
    when SEQ is no webhook dead letter. With --json: deadletter_seq, redrive_seq, already.
    """

    async def work(nc: NATS) -> Code:
        try:
            done = await deadletters.redrive(nc, seq)
        except deadletters.NotAWebhookDeadLetter as exc:
            raise OpsError(f"cannot redrive: {exc}") from exc
        if json_output:
            print_json(asdict(done))
        elif done.already:
            say(f"dead letter {done.deadletter_seq} was already redriven (as {done.redrive_seq}); nothing done")
        else:
            say(f"dead letter {done.deadletter_seq} re-queued for delivery (as {done.redrive_seq})")
        return Code.OK

    run(ctx, work)
