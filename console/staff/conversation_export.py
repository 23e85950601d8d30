"""Export of a filtered set of conversations as CSV (one line per message) or JSONL (one per chat).

The same filters as the conversations list choose the set; pages of it are read and
written one after the other, so a large export streams instead of sitting in memory.
Unless the reader is an admin, e-mail addresses, phone numbers and card numbers are
redacted, in the messages and in the customer columns alike, and the customer's name and
the sender id become keyed pseudonyms (console/staff/pseudonyms.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import web

from console.staff.conversation_detail import ConversationReader
from console.staff.conversation_list import ConversationFilters, ConversationList, ConversationRow
from console.staff.pseudonyms import Pseudonyms
from console.staff.redaction import EMAIL_MARK, redact
from console.staff.transcript import Turn

EXPORT_PAGE_SIZE = 200
FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
CSV_COLUMNS = (
    "session_id",
    "sender_id",
    "started_at",
    "channel",
    "customer_id",
    "customer_name",
    "customer_email",
    "rating",
    "review_state",
    "message_at",
    "speaker",
    "text",
    "intent",
    "confidence",
)
# A spreadsheet runs a cell starting with these as a formula; customers type anything.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportedConversation:
    """One conversation as it leaves the console."""

    row: ConversationRow
    messages: list[dict[str, Any]]


class ConversationExporter:
    """Reads the conversations a filter selects, page by page, with their messages."""

    def __init__(
        self, listing: ConversationList, reader: ConversationReader, pseudonyms: Pseudonyms
    ) -> None:
        self._listing = listing
        self._reader = reader
        self._pseudonyms = pseudonyms

    def chunk(self, filters: ConversationFilters, *, redacted: bool) -> list[ExportedConversation]:
        """The conversations of the filter's page (pages are EXPORT_PAGE_SIZE long)."""
        page = self._listing.page(filters, per_page=EXPORT_PAGE_SIZE)
        found = []
        for row in page.rows:
            detail = self._reader.load(row.session_id)
            turns = detail.turns if detail is not None else []
            if redacted:
                row = self._pseudonymised(row)
            found.append(ExportedConversation(row, _messages(turns, redacted)))
        return found

    def _pseudonymised(self, row: ConversationRow) -> ConversationRow:
        # Stable keyed pseudonyms: rows of one conversation, or one customer, still group.
        name = None
        if row.customer_id is not None or row.customer_name:
            name = self._pseudonyms.of("customer", str(row.customer_id or row.customer_name))
        return replace(
            row,
            sender_id=self._pseudonyms.of("sender", row.sender_id),
            customer_name=name,
            customer_email=EMAIL_MARK if row.customer_email else row.customer_email,
        )


def _messages(turns: list[Turn], redacted: bool) -> list[dict[str, Any]]:
    messages = []
    for turn in turns:
        if turn.kind not in ("user", "bot", "live") or not turn.text:
            continue
        if turn.kind == "live":
            speaker = turn.author or "customer"
        else:
            speaker = "customer" if turn.kind == "user" else "bot"
        messages.append(
            {
                "at": _iso(turn.at),
                "speaker": speaker,
                "text": redact(turn.text) if redacted else turn.text,
                "intent": turn.intent,
                "confidence": turn.confidence,
            }
        )
    return messages


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def jsonl_lines(conversations: list[ExportedConversation]) -> str:
    """One JSON object per conversation, one per line."""
    out = []
    for c in conversations:
        r = c.row
        record = {
            "session_id": r.session_id,
            "sender_id": r.sender_id,
            "started_at": _iso(r.started_at),
            "channel": r.channel,
            "customer_id": r.customer_id,
            "customer_name": r.customer_name,
            "customer_email": r.customer_email,
            "rating": r.rating,
            "review_state": r.review_state,
            "intents": list(r.intents),
            "messages": c.messages,
        }
        out.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(out)


def csv_text(conversations: list[ExportedConversation], *, header: bool) -> str:
    """CSV lines, one per message (a conversation without messages still gets one line)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
    for c in conversations:
        r = c.row
        base = [
            r.session_id,
            r.sender_id,
            _iso(r.started_at),
            r.channel,
            r.customer_id,
            r.customer_name,
            r.customer_email,
            r.rating,
            r.review_state,
        ]
        blank: dict[str, Any] = {}
        for m in c.messages or [blank]:
            message = [m.get(k) for k in ("at", "speaker", "text", "intent", "confidence")]
            writer.writerow([_cell(v) for v in base + message])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def export_pages(filters: ConversationFilters) -> Iterator[ConversationFilters]:
    """The filters of every page from the first on (the caller stops when one is short)."""
    page = 0
    while True:
        yield filters.at_page(page)
        page += 1


async def stream_export(
    request: web.Request,
    exporter: ConversationExporter,
    filters: ConversationFilters,
    fmt: str,
    *,
    redacted: bool,
    filename: str,
) -> tuple[web.StreamResponse, int]:
    """Write the export to the client page by page; returns the response and the count."""
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{FORMATS[fmt]}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    count = 0
    for page_filters in export_pages(filters.at_page(0)):
        chunk = await asyncio.to_thread(exporter.chunk, page_filters, redacted=redacted)
        if fmt == "csv":
            text = csv_text(chunk, header=page_filters.page == 0)
        else:
            text = jsonl_lines(chunk)
        if text:
            await response.write(text.encode("utf-8"))
        count += len(chunk)
        if len(chunk) < EXPORT_PAGE_SIZE:
            break
    await response.write_eof()
    return response, count
