"""Visit photos: which visit lists each photo, the arrival of its bytes, who may see it, and when it goes.

The phone picks each photo's id and lists it in the visit's `photos` (sync). From the moment a visit lists an
id, an `Attachment` row exists for it, owned by the visit's rep; an id another visit lists is refused. The
rep's phone then uploads the bytes under the id (`PUT /api/v1/attachments/{id}`, any number of times: the
same bytes again change nothing, other bytes are refused). On arrival the visit's server-set
`photos_arrived` gains the id and its version moves, so every phone that holds the visit pulls it.

An id the visit no longer lists (an edit dropped it, the draft was deleted) is `unlisted_at` then; listed
again, by the same visit or another of the same rep, it is the same photo. `sweep` removes the rows and
files of photos unlisted for `attachment_retention_days`: the worker calls it.

What is stored is never the bytes as sent: the photo is decoded (proving it is an image), turned upright
by its EXIF orientation and re-encoded as JPEG without any EXIF (GPS, device, owner), with a thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.errors import Conflict, InvalidInput, NotFound, UnsupportedMediaType
from backend.policy import Actor, get_owned
from backend.storage import Storage
from backend.validation import canonical_uuid
from backend.visits.models import Attachment, Visit
from backend.visits.schemas import PhotoPublic

# The long side of a thumbnail, in pixels: a row of them on a phone's visit screen.
THUMBNAIL_PX = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
SIZES = ("full", "thumb")


class PhotoDiffers(Conflict):
    """Other bytes under an id whose photo has arrived: a photo never changes under its id."""

    code = "photo_differs"


@dataclass(frozen=True)
class Photo:
    """An upload decoded and made safe to keep: upright, JPEG, no EXIF, and its thumbnail."""

    sha256: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    jpeg: bytes
    thumbnail: bytes


def photo_key(attachment_id: str, size: str = "full") -> str:
    """Where a photo's bytes are kept in the storage (backend/storage.py), spread over 256 folders."""
    suffix = ".thumb.jpg" if size == "thumb" else ".jpg"
    return f"photos/{attachment_id[:2]}/{attachment_id}{suffix}"


def photo_public(attachment: Attachment) -> PhotoPublic:
    assert attachment.arrived_at is not None and attachment.sha256 is not None
    return PhotoPublic(
        id=attachment.id,
        visit_id=attachment.visit_id,
        sha256=attachment.sha256,
        content_type=attachment.content_type or "",
        size_bytes=attachment.size_bytes or 0,
        width=attachment.width or 0,
        height=attachment.height or 0,
        arrived_at=attachment.arrived_at.isoformat(),
    )


# --- which visit lists a photo ------------------------------------------------------------------------------


def _rows(session: Session, ids: Iterable[str]) -> dict[str, Attachment]:
    wanted = list(ids)
    if not wanted:
        return {}
    found = session.scalars(select(Attachment).where(col(Attachment.id).in_(wanted)))
    return {row.id: row for row in found}


def _listable(row: Attachment, owner_id: str, visit_id: str) -> bool:
    """Whether `visit_id` (of `owner_id`) may list this photo: it is its own, or one of the rep's that no
    visit lists any longer."""
    return row.visit_id == visit_id or (row.unlisted_at is not None and row.owner_id == owner_id)


def check_listing(
    session: Session, owner_id: str, visit_id: str, ids: list[str] | None, field: str = "photos"
) -> list[str] | None:
    """Refuse (on `field`) an id that another visit lists or another rep's photo; returns which of `ids`
    have arrived already (a photo listed again), in their order, or None."""
    if not ids:
        return None
    rows = _rows(session, ids)
    for photo_id in ids:
        row = rows.get(photo_id)
        if row is not None and not _listable(row, owner_id, visit_id):
            raise InvalidInput.one(field, "photo_of_other_visit", id=photo_id)
    return [i for i in ids if i in rows and rows[i].arrived_at is not None] or None


@dataclass(frozen=True)
class Listing:
    """A visit's list of photos before and after a change."""

    visit_id: str
    owner_id: str
    before: list[str] | None
    after: list[str] | None


def follow_listings(session: Session, listings: list[Listing], now: datetime) -> dict[str, list[str] | None]:
    """Make the attachment rows follow the visits' new lists (rows for new ids, moved or listed again,
    dropped ids unlisted); returns each visit's `photos_arrived` by visit id. The visits must be written
    already (the rows name them); each visit's ids were checked alone by `check_listing`."""
    rows = _rows(session, {i for listing in listings for i in (listing.before or []) + (listing.after or [])})
    arrived: dict[str, list[str] | None] = {}
    for listing in listings:
        after = listing.after or []
        for photo_id in after:
            row = rows.get(photo_id)
            if row is None:
                row = rows[photo_id] = Attachment(
                    id=photo_id, visit_id=listing.visit_id, owner_id=listing.owner_id, created_at=now
                )
                session.add(row)
            elif not _listable(row, listing.owner_id, listing.visit_id):
                # Two visits written together (a sync run) naming one new id: the run settles one by one.
                raise InvalidInput.one("photos", "photo_of_other_visit", id=photo_id)
            else:
                row.visit_id, row.unlisted_at = listing.visit_id, None
        for photo_id in set(listing.before or []) - set(after):
            row = rows.get(photo_id)
            if row is not None and row.visit_id == listing.visit_id and row.unlisted_at is None:
                row.unlisted_at = now
        arrived[listing.visit_id] = [i for i in after if rows[i].arrived_at is not None] or None
    # Written now, inside the caller's savepoint: two visits of one sync run listing one new id fail here.
    session.flush()
    return arrived


def follow_new_visits(session: Session, rows: list[dict[str, Any]]) -> None:
    """Attachment rows for the photos new visits list (rows as `new_visit_row` made them, just written)."""
    listings = [Listing(row["id"], row["rep_id"], None, row["photos"]) for row in rows if row["photos"]]
    if listings:
        follow_listings(session, listings, rows[0]["created_at"])


def follow_visit(session: Session, visit: Visit, before: list[str] | None, now: datetime) -> None:
    """After the visit's `photos` changed from `before`: its rows follow, and its `photos_arrived`."""
    arrived = follow_listings(session, [Listing(visit.id, visit.rep_id, before, visit.photos)], now)
    visit.photos_arrived = arrived[visit.id]


def unlist_all(session: Session, visit: Visit, now: datetime) -> None:
    """A deleted draft lists nothing any longer: its photos start their retention."""
    listed = session.scalars(
        select(Attachment).where(Attachment.visit_id == visit.id, col(Attachment.unlisted_at).is_(None))
    )
    for row in listed:
        row.unlisted_at = now


# --- the bytes ----------------------------------------------------------------------------------------------


def image_type(content_type: str | None) -> str:
    """The upload's media type, which must be an image's (the bytes are checked too, by `prepare`)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind.startswith("image/") or len(kind) > 64:
        raise UnsupportedMediaType("image/*")
    return kind


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No `exif=`: Pillow writes none unless given, so GPS, device and owner tags stay behind.
    image.save(out, "JPEG", quality=quality, icc_profile=image.info.get("icc_profile"))
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """The image as RGB, which JPEG holds: transparent parts on white, as a viewer shows them."""
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        flat = image.convert("RGB")
    else:
        return image
    flat.info["icc_profile"] = profile
    return flat


def prepare(body: bytes, content_type: str, sha256: str | None = None) -> Photo:
    """Decode the upload (refused unless it is an image Pillow reads whole, and not a decompression bomb),
    turn it upright and re-encode it, with its thumbnail."""
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: both are refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Not closed: closing would free the pixels, and a BytesIO holds no file to release.
            opened = Image.open(io.BytesIO(body))
            opened.load()
            ImageOps.exif_transpose(opened, in_place=True)  # no copy of an image that is upright already
            upright = _flattened(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput.one("body", "image_too_large", max=Image.MAX_IMAGE_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Not an image, a cut one, or a kind Pillow reads but cannot turn into RGB.
        raise InvalidInput.one("body", "not_an_image") from None
    # A box reduction by a whole factor to about the size first (cheap, and every pixel counts), then the
    # fine resampling: a third of the time of resampling from the full size.
    small = upright.reduce(max(1, max(upright.size) // THUMBNAIL_PX))
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    return Photo(
        sha256=sha256 or hashlib.sha256(body).hexdigest(),
        content_type=content_type,
        size_bytes=len(body),
        width=upright.width,
        height=upright.height,
        jpeg=_jpeg(upright, JPEG_QUALITY),
        thumbnail=_jpeg(small, THUMBNAIL_QUALITY),
    )


def uploadable(session: Session, actor: Actor, attachment_id: str, *, lock: bool = False) -> Attachment:
    """The photo the actor may upload: listed by one of their own visits (NotFound for anyone else, and
    until a visit lists it)."""
    canonical = canonical_uuid(attachment_id)
    if canonical is None:
        raise NotFound()
    query = select(Attachment).where(Attachment.id == canonical)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(query).first()
    if row is None or row.owner_id != actor.id or row.unlisted_at is not None:
        raise NotFound()
    return row


def receive(
    reader: Session,
    session: Session,
    storage: Storage,
    actor: Actor,
    attachment_id: str,
    content_type: str,
    body: bytes,
    now: datetime,
) -> tuple[Attachment, bool]:
    """Keep an uploaded photo; returns its row and whether this was its arrival (False: the same bytes had
    arrived already). The image work happens before the write transaction starts (`reader` reads only), so
    no lock is held while Pillow decodes."""
    sha256 = hashlib.sha256(body).hexdigest()
    known = uploadable(reader, actor, attachment_id)
    if known.arrived_at is not None and known.sha256 != sha256:
        raise PhotoDiffers()
    photo = prepare(body, content_type, sha256) if known.arrived_at is None else None
    # The visit first, then the photo: the order an edit of the visit takes them in, so the two never
    # wait for each other (and two photos of one visit arriving at once count both).
    visit = session.scalars(
        select(Visit).where(Visit.id == known.visit_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    row = uploadable(session, actor, attachment_id, lock=True)
    if row.arrived_at is not None:  # it arrived meanwhile (or before): the same bytes are the same photo
        if row.sha256 != sha256:
            raise PhotoDiffers()
        return row, False
    if row.visit_id != visit.id:  # moved to another visit meanwhile
        visit = session.get_one(Visit, row.visit_id, with_for_update=True)
    photo = photo or prepare(body, content_type, sha256)
    # Written before the row says it arrived: a failed commit leaves a file a retry overwrites, never a
    # row that points at nothing.
    storage.put(photo_key(row.id), photo.jpeg)
    storage.put(photo_key(row.id, "thumb"), photo.thumbnail)
    row.sha256, row.content_type, row.size_bytes = photo.sha256, photo.content_type, photo.size_bytes
    row.width, row.height, row.arrived_at = photo.width, photo.height, now
    arrived = {*(visit.photos_arrived or []), row.id}
    visit.photos_arrived = [i for i in visit.photos or [] if i in arrived] or None
    visit.version += 1
    visit.updated_at = now
    return row, True


# --- who may see it -----------------------------------------------------------------------------------------


def visible_photo(session: Session, actor: Actor, attachment_id: str) -> Attachment:
    """A photo that has arrived, listed by a visit the actor may see (its rep, the leads and managers
    over them); NotFound otherwise."""
    canonical = canonical_uuid(attachment_id)
    row = session.get(Attachment, canonical) if canonical else None
    if row is None or row.arrived_at is None or row.unlisted_at is not None:
        raise NotFound()
    get_owned(session, actor, Visit, row.visit_id, Visit.rep_id)
    return row


def chosen_size(size: str | None) -> str:
    chosen = size or "full"
    if chosen not in SIZES:
        raise InvalidInput.one("size", "invalid_choice", choices=", ".join(SIZES))
    return chosen


def photo_bytes(storage: Storage, attachment: Attachment, size: str) -> bytes:
    data = storage.get(photo_key(attachment.id, size))
    if data is None:  # removed from the store by hand: as if it never arrived
        raise NotFound()
    return data


# --- retention ----------------------------------------------------------------------------------------------


def sweep(session: Session, storage: Storage, retention_days: int, now: datetime) -> int:
    """Remove the photos no visit has listed for `retention_days` (their files, then their rows); returns
    how many. A file removed whose row stays (the transaction failed) is removed again next time."""
    cutoff = now - timedelta(days=retention_days)
    query = (
        select(Attachment)
        .where(col(Attachment.unlisted_at).is_not(None), col(Attachment.unlisted_at) < cutoff)
        .with_for_update(skip_locked=True)
    )
    gone = list(session.scalars(query))
    for row in gone:
        for size in SIZES:
            storage.delete(photo_key(row.id, size))
        session.delete(row)
    session.flush()
    return len(gone)
