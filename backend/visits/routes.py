"""Visits over HTTP: the approval desk (visits filtered by rep, date and evidence, and bulk review), and
visit photos (their bytes in, and out to whoever may see the visit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend import paging
from backend.http import DB, UNCOMPRESSED, Config, CurrentActor, Now, ReadOnlyDB, Store, also_answers, read_body
from backend.visits import photos
from backend.visits.desk import desk, review_many
from backend.visits.schemas import PhotoPublic, ReviewResults, VisitPublic
from backend.visits.service import visit_public


@get("/visits", sync_to_thread=True, response_headers=paging.LINK_HEADER)
def list_visits(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    rep_id: FromQuery[str | None] = None,
    # `from` and `to` are Python keywords: the query names are given explicitly.
    from_day: Annotated[str | None, QueryParameter(name="from")] = None,
    to_day: Annotated[str | None, QueryParameter(name="to")] = None,
    status: FromQuery[str | None] = None,
    min_distance_m: FromQuery[float | None] = None,
    max_distance_m: FromQuery[float | None] = None,
    max_accuracy_m: FromQuery[float | None] = None,
    # One of the evidence flags: far | poor_accuracy | impossible_travel | repeated_position.
    flag: FromQuery[str | None] = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[list[VisitPublic]]:
    """Visits of the caller's people (default: waiting for approval), for leads and managers; oldest check-in
    first, a page at a time."""
    params = {
        "rep_id": rep_id,
        "from": from_day,
        "to": to_day,
        "status": status,
        "min_distance_m": min_distance_m,
        "max_distance_m": max_distance_m,
        "max_accuracy_m": max_accuracy_m,
        "flag": flag,
    }
    page = paging.page_request(limit, cursor)
    return paging.respond(request, desk(db, actor, params, page).map(visit_public))


@post("/visits/review", status_code=200, sync_to_thread=True)
def review_visits(
    db: DB, actor: CurrentActor, now: Now, settings: Config, data: JSONBody[dict[str, Any]]
) -> ReviewResults:
    """{decisions: [{id, base_version, approve, comment}]} → {results: one sync-shaped receipt per decision}."""
    return ReviewResults(review_many(db, actor, data, now, settings.sync_max_mutations))


# A photo never changes under its id (other bytes are refused), so the phone may keep it for good; `private`
# because only the people who may see the visit may see it (backend/web/headers.py keeps this).
PHOTO_CACHE = "private, max-age=31536000, immutable"
_IMAGE = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class PhotoUploadOperation(Operation):
    """The upload's body in the OpenAPI document: an image's bytes, not JSON."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={kind: OpenAPIMediaType(schema=_IMAGE) for kind in ("image/jpeg", "image/png", "image/webp")},
            description="the photo's bytes, any image/* Pillow reads",
            required=True,
        )


@put(
    "/attachments/{attachment_id:str}",
    status_code=200,
    # The photo's own limit (`attachment_max_bytes`) is applied by read_body, not the app's JSON one.
    request_max_body_size=None,
    operation_class=PhotoUploadOperation,
    responses={
        201: ResponseSpec(data_container=PhotoPublic, description="The photo arrived: kept, and its visit moved")
    },
    opt=also_answers(400, 409, 413, 415, 422),
)
async def upload_photo(
    request: Request[Any, Any, Any],
    reader: ReadOnlyDB,
    db: DB,
    actor: CurrentActor,
    settings: Config,
    storage: Store,
    now: Now,
    attachment_id: FromPath[str],
) -> Response[PhotoPublic]:
    """A photo's bytes, by the rep whose visit lists its id: 201 when they arrive, 200 for the same bytes
    again, 409 for other bytes, 404 until a visit of theirs lists the id."""
    content_type = photos.image_type(request.headers.get("content-type"))
    # Database work and Pillow run in threads: this handler is async only to stream the body.
    await sync_to_thread(photos.uploadable, reader, actor, attachment_id)  # 404 before a byte is read
    body = await read_body(request, settings.attachment_max_bytes)
    row, arrived = await sync_to_thread(
        photos.receive, reader, db, storage, actor, attachment_id, content_type, body, now
    )
    return Response(photos.photo_public(row), status_code=201 if arrived else 200)


@get("/attachments/{attachment_id:str}", sync_to_thread=True, media_type="image/jpeg", opt={UNCOMPRESSED: True})
def photo(
    request: Request[Any, Any, Any],
    reader: ReadOnlyDB,
    actor: CurrentActor,
    storage: Store,
    attachment_id: FromPath[str],
    size: FromQuery[str | None] = None,
) -> Response[bytes]:
    """A visit's photo as JPEG (`size=thumb`: its thumbnail, long side 320 px), to whoever may see the visit,
    once it has arrived."""
    chosen = photos.chosen_size(size)
    row = photos.visible_photo(reader, actor, attachment_id)
    headers = {"Cache-Control": PHOTO_CACHE, "ETag": f'"{row.sha256}-{chosen}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    return Response(photos.photo_bytes(storage, row, chosen), media_type="image/jpeg", headers=headers)


ROUTES = [list_visits, review_visits, upload_photo, photo]
