"""Visit photo uploads end to end: one phone sends 100 photos to a real server, beside the raw floor.

    .venv/bin/python -m bench.photo_upload_bench [--runs 3] [--photos 100] [--database-url URL]

Each run starts one `fieldgoal serve` process (SQLite by default, in a fresh temporary folder; see
bench/sync_bench.py), makes a rep whose visits list the photos' ids (one sync), then uploads the photos one
after the other over one HTTP connection, as a phone's queue does (`PUT /api/v1/attachments/{id}`, each
answered 201), and reads every thumbnail back. The photos are JPEGs of about 300 KB (1600×1200, generated
with Pillow, each different).

In the same run, for comparison: the raw floor of writing the same files to the same file system, each with
fsync (what keeping them durably costs at least), and the server's image work alone in this process
(decode, turn upright, re-encode as JPEG, thumbnail: `backend.visits.photos.prepare`). Prints the median
of the runs. Not a test: it asserts nothing and is not part of `make test`.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from PIL import Image

from backend.visits.photos import prepare
from bench.sync_bench import Phone, bench_team, new_customer, new_rep, server

PER_VISIT = 9  # the most a visit lists


def make_photos(count: int, size: tuple[int, int] = (1600, 1200)) -> list[bytes]:
    """`count` different JPEGs of about 300 KB: a gradient (a scene's large areas) with noise (its detail)."""
    photos = []
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    for i in range(count):
        noise = Image.effect_noise(size, 24 + i % 4).convert("RGB")
        picture = Image.blend(base, noise, 0.2)
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85)
        photos.append(out.getvalue())
    return photos


def list_photos(phone: Phone, customer_id: str, ids: list[str]) -> None:
    """Visits that list the photos (at most 9 each), sent in one sync."""
    now = datetime.now(UTC)
    groups = [ids[i : i + PER_VISIT] for i in range(0, len(ids), PER_VISIT)]

    def make(mid: int) -> dict[str, object]:
        group = groups[len(made)]
        made.append(group)
        check_in_at = (now - timedelta(minutes=10 * len(made))).isoformat()
        fields = {"customer_id": customer_id, "check_in_at": check_in_at, "photos": group}
        return {"entity": "visit", "op": "create", "id": str(uuid.uuid4()), "fields": fields}

    made: list[list[str]] = []
    answer = phone.sync(phone.mutations(make, len(groups)))
    refused = [r for r in answer["results"] if r["status"] != "applied"]
    if refused:
        raise RuntimeError(refused)


def measure_server(database_url: str | None, photos: list[bytes]) -> dict[str, float]:
    with server(database_url) as (base, _folder), httpx.Client(base_url=base, timeout=120) as client:
        admin, team = bench_team(client)
        phone = new_rep(client, admin, team, "photographer")
        customer_id = new_customer(phone, "客户")
        ids = [str(uuid.uuid4()) for _ in photos]
        list_photos(phone, customer_id, ids)

        start = time.perf_counter()
        for photo_id, body in zip(ids, photos, strict=True):
            headers = {**phone.headers, "Content-Type": "image/jpeg"}
            response = client.put(f"/api/v1/attachments/{photo_id}", content=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(response.text)
        upload = time.perf_counter() - start

        start = time.perf_counter()
        thumb_bytes = 0
        for photo_id in ids:
            response = client.get(
                f"/api/v1/attachments/{photo_id}", params={"size": "thumb"}, headers=phone.headers
            )
            response.raise_for_status()
            thumb_bytes += len(response.content)
        thumbs = time.perf_counter() - start
    return {"upload_s": upload, "thumbs_s": thumbs, "thumb_kb": thumb_bytes / len(ids) / 1024}


def measure_raw_writes(photos: list[bytes]) -> float:
    """The same files written to the same kind of folder, each fsynced: seconds for all."""
    folder = Path(tempfile.mkdtemp(prefix="fieldgoal-bench-raw-"))
    start = time.perf_counter()
    for i, body in enumerate(photos):
        with open(folder / f"{i}.jpg", "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
    return time.perf_counter() - start


def measure_image_work(photos: list[bytes]) -> float:
    """The server's image work alone, in this process: seconds for all."""
    start = time.perf_counter()
    for body in photos:
        prepare(body, "image/jpeg")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    photos = make_photos(args.photos)
    megabytes = sum(map(len, photos)) / 1e6
    print(f"{len(photos)} photos, {megabytes:.1f} MB ({megabytes * 1000 / len(photos):.0f} KB each on average)")
    runs = []
    for run in range(args.runs):
        figures = measure_server(args.database_url, photos)
        figures["raw_s"] = measure_raw_writes(photos)
        figures["image_s"] = measure_image_work(photos)
        runs.append(figures)
        print(
            f"run {run + 1}: upload {figures['upload_s']:.2f} s, thumbnails {figures['thumbs_s']:.2f} s, "
            f"raw writes {figures['raw_s']:.2f} s, image work {figures['image_s']:.2f} s"
        )

    def median(name: str) -> float:
        return statistics.median(run[name] for run in runs)

    count = len(photos)
    rows = [
        ("upload end to end (one phone, one connection)", median("upload_s")),
        ("raw: the same files written with fsync", median("raw_s")),
        ("the server's image work alone (Pillow)", median("image_s")),
    ]
    print(f"\nmedian of {args.runs} runs:")
    print(f"{'figure':<48} {'photos/s':>9} {'MB/s':>7} {'ms/photo':>9}")
    for name, seconds in rows:
        print(f"{name:<48} {count / seconds:>9.1f} {megabytes / seconds:>7.1f} {1000 * seconds / count:>9.1f}")
    thumbs = median("thumbs_s")
    print(f"{'thumbnails read back':<48} {count / thumbs:>9.1f} {'':>7} {1000 * thumbs / count:>9.1f}")
    print(f"thumbnail size: {median('thumb_kb'):.1f} KB on average")
    print(f"upload / raw writes: {median('upload_s') / median('raw_s'):.1f}×")


if __name__ == "__main__":
    main()
