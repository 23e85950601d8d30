"""Batch scoring: JSON Lines of customer ids in, one NDJSON line per id out, in order.

The whole request is checked before anything is streamed: a body that is not JSON Lines,
or has more than ``MAX_BATCH_LINES`` lines, is one problem (415, 413) for the call. A bad
line (not an id, an id that cannot be one) or an unknown customer is an error on its own
line of the answer, so one typo does not cost the other 999 scores. Ids are scored in
chunks, each in one pair of database reads, and written as they are ready.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from api.problems import ApiProblem
from api.schemas import MAX_BATCH_LINES, BatchError, BatchItem, BatchResult
from api.typedefs import SERVICE

log = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
# Media types a JSON Lines body is sent as.
JSON_LINES = (NDJSON, "application/jsonl", "application/x-jsonlines")
CHUNK = 200  # ids scored per database round trip


Numbered = list[tuple[int, BatchItem | BatchError]]


def parse_lines(raw: bytes) -> Numbered:
    """Each non-blank line, by its line number, as an id to score or the error it gets."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ApiProblem("invalid-body", "The batch must be UTF-8 text.") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_BATCH_LINES:
        raise ApiProblem(
            "body-too-large",
            f"A batch holds at most {MAX_BATCH_LINES} lines; this one has {len(lines)}. "
            "Split it into several calls.",
        )
    if not lines:
        raise ApiProblem("invalid-body", 'Send one customer per line: {"customer_id": 42}.')
    return [(n, _item(line)) for n, line in lines]


def _item(line: str) -> BatchItem | BatchError:
    try:
        value: Any = json.loads(line, parse_constant=_no_constant)
    except ValueError:
        return BatchError(status=400, detail="This line is not JSON.")
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"customer_id": value}
    try:
        return BatchItem.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors()
        )
        return BatchError(status=400, detail=f'Expected {{"customer_id": 42}} ({problems}).')


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _chunks(items: Numbered) -> Iterator[Numbered]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def batch_propensity(request: web.Request) -> web.StreamResponse:
    """Score every line's customer; the NDJSON answer streams chunk by chunk."""
    if request.content_type not in JSON_LINES:
        raise ApiProblem(
            "unsupported-media-type",
            f"Send the batch as JSON Lines with `Content-Type: {NDJSON}`.",
        )
    items = parse_lines(await request.read())
    service = request.app[SERVICE]
    response = web.StreamResponse(headers={"Content-Type": NDJSON})
    await response.prepare(request)
    try:
        for chunk in _chunks(items):
            ids = [item.customer_id for _, item in chunk if isinstance(item, BatchItem)]
            scores = await asyncio.to_thread(service.propensities, ids)
            lines = [_result(number, item, scores) for number, item in chunk]
            await response.write("".join(r.model_dump_json() + "\n" for r in lines).encode())
    except Exception:
        # The status is sent; a last line says the rest is missing, the log says why.
        log.exception("api: a batch failed part-way")
        failed = BatchError(status=500, detail="Scoring stopped here; it has been logged.")
        await response.write(failed.model_dump_json().encode() + b"\n")
    await response.write_eof()
    return response


def _result(number: int, item: BatchItem | BatchError, scores: dict[int, Any]) -> BatchResult:
    if isinstance(item, BatchError):
        return BatchResult(line=number, customer_id=None, propensity=None, error=item)
    score = scores.get(item.customer_id)
    if score is None:
        missing = BatchError(status=404, detail=f"There is no customer with id {item.customer_id}.")
        return BatchResult(
            line=number, customer_id=item.customer_id, propensity=None, error=missing
        )
    return BatchResult(line=number, customer_id=item.customer_id, propensity=score, error=None)
