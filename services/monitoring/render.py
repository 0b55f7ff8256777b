"""The agenda of the integral meeting as Markdown (to paste into the meeting notes), JSON (for other
systems) and HTML (the coordinator's page; every value escaped). Pure: an `Agenda` in, text out."""

import html
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from services.monitoring.agenda import Agenda, AgendaItem

ATTENTION_MARK = "(!)"


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO strings, tuples as lists, all the way down."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def agenda_data(agenda: Agenda) -> dict[str, Any]:
    """The agenda as plain data: what the JSON output and the web page's API return."""
    return {
        "municipality": agenda.municipality,
        "name": agenda.name,
        "as_of": agenda.as_of.isoformat(),
        "since": agenda.since.isoformat(),
        "cases": agenda.cases,
        "sections": [
            {"key": section.key, "title": section.title, "items": [_plain(asdict(item)) for item in section.items]}
            for section in agenda.sections
        ],
    }


def to_json(agenda: Agenda) -> str:
    return json.dumps(agenda_data(agenda), indent=2, ensure_ascii=False) + "\n"


def _heading(agenda: Agenda) -> tuple[str, str]:
    title = f"Integral meeting {agenda.name} ({agenda.municipality}), {agenda.as_of.isoformat()}"
    subtitle = (
        f"{agenda.cases} case{'' if agenda.cases == 1 else 's'}; school absence since {agenda.since.isoformat()}; "
        f"{ATTENTION_MARK} needs the table's attention; pseudonymous case ids only"
    )
    return title, subtitle


def _due(item: AgendaItem) -> str:
    return item.due.isoformat() if item.due else ""


def _days(item: AgendaItem) -> str:
    return "" if item.days is None else str(item.days)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(agenda: Agenda) -> str:
    title, subtitle = _heading(agenda)
    lines = [f"# {title}", "", subtitle, ""]
    for section in agenda.sections:
        lines += [f"## {section.title} ({len(section.items)})", ""]
        if not section.items:
            lines += ["Nothing to discuss.", ""]
            continue
        lines += ["| | case | situation | next step | owner | due | days |", "|---|---|---|---|---|---|---|"]
        for item in section.items:
            mark = ATTENTION_MARK if item.attention else ""
            cells = (mark, item.case_id, item.situation, item.next_step, item.owner, _due(item), _days(item))
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def to_html_fragment(agenda: Agenda) -> str:
    """The agenda's sections as HTML, to embed in a page (the handoff desk's coordinator page)."""
    e = html.escape
    title, subtitle = _heading(agenda)
    parts = [f'<section class="agenda"><h1>{e(title)}</h1><p>{e(subtitle)}</p>']
    for section in agenda.sections:
        parts.append(f'<h2 id="{e(section.key)}">{e(section.title)} ({len(section.items)})</h2>')
        if not section.items:
            parts.append("<p>Nothing to discuss.</p>")
            continue
        parts.append(
            "<table><thead><tr><th></th><th>case</th><th>situation</th><th>next step</th><th>owner</th>"
            "<th>due</th><th>days</th></tr></thead><tbody>"
        )
        for item in section.items:
            row_class = ' class="attention"' if item.attention else ""
            cells = (ATTENTION_MARK if item.attention else "", item.case_id, item.situation, item.next_step,
                     item.owner, _due(item), _days(item))
            parts.append(f"<tr{row_class}>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "tr.attention td{background:#fff3cd}"
    "td:nth-child(2),td:nth-child(5),td:nth-child(6){white-space:nowrap}"
)


def to_html(agenda: Agenda) -> str:
    """A standalone HTML page of the agenda."""
    title, _ = _heading(agenda)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{to_html_fragment(agenda)}\n</body></html>\n"
    )


RENDERERS = {"md": to_markdown, "json": to_json, "html": to_html}


def render(agenda: Agenda, fmt: str) -> str:
    try:
        return RENDERERS[fmt](agenda)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(RENDERERS)}") from None
