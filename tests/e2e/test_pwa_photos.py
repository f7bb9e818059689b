"""Visit photos on the phone in Chromium at 360 px: taken offline, kept across a reload, uploaded once each
when the network returns (through a cut connection too), and seen by the lead on the approval screen; a file
that is not a photo is refused with a message and nothing is kept.

The photos are JPEGs made by Pillow here. The server keeps what it was sent re-encoded (backend/visits/
photos.py), and the SHA-256 of the bytes as received on the attachment's row: that is what is compared with
the bytes the phone held."""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.support.server import wait_until
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

# The photos store as the app keeps it (db.js): each record's state, visit, whether the full image is still
# held, and the SHA-256 of the JPEG the phone made (hex), read without creating or upgrading the database.
READ_PHOTOS = """async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('fieldgoal');
    open.onupgradeneeded = () => { open.transaction.abort(); };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    const records = await new Promise((resolve, reject) => {
      const request = db.transaction('photos').objectStore('photos').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const hex = async (blob) => blob ? [...new Uint8Array(await crypto.subtle.digest('SHA-256',
      await blob.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('') : null;
    const out = {};
    for (const r of records) {
      out[r.id] = { state: r.state, visit_id: r.visit_id, sha256: await hex(r.blob), thumb: Boolean(r.thumb) };
    }
    return out;
  } finally {
    db.close();
  }
}"""

# Makes every photo the phone holds `days` older (its `at`), as if taken then.
AGE_PHOTOS = """async (days) => {
  const db = await new Promise((resolve) => { const o = indexedDB.open('fieldgoal'); o.onsuccess = () => resolve(o.result); });
  const store = db.transaction('photos', 'readwrite').objectStore('photos');
  const all = await new Promise((resolve) => { const r = store.getAll(); r.onsuccess = () => resolve(r.result); });
  await Promise.all(all.map((p) => new Promise((resolve) => { store.put({ ...p, at: p.at - days * 864e5 }).onsuccess = resolve; })));
  db.close();
}"""

LOADED = "(img) => img.complete && img.naturalWidth > 0"


def photo_jpeg(width: int = 1800, height: int = 1200, seed: int = 1) -> bytes:
    """A photo-like JPEG: a gradient with noise (so it compresses like a photo, not like a flat colour)."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.frombytes("RGB", (width // 4, height // 4), rng.randbytes(width // 4 * (height // 4) * 3))
    image = Image.blend(image, noise.resize((width, height)), 0.4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def choose(phone: Phone, *files: tuple[str, bytes]) -> None:
    phone.page.set_input_files(
        hook("visit-photos"), files=[{"name": n, "mimeType": "image/jpeg", "buffer": b} for n, b in files]
    )


def photos_on_phone(phone: Phone) -> dict[str, Any]:
    return dict(phone.page.evaluate(READ_PHOTOS))


def files_kept(live: Live, photo_id: str) -> list[Path]:
    """The files the server keeps for a photo (its storage: data_dir/attachments), temporary ones included."""
    root = live.server.data_dir / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file() and (photo_id in p.name or p.name.startswith(".")))


def arrived(live: Live, visit_id: str) -> dict[str, str]:
    rows = live.rows(
        "SELECT id, sha256 FROM attachment WHERE visit_id = :v AND arrived_at IS NOT NULL", v=visit_id
    )
    return {str(i): str(h) for i, h in rows}


def pumped_until(phone: Phone, condition: Any, timeout: float, what: str) -> Any:
    """`wait_until`, but waiting in the browser: Playwright runs route handlers only while it is called."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        phone.page.wait_for_timeout(100)
    return value


def shot(phone: Phone, name: str, at: Any = None) -> None:
    """A 360 px screenshot into test-artifacts/screens/, scrolled to `at` when given, for people to look at."""
    phone.page.evaluate("() => { document.getElementById('toast').hidden = true; }")
    phone.page.evaluate("() => document.fonts.ready")
    if at is not None:
        at.evaluate("(el) => el.scrollIntoView({ block: 'center' })")
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.page.screenshot(path=str(SCREENS / f"{name}.png"))


def test_photos_taken_offline_reach_the_server_once_and_the_lead_sees_them(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep2", "照片五金店")
    rep = Phone(
        new_context(geolocation={"latitude": 30.27415, "longitude": 120.15515}, permissions=["geolocation"])
    )
    rep.open().sign_in(live.org.email("rep2"))
    rep.wait_offline_ready()
    rep.offline()

    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    rep.at("visit-checkin").click()
    expect(rep.at("visit-location")).to_contain_text("±")
    choose(rep, ("shelf.jpg", photo_jpeg(seed=1)), ("storefront.jpg", photo_jpeg(1200, 1600, seed=2)))
    expect(rep.at("visit-photo")).to_have_count(2)
    for img in rep.at("visit-photo").locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "a thumbnail")
    rep.at("visit-notes").fill("货架照片两张")
    shot(rep, "photos-form-zh", rep.at("visit-photos"))
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    # Unsent work: the visit (its create and submit) and each photo not yet uploaded.
    rep.wait_pending(3)

    held = photos_on_phone(rep)
    assert len(held) == 2
    visit_id = {p["visit_id"] for p in held.values()}.pop()
    assert all(p["state"] == "waiting" and p["sha256"] and p["thumb"] for p in held.values())
    queued = [m for m in rep.storage()["outbox"] if m["op"] == "create" and m["entity"] == "visit"]
    assert sorted(queued[0]["fields"]["photos"]) == sorted(held)

    # Offline, after a reload: the photos are still on the phone, on the visit's own screen.
    rep.reload()
    expect(rep.at("home")).to_be_visible()
    rep.at("visit-item", id=visit_id).click()
    thumbs = rep.at("photo-thumb")
    expect(thumbs).to_have_count(2)
    for img in thumbs.locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "a thumbnail from IndexedDB")
    shot(rep, "photos-visit-offline-zh", rep.at("photo-gallery"))
    thumbs.first.click()
    full = rep.at("photo-full").locator("img")
    wait_until(lambda: full.evaluate(LOADED), 20, "the full photo")
    # Shrunk on the phone: the long side is 1600 px at most.
    assert full.evaluate("(img) => Math.max(img.naturalWidth, img.naturalHeight)") == 1600
    shot(rep, "photos-full-zh")
    rep.at("photo-full").click()
    assert photos_on_phone(rep) == held

    rep.online()
    rep.sync_now()
    wait_until(lambda: len(arrived(live, visit_id)) == 2, 60, "both photos on the server")
    rep.wait_pending(0, timeout=30)
    # Each arrived exactly once, as the bytes the phone held; one file each (and its thumbnail), no leftovers.
    assert arrived(live, visit_id) == {i: p["sha256"] for i, p in held.items()}
    for photo_id in held:
        assert [p.name for p in files_kept(live, photo_id)] == [f"{photo_id}.jpg", f"{photo_id}.thumb.jpg"]

    # The sync after the uploads brings the visit's photos_arrived: the rep's own visit stops saying "uploading".
    def pulled() -> bool:
        held_visits = [v for v in rep.storage()["visits"] if v["id"] == visit_id]
        return bool(held_visits) and len(held_visits[0].get("photos_arrived") or []) == 2

    wait_until(pulled, 30, "the visit's photos_arrived on the phone")
    rep.go("#/")
    rep.go(f"#/visit/{visit_id}")
    expect(rep.at("photo-thumb")).to_have_count(2)
    expect(rep.at("photo-uploading")).to_be_hidden()
    after = photos_on_phone(rep)
    assert {i: (p["state"], p["sha256"], p["thumb"]) for i, p in after.items()} == {
        i: ("sent", None, True) for i in held
    }

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item.locator(hook("photo-thumb"))).to_have_count(2)
    for img in item.locator(hook("photo-thumb")).locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "the lead's thumbnail")
    expect(item.locator(hook("photo-uploading"))).to_be_hidden()
    item.locator(hook("photo-thumb")).last.click()
    full = lead.at("photo-full").locator("img")
    wait_until(lambda: full.evaluate(LOADED), 20, "the full photo from the server")
    assert full.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [1200, 1600]
    shot(lead, "photos-approve-full-en")
    lead.at("photo-full").click()
    shot(lead, "photos-approve-en", item)
    # The desk (a lead at a laptop) shows them too.
    lead.go("#/desk")
    row = lead.at("desk-item", id=visit_id)
    expect(row.locator(hook("photo-thumb"))).to_have_count(2)
    for img in row.locator(hook("photo-thumb")).locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "the desk's thumbnail")
    lead.go("#/me")
    lead.at("lang-switch").click()
    lead.go("#/approvals")
    expect(item.locator(hook("photo-thumb"))).to_have_count(2)
    for img in item.locator(hook("photo-thumb")).locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "the lead's thumbnail")
    shot(lead, "photos-approve-zh", item)
    assert rep.errors == [] and lead.errors == []


def listed_on_server(live: Live, visit_id: str) -> list[str]:
    """The visit's `photos` as the server stores them (JSON: a list on PostgreSQL, its text on SQLite)."""
    rows = live.rows("SELECT photos FROM visit WHERE id = :v", v=visit_id)
    value = rows[0][0] if rows else None
    return [str(i) for i in (json.loads(value) if isinstance(value, str) else value or [])]


def test_a_synced_visit_takes_a_photo_offline_and_drops_one(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep2", "补拍照片便利店")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    rep.wait_offline_ready()
    puts: list[str] = []

    def count(route: Any) -> None:
        if route.request.method == "PUT":
            puts.append(route.request.url.rsplit("/", 1)[-1])
        route.continue_()

    rep.context.route("**/api/v1/attachments/*", count)
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    choose(rep, ("aisle.jpg", photo_jpeg(seed=11)), ("counter.jpg", photo_jpeg(seed=12)))
    expect(rep.at("visit-photo")).to_have_count(2)
    rep.at("visit-notes").fill("先拍两张，之后补一张")
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    first = photos_on_phone(rep)
    visit_id = next(iter(first.values()))["visit_id"]
    pumped_until(rep, lambda: len(arrived(live, visit_id)) == 2, 60, "the first two photos on the server")
    rep.wait_pending(0, timeout=30)

    # Submitted and synced; offline, the rep adds a third photo on the visit's own screen.
    rep.offline()
    rep.go(f"#/visit/{visit_id}")
    expect(rep.at("photo-thumb")).to_have_count(2)
    choose(rep, ("shelf-later.jpg", photo_jpeg(1200, 1600, seed=13)))
    expect(rep.at("visit-photo")).to_have_count(1)
    wait_until(lambda: rep.at("visit-photo").locator("img").evaluate(LOADED), 20, "the new thumbnail")
    shot(rep, "photos-edit-added-zh", rep.at("visit-photos"))
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    held = photos_on_phone(rep)
    (added,) = set(held) - set(first)
    assert held[added]["state"] == "waiting" and held[added]["visit_id"] == visit_id
    edits = [m for m in rep.storage()["outbox"] if m["entity"] == "visit" and m["op"] == "update"]
    assert [sorted(m["fields"]["photos"]) for m in edits] == [sorted([*first, added])]
    rep.wait_pending(2)  # the visit's edit and the photo not yet uploaded

    # Online: the edit goes first, then the photo, once; the server's visit lists three, all arrived.
    rep.online()
    rep.sync_now()
    pumped_until(rep, lambda: len(arrived(live, visit_id)) == 3, 60, "the third photo on the server")
    rep.wait_pending(0, timeout=30)
    assert sorted(listed_on_server(live, visit_id)) == sorted([*first, added])
    assert arrived(live, visit_id)[added] == held[added]["sha256"]
    assert [p.name for p in files_kept(live, added)] == [f"{added}.jpg", f"{added}.thumb.jpg"]
    rep.page.wait_for_timeout(500)
    assert puts.count(added) == 1

    # Dropping one: the thumbnail goes at once, the server's visit no longer lists it after the edit.
    rep.go("#/")
    rep.go(f"#/visit/{visit_id}")
    expect(rep.at("photo-thumb")).to_have_count(3)
    expect(rep.at("photo-uploading")).to_be_hidden()
    gone = next(iter(first))
    rep.at("photo-thumb", id=gone).locator(hook("photo-remove")).click()
    expect(rep.at("photo-thumb")).to_have_count(2)
    shot(rep, "photos-edit-removed-zh", rep.at("visit-photos"))
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    pumped_until(rep, lambda: len(listed_on_server(live, visit_id)) == 2, 30, "the edit on the server")
    assert sorted(listed_on_server(live, visit_id)) == sorted(set(first) - {gone} | {added})
    unlisted = live.rows("SELECT id FROM attachment WHERE unlisted_at IS NOT NULL AND visit_id = :v", v=visit_id)
    assert [str(i) for (i,) in unlisted] == [gone]
    assert gone not in photos_on_phone(rep)

    rep.go("#/me")
    rep.at("lang-switch").click()
    rep.go(f"#/visit/{visit_id}")
    expect(rep.at("photo-thumb")).to_have_count(2)
    for img in rep.at("photo-thumb").locator("img").all():
        wait_until(lambda img=img: img.evaluate(LOADED), 20, "a thumbnail")
    shot(rep, "photos-edit-en", rep.at("visit-photos"))
    assert rep.errors == []


def test_a_photo_added_to_a_visit_approved_meanwhile_goes_when_the_lead_refuses_it(
    live: Live, new_context: Any
) -> None:
    customer = live.add_customer("rep2", "先批后补的超市")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    rep.wait_offline_ready()
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    choose(rep, ("before.jpg", photo_jpeg(seed=21)))
    expect(rep.at("visit-photo")).to_have_count(1)
    rep.at("visit-notes").fill("Approved before the extra photo")
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    (first,) = photos_on_phone(rep)
    visit_id = photos_on_phone(rep)[first]["visit_id"]
    pumped_until(rep, lambda: len(arrived(live, visit_id)) == 1, 60, "the first photo on the server")
    rep.wait_pending(0, timeout=30)

    rep.offline()
    rep.go(f"#/visit/{visit_id}")
    choose(rep, ("after.jpg", photo_jpeg(seed=22)))
    expect(rep.at("visit-photo")).to_have_count(1)
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    (added,) = set(photos_on_phone(rep)) - {first}
    rep.wait_pending(2)

    # The lead approves before the edit arrives: the edit becomes an amendment, the photo waits for it.
    ((version,),) = live.rows("SELECT version FROM visit WHERE id = :id", id=visit_id)
    lead = live.api("lead1")
    reviewed = lead.post(
        "/api/v1/visits/review", json={"decisions": [{"id": visit_id, "base_version": version, "approve": True}]}
    )
    assert reviewed.status_code == 200, reviewed.text
    rep.online()
    rep.sync_now()
    amendments = pumped_until(
        rep, lambda: live.rows("SELECT id FROM amendment WHERE visit_id = :v", v=visit_id), 30, "the amendment"
    )
    rep.wait_pending(1, timeout=30)  # the photo, not uploadable until the lead accepts
    assert photos_on_phone(rep)[added]["state"] == "waiting"
    assert listed_on_server(live, visit_id) == [first]

    # Refused: no visit will list the photo, so the phone lets it go and nothing is unsent any longer.
    decision = SyncClient(lead)
    decision.queue_mutation("amendment", "action", str(amendments[0][0]), name="refuse", base_version=1, args={})
    assert [r["status"] for body in decision.sync() for r in body["results"]] == ["applied"]
    rep.sync_now()
    pumped_until(rep, lambda: added not in photos_on_phone(rep), 30, "the refused photo dropped")
    rep.wait_pending(0, timeout=30)
    assert listed_on_server(live, visit_id) == [first]
    assert list(arrived(live, visit_id)) == [first]
    assert rep.errors == []


def test_an_upload_cut_midway_completes_without_a_duplicate(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "Cut Line Hardware")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    puts: list[str] = []
    line = {"up": False, "cut_answers": 1}

    def upload(route: Any) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        puts.append(route.request.url)
        if not line["up"]:
            route.abort("connectionreset")  # cut before the server saw it
        elif line["cut_answers"]:
            line["cut_answers"] -= 1
            route.fetch()  # the server takes it; the answer is lost on the way back
            route.abort("connectionreset")
        else:
            route.continue_()

    rep.context.route("**/api/v1/attachments/*", upload)
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    choose(rep, ("one.jpg", photo_jpeg(seed=3)))
    expect(rep.at("visit-photo")).to_have_count(1)
    rep.at("visit-notes").fill("Photo through a bad line")
    shot(rep, "photos-form-en", rep.at("visit-photos"))
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    pumped_until(rep, lambda: len(puts) >= 1, 30, "the first upload")
    photo_id, held = next(iter(photos_on_phone(rep).items()))
    visit_id = held["visit_id"]
    assert held["state"] == "waiting"

    # The visit reached the server, its photo not yet: the lead is told it is on its way.
    live.execute('UPDATE "user" SET locale = :l WHERE id = :id', l="en", id=live.org.user("lead1"))
    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item.locator(hook("photo-uploading"))).to_have_text("Photos uploading (1)")
    shot(lead, "photos-uploading-en", item)

    # The rep has the visit open meanwhile: it says its photo is uploading.
    rep.go(f"#/visit/{visit_id}")
    expect(rep.at("photo-thumb")).to_have_count(1)
    expect(rep.at("photo-uploading")).to_be_visible()

    # The line comes back: the next try (a sync starts the uploader at once) reaches the server but its answer
    # is cut, and the one after, from the uploader's backoff timer, is answered (the same bytes again: 200).
    line["up"] = True
    tries = len(puts)
    rep.sync_now()
    pumped_until(rep, lambda: len(puts) > tries, 30, "an upload once the line is back")
    pumped_until(rep, lambda: arrived(live, visit_id), 30, "the photo on the server")
    pumped_until(
        rep, lambda: photos_on_phone(rep)[photo_id]["state"] == "sent", 120, "the phone to know it arrived"
    )
    # The open screen follows without being opened again: the sync after the upload brings photos_arrived.
    expect(rep.at("photo-uploading")).to_be_hidden(timeout=30_000)
    expect(rep.at("visit-form")).to_be_visible()
    assert len(puts) >= 3
    assert arrived(live, visit_id) == {photo_id: held["sha256"]}
    assert [p.name for p in files_kept(live, photo_id)] == [f"{photo_id}.jpg", f"{photo_id}.thumb.jpg"]
    rep.wait_pending(0, timeout=30)

    lead.sync_now()
    expect(item.locator(hook("photo-uploading"))).to_be_hidden()
    img = item.locator(hook("photo-thumb")).locator("img")
    wait_until(lambda: img.evaluate(LOADED), 20, "the lead's thumbnail")

    # A month on, the phone lets the thumbnail go (the server has the photo); the visit still shows it.
    rep.page.evaluate(AGE_PHOTOS, 31)
    rep.sync_now()
    pumped_until(rep, lambda: photos_on_phone(rep) == {}, 30, "the old thumbnail dropped")
    rep.go(f"#/visit/{visit_id}")
    wait_until(lambda: rep.at("photo-thumb").locator("img").evaluate(LOADED), 20, "the server's thumbnail")
    assert rep.errors == [] and lead.errors == []


def test_a_photo_the_server_refuses_is_marked_and_not_sent_again(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "Oversize Traders")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    puts: list[str] = []

    def too_large(route: Any) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        puts.append(route.request.url)
        route.fulfill(status=413, content_type="application/problem+json", body='{"title": "Too large"}')

    rep.context.route("**/api/v1/attachments/*", too_large)
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    choose(rep, ("huge.jpg", photo_jpeg(seed=5)))
    expect(rep.at("visit-photo")).to_have_count(1)
    rep.at("visit-notes").fill("A photo the server will not take")
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    pumped_until(rep, lambda: [p["state"] for p in photos_on_phone(rep).values()] == ["failed"], 30, "the refusal")
    visit_id = next(iter(photos_on_phone(rep).values()))["visit_id"]
    # Not unsent work any more (it will never be sent), and not sent again by the next sync.
    rep.wait_pending(0)
    rep.sync_now()
    rep.wait_synced()
    rep.page.wait_for_timeout(500)
    assert len(puts) == 1
    rep.at("visit-item", id=visit_id).click()
    expect(rep.at("photo-failed")).to_have_text("A photo could not be uploaded (too large or not a photo)")
    expect(rep.at("photo-thumb")).to_have_class("photo failed")
    expect(rep.at("photo-uploading")).to_be_hidden()
    shot(rep, "photos-refused-by-server-en", rep.at("photo-gallery"))
    assert rep.errors == []


def test_the_photo_of_a_draft_deleted_before_it_was_sent_is_dropped(live: Live, new_context: Any) -> None:
    customer = live.add_customer("rep1", "Second Thoughts Ltd.")
    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    line = {"up": False}

    def upload(route: Any) -> None:
        if route.request.method == "PUT" and not line["up"]:
            route.abort("connectionreset")
        else:
            route.continue_()

    rep.context.route("**/api/v1/attachments/*", upload)
    rep.at("visit-new").click()
    rep.at("visit-customer").select_option(customer)
    choose(rep, ("draft.jpg", photo_jpeg(seed=6)))
    expect(rep.at("visit-photo")).to_have_count(1)
    rep.at("visit-notes").fill("A draft with a photo, deleted")
    rep.at("visit-submit").uncheck()
    rep.at("visit-save").click()
    expect(rep.at("home")).to_be_visible()
    visit_id = next(iter(photos_on_phone(rep).values()))["visit_id"]
    pumped_until(rep, lambda: live.rows("SELECT id FROM visit WHERE id = :id", id=visit_id), 30, "the draft")
    rep.wait_pending(1)  # the photo alone

    rep.go(f"#/visit/{visit_id}")
    rep.at("visit-delete").click()
    expect(rep.at("home")).to_be_visible()
    deleted = "SELECT id FROM visit WHERE id = :id AND deleted_at IS NOT NULL"
    pumped_until(rep, lambda: live.rows(deleted, id=visit_id), 30, "the draft deleted")
    line["up"] = True
    rep.sync_now()
    pumped_until(rep, lambda: photos_on_phone(rep) == {}, 30, "the photo dropped")
    rep.wait_pending(0)
    assert arrived(live, visit_id) == {}
    assert rep.errors == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_text_file_named_jpg_is_refused_and_nothing_is_kept(live: Live, context: Any, locale: str) -> None:
    live.add_customer("rep3", f"Text File Traders {locale}")
    live.execute('UPDATE "user" SET locale = :l WHERE id = :id', l=locale, id=live.org.user("rep3"))
    rep = Phone(context).open().sign_in(live.org.email("rep3"))
    rep.at("visit-new").click()
    choose(rep, ("receipt.jpg", b"this is a shopping list, not a photo\n"))
    message = {
        "zh-CN": "“receipt.jpg”不是可以读取的照片，未添加",
        "en": '"receipt.jpg" is not a photo that can be read; not added',
    }
    expect(rep.at("photo-error")).to_have_text(message[locale])
    expect(rep.at("visit-photo")).to_have_count(0)
    assert photos_on_phone(rep) == {}
    shot(rep, f"photos-refused-{locale}", rep.at("photo-error"))
    # A real photo after it is taken as usual.
    choose(rep, ("real.jpg", photo_jpeg(600, 400, seed=4)))
    expect(rep.at("visit-photo")).to_have_count(1)
    expect(rep.at("photo-error")).to_have_text("")
    assert len(photos_on_phone(rep)) == 1
    assert rep.errors == []


# A phone still on the database before photos (version 2: the replica's stores with their `ages_at` index,
# the outbox, rejected receipts, meta), holding what the app kept in meta and one visit queued offline.
MAKE_VERSION_2 = """async ({ meta, mutation }) => {
  await new Promise((resolve, reject) => {
    const drop = indexedDB.deleteDatabase('fieldgoal');
    drop.onsuccess = resolve;
    drop.onerror = () => reject(drop.error);
  });
  const entities = ['customer', 'visit', 'opportunity', 'goal', 'progress', 'notification', 'amendment',
    'conflict', 'user', 'unit', 'badge', 'review', 'plan'];
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('fieldgoal', 2);
    open.onupgradeneeded = () => {
      const db = open.result;
      for (const name of entities) db.createObjectStore(name, { keyPath: 'id' }).createIndex('ages_at', 'ages_at');
      db.createObjectStore('outbox', { autoIncrement: true }).createIndex('mid', 'mid', { unique: true });
      db.createObjectStore('rejected', { autoIncrement: true });
      db.createObjectStore('meta');
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const tx = db.transaction(['outbox', 'meta'], 'readwrite');
  for (const [key, value] of meta) if (key !== 'cursor') tx.objectStore('meta').put(value, key);
  tx.objectStore('meta').put(mutation.mid + 1, 'next_mid');
  tx.objectStore('outbox').add(mutation);
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  db.close();
}"""

READ_META = """async () => {
  const db = await new Promise((resolve) => { const open = indexedDB.open('fieldgoal'); open.onsuccess = () => resolve(open.result); });
  const store = db.transaction('meta').objectStore('meta');
  const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((r) => new Promise((resolve) => { r.onsuccess = () => resolve(r.result); })));
  db.close();
  return keys.map((key, i) => [key, values[i]]);
}"""


def test_a_phone_on_the_database_before_photos_keeps_its_queue(live: Live, context: Any) -> None:
    customer = live.add_customer("rep1", "Upgrade Hardware")
    rep = Phone(context).open().sign_in(live.org.email("rep1"))
    rep.wait_offline_ready()
    meta = rep.page.evaluate(READ_META)
    next_mid = dict(meta).get("next_mid") or 1
    visit_id = str(uuid.uuid4())
    mutation = {
        "entity": "visit",
        "op": "create",
        "id": visit_id,
        "fields": {
            "customer_id": customer,
            "check_in_at": today_in().isoformat(timespec="seconds"),
            "notes": "v2",
        },
        "mid": next_mid,
        "queued_at": today_in().isoformat(),
    }
    rep.page.goto("/healthz")  # the app closed: nothing holds the database open
    rep.page.evaluate(MAKE_VERSION_2, {"meta": meta, "mutation": mutation})

    rep.page.goto("/")
    expect(rep.at("visit-item", id=visit_id)).to_be_visible()
    wait_until(lambda: live.rows("SELECT id FROM visit WHERE id = :id", id=visit_id), 30, "the queued visit")
    rep.wait_pending(0)
    assert photos_on_phone(rep) == {}
    assert (
        rep.page.evaluate(
            "() => new Promise((resolve) => { const o = indexedDB.open('fieldgoal'); o.onsuccess = () => { resolve(o.result.version); o.result.close(); }; })"
        )
        == 3
    )
    assert rep.errors == []
