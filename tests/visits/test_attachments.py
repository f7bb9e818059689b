"""Visit photos: a visit lists the ids its phone picked, the rep uploads the bytes under them, whoever may
see the visit sees the photo, and photos no visit lists any longer go after their retention.

Every test runs on SQLite and PostgreSQL, keeps its files in its own data_dir, and checks (as the sync tests
do) that what the change log sends equals the records as they are."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.db import read_only_scope, session_scope
from backend.settings import Settings
from backend.storage import FileStorage
from backend.visits import photos
from backend.visits.models import Attachment, Visit
from backend.worker import Worker
from tests.conftest import Api
from tests.kpi.helpers import actor
from tests.sync.helpers import Phone, checked_database


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from checked_database(request.param, tmp_path)


def new_id() -> str:
    return str(uuid.uuid4())


def jpeg(size: tuple[int, int] = (640, 480), color: str = "orange", exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif or Image.Exif())
    return out.getvalue()


def upload(api: Api, photo_id: str, body: Any, content_type: str = "image/jpeg", **headers: str) -> Any:
    return api.client.put(
        f"/api/v1/attachments/{photo_id}",
        content=body,
        headers=api.headers({"Content-Type": content_type, **headers}),
    )


def stored_files(settings: Settings) -> list[str]:
    root = settings.data_dir / "attachments"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Rep:
    """A rep's phone that logs visits with photos through sync."""

    def __init__(self, sign_in: Any, clock: Any, who: str = "rep1"):
        self.phone = Phone(sign_in(f"{who}@example.com"))
        self.api = self.phone.api
        self.clock = clock
        self.customer_id = new_id()
        self.phone.queue_mutation(
            "customer", "create", self.customer_id, fields={"name": "华东五金", "lat": 31.23, "lon": 121.47}
        )

    def log_visit(self, photo_ids: list[str], *, submit: bool = False) -> dict[str, Any]:
        visit_id = new_id()
        check_in_at = (self.clock.now - timedelta(hours=1)).isoformat()
        fields = {"customer_id": self.customer_id, "check_in_at": check_in_at, "photos": photo_ids}
        mutation = self.phone.queue_mutation("visit", "create", visit_id, fields=fields)
        if submit:
            self.phone.queue_mutation("visit", "action", visit_id, name="submit", args={})
        self.phone.sync()
        return self.phone.result(mutation["mid"]) | {"visit_id": visit_id}

    def set_photos(self, visit_id: str, photo_ids: list[str]) -> dict[str, Any]:
        self.phone.sync()  # arrivals moved the visit's version: edit the latest
        base = self.phone.versions[("visit", visit_id)]
        mutation = self.phone.queue_mutation(
            "visit", "update", visit_id, base_version=base, fields={"photos": photo_ids}
        )
        self.phone.sync()
        return self.phone.result(mutation["mid"])

    def visit(self, visit_id: str) -> dict[str, Any]:
        self.phone.sync()
        return self.phone.of("visit")[visit_id]


def attachment(engine: Engine, photo_id: str) -> Attachment | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(Attachment, photo_id)


def test_the_first_upload_is_201_the_same_bytes_200_and_other_bytes_409(org, sign_in, clock, settings):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    assert rep.log_visit([photo_id])["status"] == "applied"
    body = jpeg()

    first = upload(rep.api, photo_id, body)
    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == photos.hashlib.sha256(body).hexdigest()
    assert (first.json()["width"], first.json()["height"], first.json()["size_bytes"]) == (640, 480, len(body))
    again = upload(rep.api, photo_id, body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    other = upload(rep.api, photo_id, jpeg(color="blue"))
    assert other.status_code == 409
    assert other.json()["code"] == "photo_differs"
    # However often it was sent: one photo and its thumbnail, nothing half written beside them.
    key = f"photos/{photo_id[:2]}/{photo_id}"
    assert stored_files(settings) == [f"{key}.jpg", f"{key}.thumb.jpg"]
    shown = rep.api.get(f"/api/v1/attachments/{photo_id}")
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in shown.headers  # a JPEG gains nothing from gzip
    assert Image.open(io.BytesIO(shown.content)).getpixel((10, 10)) == pytest.approx((255, 165, 0), abs=8)
    unchanged = rep.api.get(f"/api/v1/attachments/{photo_id}", headers={"If-None-Match": shown.headers["etag"]})
    assert unchanged.status_code == 304


def test_a_photo_is_404_until_a_visit_lists_it_and_to_anyone_but_its_rep(org, sign_in, clock, settings):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    assert upload(rep.api, photo_id, jpeg()).status_code == 404  # nothing lists it yet
    rep.log_visit([photo_id])
    other_rep = sign_in("rep2@example.com")
    assert upload(other_rep, photo_id, jpeg()).status_code == 404
    assert upload(sign_in("lead1@example.com"), photo_id, jpeg()).status_code == 404  # only the rep uploads
    assert upload(rep.api, "not-an-id", jpeg()).status_code == 404
    assert stored_files(settings) == []
    assert upload(rep.api, photo_id, jpeg()).status_code == 201


def test_the_rep_their_lead_and_managers_see_a_photo_once_it_arrived_and_nobody_else(org, sign_in, clock):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    rep.log_visit([photo_id], submit=True)
    lead = sign_in("lead1@example.com")
    assert lead.get(f"/api/v1/attachments/{photo_id}").status_code == 404  # not arrived yet
    assert upload(rep.api, photo_id, jpeg()).status_code == 201
    for who in ("rep1", "lead1", "eastmgr", "boss", "admin"):
        seen = sign_in(f"{who}@example.com").get(f"/api/v1/attachments/{photo_id}")
        assert seen.status_code == 200, who
        assert seen.content[:2] == b"\xff\xd8", who  # a JPEG
    for who in ("rep2", "lead2", "rep4"):  # a teammate, another team's lead, another region's rep
        refused = sign_in(f"{who}@example.com").get(f"/api/v1/attachments/{photo_id}")
        assert refused.status_code == 404, who
        assert refused.headers["cache-control"] == "no-store", who
    assert lead.get(f"/api/v1/attachments/{photo_id}", params={"size": "huge"}).status_code == 422


def test_a_body_over_the_limit_is_413_and_nothing_is_kept(org, sign_in, clock, settings, engine):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    rep.log_visit([photo_id])
    twenty_mb = b"\xff\xd8" + b"\0" * (20 * 1024 * 1024)
    refused = upload(rep.api, photo_id, twenty_mb)
    assert refused.status_code == 413
    assert refused.json()["limit"] == {"name": "body_bytes", "max": settings.attachment_max_bytes}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes are counted as they come
        for _ in range(20):
            yield b"\0" * (1024 * 1024)

    assert upload(rep.api, photo_id, chunks()).status_code == 413
    assert stored_files(settings) == []
    assert attachment(engine, photo_id).arrived_at is None


def test_what_is_not_an_image_is_refused_and_nothing_is_kept(org, sign_in, clock, settings, engine):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    rep.log_visit([photo_id])
    text = "拜访记录：客户很满意".encode()
    disguised = upload(rep.api, photo_id, text, "image/jpeg")
    assert disguised.status_code == 422
    assert disguised.json()["errors"] == [
        {
            "field": "body",
            "code": "not_an_image",
            "message": "is not an image the server can read (JPEG, PNG, WebP, …)",
        }
    ]
    cut = upload(rep.api, photo_id, jpeg()[:400], "image/jpeg")  # the first bytes of a photo only
    assert cut.status_code == 422
    plain = upload(rep.api, photo_id, text, "text/plain")
    assert plain.status_code == 415
    assert plain.json()["code"] == "unsupported_media_type"
    assert stored_files(settings) == []
    assert attachment(engine, photo_id).arrived_at is None


def test_the_kept_photo_has_no_exif_and_is_upright_with_a_small_thumbnail(org, sign_in, clock, settings):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    rep.log_visit([photo_id])
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held upright, the sensor wrote it lying down
    exif[0x010F] = "Fieldgoal Phone"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 49.0), 3: "E", 4: (121.0, 28.0, 25.0)}  # GPS
    sent = jpeg((640, 480), exif=exif)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(0x8825)  # the GPS position is in what was sent
    assert upload(rep.api, photo_id, sent).status_code == 201

    full = rep.api.get(f"/api/v1/attachments/{photo_id}")
    kept = Image.open(io.BytesIO(full.content))
    assert kept.format == "JPEG"
    assert kept.size == (480, 640)  # turned upright
    assert not kept.getexif()
    assert "exif" not in kept.info
    thumb = Image.open(
        io.BytesIO(rep.api.get(f"/api/v1/attachments/{photo_id}", params={"size": "thumb"}).content)
    )
    assert thumb.size == (240, 320)
    assert not thumb.getexif()
    for path in (settings.data_dir / "attachments").rglob("*.jpg"):  # on disk too
        assert b"Fieldgoal Phone" not in path.read_bytes()


def test_an_arrival_moves_the_visit_and_a_pull_brings_photos_arrived_in_the_visits_order(org, sign_in, clock):
    rep = Rep(sign_in, clock)
    first, second = new_id(), new_id()
    visit_id = rep.log_visit([first, second])["visit_id"]
    before = rep.visit(visit_id)
    assert before["photos"] == [first, second]
    assert before["photos_arrived"] is None

    clock.advance(minutes=5)
    assert upload(rep.api, second, jpeg()).status_code == 201
    after_one = rep.visit(visit_id)
    assert after_one["photos_arrived"] == [second]
    assert after_one["version"] == before["version"] + 1
    assert after_one["updated_at"] == clock.now.isoformat()
    assert upload(rep.api, first, jpeg(color="green")).status_code == 201
    assert upload(rep.api, first, jpeg(color="green")).status_code == 200  # a retry counts once
    after_both = rep.visit(visit_id)
    assert after_both["photos_arrived"] == [first, second]
    assert after_both["version"] == before["version"] + 2
    # The lead's phone pulls it too.
    lead = Phone(sign_in("lead1@example.com"))
    lead.sync()
    assert lead.of("visit")[visit_id]["photos_arrived"] == [first, second]


def test_an_id_another_visit_lists_is_refused(org, sign_in, clock):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    kept = rep.log_visit([photo_id])
    assert kept["status"] == "applied"
    second = rep.log_visit([photo_id])
    assert second["status"] == "rejected"
    assert second["errors"] == [
        {
            "field": "photos",
            "code": "photo_of_other_visit",
            "message": f"lists photo {photo_id}, which belongs to another visit",
        }
    ]
    other = rep.log_visit([])
    assert rep.set_photos(other["visit_id"], [photo_id])["status"] == "rejected"
    assert rep.visit(other["visit_id"])["photos"] is None
    # Another rep's visit, in Chinese.
    rep2 = Rep(sign_in, clock, "rep2")
    refused = rep2.log_visit([photo_id])
    assert refused["errors"][0]["code"] == "photo_of_other_visit"
    assert refused["errors"][0]["message"] == f"包含属于其他拜访的照片 {photo_id}"
    # Two visits of one sync batch naming one new id: the first keeps it.
    shared = new_id()
    check_in_at = (clock.now - timedelta(hours=2)).isoformat()
    ids = [new_id(), new_id()]
    for visit_id in ids:
        fields = {"customer_id": rep.customer_id, "check_in_at": check_in_at, "photos": [shared]}
        rep.phone.queue_mutation("visit", "create", visit_id, fields=fields)
    rep.phone.sync()
    assert [r["status"] for r in rep.phone.receipts[-2:]] == ["applied", "rejected"]
    assert rep.visit(ids[0])["photos"] == [shared]


def test_dropped_photos_are_swept_after_their_retention_and_listed_ones_kept(
    org, sign_in, clock, settings, engine
):
    rep = Rep(sign_in, clock)
    kept_id, dropped_id, deleted_id = new_id(), new_id(), new_id()
    visit_id = rep.log_visit([kept_id, dropped_id])["visit_id"]
    draft_id = rep.log_visit([deleted_id])["visit_id"]
    for photo_id in (kept_id, dropped_id, deleted_id):
        assert upload(rep.api, photo_id, jpeg()).status_code == 201
    # Dropped, listed again (the same photo: nothing to upload), dropped for good.
    assert rep.set_photos(visit_id, [kept_id])["status"] == "applied"
    assert attachment(engine, dropped_id).unlisted_at == clock.now
    assert rep.visit(visit_id)["photos_arrived"] == [kept_id]
    assert rep.set_photos(visit_id, [dropped_id, kept_id])["status"] == "applied"
    assert attachment(engine, dropped_id).unlisted_at is None
    assert rep.visit(visit_id)["photos_arrived"] == [dropped_id, kept_id]
    clock.advance(hours=1)
    assert rep.set_photos(visit_id, [kept_id])["status"] == "applied"
    assert rep.api.get(f"/api/v1/attachments/{dropped_id}").status_code == 404  # no visit shows it now
    # A deleted draft lists nothing.
    base = rep.phone.versions[("visit", draft_id)]
    rep.phone.queue_mutation("visit", "delete", draft_id, base_version=base)
    rep.phone.sync()
    assert attachment(engine, deleted_id).unlisted_at == clock.now

    storage = FileStorage(settings.data_dir / "attachments")
    clock.advance(days=settings.attachment_retention_days - 1)
    with Session(engine) as session:
        assert photos.sweep(session, storage, settings.attachment_retention_days, clock.now) == 0
        session.commit()
    assert len(stored_files(settings)) == 6
    clock.advance(days=1, seconds=1)
    worker = Worker(settings, engine=engine, clock=clock)  # the worker's housekeeping runs the sweep
    try:
        worker.housekeeping()
    finally:
        worker.close()
    assert attachment(engine, dropped_id) is None
    assert attachment(engine, deleted_id) is None
    key = f"photos/{kept_id[:2]}/{kept_id}"
    assert [f for f in stored_files(settings) if f.startswith("photos/")] == [f"{key}.jpg", f"{key}.thumb.jpg"]
    # (a month later the phone signs in again)
    assert sign_in("rep1@example.com").get(f"/api/v1/attachments/{kept_id}").status_code == 200


def test_photos_added_to_an_approved_visit_follow_the_accepted_amendment(org, sign_in, clock, engine):
    rep = Rep(sign_in, clock)
    first, added = new_id(), new_id()
    visit_id = rep.log_visit([first], submit=True)["visit_id"]
    lead = Phone(sign_in("lead1@example.com"))
    lead.sync()
    approve = lead.queue_mutation(
        "visit", "action", visit_id, name="approve", args={}, base_version=lead.versions[("visit", visit_id)]
    )
    lead.sync()
    assert lead.result(approve["mid"])["status"] == "applied"

    proposal = rep.set_photos(visit_id, [first, added])
    assert proposal["status"] == "conflict"
    assert upload(rep.api, added, jpeg()).status_code == 404  # not listed while the lead decides
    amendment_id = proposal["amendment_id"]
    lead.queue_mutation("amendment", "action", amendment_id, name="accept", args={})
    lead.sync()
    assert rep.visit(visit_id)["photos"] == [first, added]
    assert upload(rep.api, added, jpeg()).status_code == 201
    assert rep.visit(visit_id)["photos_arrived"] == [added]
    with Session(engine) as session:
        assert session.get_one(Visit, visit_id).status == "approved"

    # A photo another visit listed while the lead was deciding: the acceptance is refused, nothing moves.
    contested = new_id()
    proposal = rep.set_photos(visit_id, [first, added, contested])
    assert rep.log_visit([contested])["status"] == "applied"
    accept = lead.queue_mutation("amendment", "action", proposal["amendment_id"], name="accept", args={})
    lead.sync()
    assert lead.result(accept["mid"])["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in lead.result(accept["mid"])["errors"]] == [
        ("fields.photos", "photo_of_other_visit")
    ]
    assert rep.visit(visit_id)["photos"] == [first, added]


def test_uploads_at_the_same_moment_count_each_photo_once(org, sign_in, clock, settings, engine):
    """Two phones' retries of one photo and another photo of the same visit, all at once: each photo
    arrives once, and the visit counts both (its version moved twice)."""
    rep = Rep(sign_in, clock)
    first, second = new_id(), new_id()
    visit_id = rep.log_visit([first, second])["visit_id"]
    version = rep.visit(visit_id)["version"]
    storage = FileStorage(settings.data_dir / "attachments")
    with Session(engine) as session:
        uploader = actor(session, org.user("rep1"))
    bodies = {first: jpeg(color="red"), second: jpeg(color="blue")}
    together = threading.Barrier(4)

    def send(photo_id: str) -> bool:
        together.wait()
        with read_only_scope(engine) as reader, session_scope(engine, clock) as session:
            _, arrived = photos.receive(
                reader, session, storage, uploader, photo_id, "image/jpeg", bodies[photo_id], clock.now
            )
        return arrived

    with ThreadPoolExecutor(4) as pool:
        arrivals = list(pool.map(send, [first, first, second, second]))
    assert sorted(arrivals) == [False, False, True, True]
    pulled = rep.visit(visit_id)
    assert pulled["photos_arrived"] == [first, second]
    assert pulled["version"] == version + 2
    assert len(stored_files(settings)) == 4


def test_a_transparent_png_is_kept_as_a_jpeg_on_white(org, sign_in, clock):
    rep = Rep(sign_in, clock)
    photo_id = new_id()
    rep.log_visit([photo_id])
    out = io.BytesIO()
    Image.new("RGBA", (200, 100), (0, 0, 0, 0)).save(out, "PNG")
    sent = upload(rep.api, photo_id, out.getvalue(), "image/png")
    assert sent.status_code == 201
    assert sent.json()["content_type"] == "image/png"
    kept = Image.open(io.BytesIO(rep.api.get(f"/api/v1/attachments/{photo_id}").content))
    assert (kept.format, kept.mode, kept.size) == ("JPEG", "RGB", (200, 100))
    assert kept.getpixel((100, 50)) == pytest.approx((255, 255, 255), abs=2)
