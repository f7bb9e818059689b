"""Other sync servers, run by bench/sync_bench.py on the same records as ours, and the raw PostgreSQL floor.

- pouchdb-server (npm, pinned in bench/peers/package.json and package-lock.json; `npm ci` there when
  node_modules is missing), on its LevelDB backend in a fresh temporary folder;
- Kinto (PyPI, pinned below, in a virtual environment of its own under ~/.cache/fieldgoal-bench, created
  when missing), on PostgreSQL (database `kinto_bench`, recreated for every fresh server), served by its own
  `kinto start` (waitress), HTTP basic auth;
- plain psycopg `executemany` of the same visit rows into a table shaped like ours (`visit`'s columns and
  indexes, copied with `LIKE visit INCLUDING ALL`, so without its foreign keys).

Every server is driven through the same workloads (`run_workloads`): the visits are the same records for
all, made once per invocation from a fixed seed (`make_records`); their check-in times are laid over the 27
days before yesterday, so a server that judges times against its clock accepts them.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import httpx

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
KINTO_VERSION = "26.5.0"
CACHE = Path.home() / ".cache" / "fieldgoal-bench"
PEERS = Path(__file__).resolve().parent / "peers"
PAGE = 1000
EDITS = 100
CHANGES = 100
CHANGE_PULLS = 20
SEED = 20261205
# The phone asks for no compression here, on every server: the comparison is of the servers' work.
HEADERS = {"Accept-Encoding": "identity"}

OUTCOMES = ("follow_up", "interested", "not_interested", "ordered")
WORDS = (
    "客户", "门店", "陈列", "补货", "价格", "促销", "库存", "订单", "下周回访", "竞品", "账期", "店长",
    "新品", "样品", "投诉", "满意", "货架", "排面", "堆头", "试吃", "经销商", "送货", "退货", "合同",
    "follow up", "display", "shelf", "price", "promo", "stock", "order", "manager", "new SKU",
    "samples", "delivery", "payment terms", "end cap", "tasting", "contract", "returns", "next week",
)  # fmt: skip
SEPARATORS = (" ", "，", "。", "; ", ", ", "", "、")


@dataclass(frozen=True)
class Records:
    """The workloads' records: customers (ours needs them to exist), visits, and the edits of workloads 3 and 5."""

    customers: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    # (visit id, new notes): the offline edits of workload 3, then the changes pulled in workload 5.
    edits: list[tuple[str, str]]
    changes: list[tuple[str, str]]


def _note(rng: random.Random) -> str:
    length = rng.randint(40, 120)
    text = ""
    while len(text) < length:
        text += rng.choice(WORDS) + rng.choice(SEPARATORS)
    return text[:length]


def make_records(visits: int, seed: int = SEED) -> Records:
    """`visits` visits naming 0.209 as many customers (10,000 visits, 2,090 customers), each visit at its own
    time, with notes of 40 to 120 characters; the same for every server of one invocation."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    customers: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "name": f"{rng.choice(WORDS[:12])}{rng.choice(WORDS[12:24])} {n}",
            "lat": round(31.23 + rng.uniform(-0.05, 0.05), 6),
            "lon": round(121.47 + rng.uniform(-0.05, 0.05), 6),
        }
        for n in range(max(1, round(visits * 0.209)))
    ]
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=28)
    china = timezone(timedelta(hours=8))
    seconds = sorted(rng.sample(range(27 * 86_400), visits))
    out: list[dict[str, Any]] = []
    for s in seconds:
        customer = rng.choice(customers)
        out.append(
            {
                "id": new_id(),
                "customer_id": customer["id"],
                "check_in_at": (start + timedelta(seconds=s)).astimezone(china).isoformat(timespec="seconds"),
                "lat": round(customer["lat"] + rng.uniform(-0.0005, 0.0005), 6),
                "lon": round(customer["lon"] + rng.uniform(-0.0005, 0.0005), 6),
                "accuracy_m": rng.choice((5, 8, 10, 15, 25)),
                "outcome": rng.choice(OUTCOMES),
                "satisfaction": rng.randint(1, 5),
                "notes": _note(rng),
            }
        )
    picked = rng.sample(range(visits), min(visits, EDITS + CHANGES))
    edits = [(out[i]["id"], _note(rng)) for i in picked[:EDITS]]
    changes = [(out[i]["id"], _note(rng)) for i in picked[EDITS:]]
    return Records(customers, out, edits, changes)


class Driver(Protocol):
    """One server as the workloads see it. Every method raises when a record was not stored as sent."""

    def setup(self, records: Records) -> None: ...

    def push(self, visits: Sequence[dict[str, Any]]) -> None: ...

    def pull_all(self, page: int) -> int: ...

    def edit(self, edits: Sequence[tuple[str, str]]) -> None: ...

    def mark(self) -> str: ...

    def pull_since(self, mark: str, page: int) -> int: ...


class BadResponse(RuntimeError):
    """A server did not store a record as sent: the run is void."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text())
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def pg_durability(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{name}") as db:
        values = [db.execute(f"SHOW {setting}").fetchone() for setting in ("synchronous_commit", "fsync")]
    return f"synchronous_commit={values[0][0] if values[0] else '?'}, fsync={values[1][0] if values[1] else '?'}"


# --- pouchdb-server ------------------------------------------------------------------------------------


def pouchdb_bin() -> Path:
    binary = PEERS / "node_modules" / ".bin" / "pouchdb-server"
    if not binary.exists():
        # leveldown loads the binary its package ships; no install script needs to build anything.
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=PEERS, check=True)
    return binary


@contextmanager
def pouchdb_server() -> Iterator[httpx.Client]:
    folder = Path(tempfile.mkdtemp(prefix="pouchdb-bench-"))
    port = free_port()
    log = folder / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(pouchdb_bin()), "--port", str(port), "--dir", str(folder / "db"), "--no-stdout-logs"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/", process, log)
            with httpx.Client(base_url=base, timeout=300, headers=HEADERS) as client:
                yield client
        finally:
            stop(process)
            shutil.rmtree(folder, ignore_errors=True)


class PouchDriver:
    """CouchDB's replication protocol as pouchdb-server answers it: `_bulk_docs` up, `_changes` down."""

    def __init__(self, client: httpx.Client):
        self.client = client
        self.docs: dict[str, dict[str, Any]] = {}

    def _check(self, response: httpx.Response, ok: tuple[int, ...] = (200, 201)) -> Any:
        if response.status_code not in ok:
            raise BadResponse(f"pouchdb-server {response.status_code}: {response.text[:500]}")
        return response.json()

    def setup(self, records: Records) -> None:
        self._check(self.client.put("/visits"))

    def _bulk(self, docs: list[dict[str, Any]]) -> None:
        for doc, answer in zip(
            docs, self._check(self.client.post("/visits/_bulk_docs", json={"docs": docs})), strict=True
        ):
            if not answer.get("ok"):
                raise BadResponse(f"pouchdb-server: {answer}")
            doc["_rev"] = answer["rev"]
            self.docs[doc["_id"]] = doc

    def push(self, visits: Sequence[dict[str, Any]]) -> None:
        self._bulk([{"_id": v["id"], **{k: x for k, x in v.items() if k != "id"}} for v in visits])

    def pull_all(self, page: int) -> int:
        since: Any = 0
        pulled = 0
        while True:
            answer = self._check(
                self.client.get("/visits/_changes", params={"include_docs": "true", "limit": page, "since": since})
            )
            for row in answer["results"]:
                self.docs[row["id"]] = row["doc"]
            pulled += len(answer["results"])
            since = answer["last_seq"]
            if len(answer["results"]) < page:
                return pulled

    def edit(self, edits: Sequence[tuple[str, str]]) -> None:
        # A CouchDB document is replaced whole: the phone sends it back with its revision and the new field.
        self._bulk([{**self.docs[record_id], "notes": notes} for record_id, notes in edits])

    def mark(self) -> str:
        return str(self._check(self.client.get("/visits"))["update_seq"])

    def pull_since(self, mark: str, page: int) -> int:
        answer = self._check(
            self.client.get("/visits/_changes", params={"include_docs": "true", "limit": page, "since": mark})
        )
        return len(answer["results"])


# --- Kinto ---------------------------------------------------------------------------------------------

KINTO_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = {url}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = {url}
kinto.cache_backend = kinto.core.cache.memory
kinto.userid_hmac_secret = fieldgoal-bench-secret
multiauth.policies = basicauth
kinto.bucket_create_principals = system.Authenticated
kinto.batch_max_requests = {batch}
kinto.paginate_by = {page}
kinto.storage_max_fetch_size = {page}

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = WARNING
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)s %(name)s %(message)s
"""


def kinto_bin() -> Path:
    venv = CACHE / "kinto-venv"
    binary = venv / "bin" / "kinto"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"kinto[postgresql]=={KINTO_VERSION}"], check=True
        )
    return binary


@contextmanager
def kinto_server(batch: int) -> Iterator[httpx.Client]:
    binary = kinto_bin()
    recreate_database("kinto_bench")
    folder = Path(tempfile.mkdtemp(prefix="kinto-bench-"))
    port = free_port()
    ini = folder / "kinto.ini"
    url = "postgresql://postgres@127.0.0.1:5432/kinto_bench"
    ini.write_text(KINTO_INI.format(url=url, batch=batch, page=PAGE, port=port))
    log = folder / "server.log"
    with open(log, "wb") as out:
        subprocess.run([str(binary), "migrate", "--ini", str(ini)], cwd=folder, stdout=out, stderr=out, check=True)
        process = subprocess.Popen(
            [str(binary), "start", "--ini", str(ini), "--port", str(port)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/v1"
            wait_until_up(base + "/", process, log)
            with httpx.Client(
                base_url=base, timeout=300, headers=HEADERS, auth=("bench", "bench-password")
            ) as client:
                yield client
        finally:
            stop(process)
            shutil.rmtree(folder, ignore_errors=True)


class KintoDriver:
    """Kinto's HTTP API as kinto.js syncs with it: `/batch` of PUTs up, the records list by `_since` down."""

    COLLECTION = "/buckets/bench/collections/visits"

    def __init__(self, client: httpx.Client):
        self.client = client
        self.stamps: dict[str, int] = {}

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code not in (200, 201):
            raise BadResponse(f"Kinto {response.status_code}: {response.text[:500]}")
        return response.json()

    def setup(self, records: Records) -> None:
        self._check(self.client.put("/buckets/bench", json={}))
        self._check(self.client.put(self.COLLECTION, json={}))

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        answer = self._check(self.client.post("/batch", json={"requests": requests}))
        for response in answer["responses"]:
            if response["status"] not in (200, 201):
                raise BadResponse(f"Kinto: {response}")
            record = response["body"]["data"]
            self.stamps[record["id"]] = record["last_modified"]

    def push(self, visits: Sequence[dict[str, Any]]) -> None:
        self._batch(
            [
                {
                    "method": "PUT",
                    "path": f"{self.COLLECTION}/records/{v['id']}",
                    "headers": {"If-None-Match": "*"},
                    "body": {"data": {k: x for k, x in v.items() if k != "id"}},
                }
                for v in visits
            ]
        )

    def _pages(self, params: dict[str, Any]) -> int:
        pulled = 0
        response = self.client.get(f"{self.COLLECTION}/records", params=params)
        while True:
            records = self._check(response)["data"]
            for record in records:
                self.stamps[record["id"]] = record["last_modified"]
            pulled += len(records)
            following = response.headers.get("Next-Page")
            if not following:
                return pulled
            response = self.client.get(following)

    def pull_all(self, page: int) -> int:
        return self._pages({"_limit": page})

    def edit(self, edits: Sequence[tuple[str, str]]) -> None:
        self._batch(
            [
                {
                    "method": "PATCH",
                    "path": f"{self.COLLECTION}/records/{record_id}",
                    "headers": {"If-Match": f'"{self.stamps[record_id]}"'},
                    "body": {"data": {"notes": notes}},
                }
                for record_id, notes in edits
            ]
        )

    def mark(self) -> str:
        response = self.client.get(f"{self.COLLECTION}/records", params={"_limit": 1})
        self._check(response)
        return response.headers["ETag"].strip('"')

    def pull_since(self, mark: str, page: int) -> int:
        return self._pages({"_since": mark, "_limit": page})


@contextmanager
def pouchdb(batch: int) -> Iterator[PouchDriver]:
    """A fresh pouchdb-server, for any batch size."""
    with pouchdb_server() as client:
        yield PouchDriver(client)


@contextmanager
def kinto(batch: int) -> Iterator[KintoDriver]:
    """A fresh Kinto on a fresh database, taking batches of `batch` requests."""
    with kinto_server(batch) as client:
        yield KintoDriver(client)


# --- the workloads ---------------------------------------------------------------------------------------


def _rate(count: int, start: float) -> float:
    return count / (time.perf_counter() - start)


def run_workloads(
    start: Callable[[int], AbstractContextManager[Driver]], records: Records, batches: Sequence[int]
) -> dict[str, float]:
    """The five workloads on one server: a fresh server per batch size, each pushing every visit; on the one
    at batches of 500, then the full pull, the offline edits and the pulls of 100 changes. `start(batch)`
    gives a driver on a fresh server (and database) that takes batches of that size."""
    out: dict[str, float] = {}
    for batch in batches:
        with start(batch) as driver:
            driver.setup(records)
            begun = time.perf_counter()
            for at in range(0, len(records.visits), batch):
                driver.push(records.visits[at : at + batch])
            out[f"push_{batch}"] = _rate(len(records.visits), begun)
            if batch != 500:
                continue
            begun = time.perf_counter()
            pulled = driver.pull_all(PAGE)
            out["pull"], out["pulled"] = _rate(pulled, begun), pulled
            begun = time.perf_counter()
            driver.edit(records.edits)
            out["edits"] = _rate(len(records.edits), begun)
            mark = driver.mark()
            driver.edit(records.changes)
            timings = []
            for _ in range(CHANGE_PULLS):
                begun = time.perf_counter()
                got = driver.pull_since(mark, PAGE)
                timings.append((time.perf_counter() - begun) * 1000)
                if got < len(records.changes):
                    raise BadResponse(f"a pull of {len(records.changes)} changes gave {got}")
            timings.sort()
            out["changes_p50"] = statistics.median(timings)
            out["changes_p95"] = timings[max(0, round(len(timings) * 0.95) - 1)]
    return out


def raw_pg(database: str, records: Records, batches: Sequence[int]) -> dict[str, float]:
    """Plain psycopg `executemany` of the same visit rows, a transaction per batch, into a table with the
    columns and indexes of our `visit` (no foreign keys), emptied before each batch size: the floor under
    our push on PostgreSQL."""
    import psycopg
    from psycopg.types.json import Jsonb

    out: dict[str, float] = {}
    with psycopg.connect(f"{PG_SERVER}/{database}") as db:
        found = db.execute("SELECT rep_id FROM visit LIMIT 1").fetchone()
        rep_id = found[0] if found else str(uuid.uuid4())
        columns = db.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'visit' AND table_schema = current_schema() ORDER BY ordinal_position"
        ).fetchall()
        now = datetime.now(UTC)
        rows = []
        for v in records.visits:
            check_in = datetime.fromisoformat(v["check_in_at"])
            values: dict[str, Any] = {
                **v,
                "rep_id": rep_id,
                "check_in_at": check_in.astimezone(UTC),
                "check_in_offset_min": 480,
                "status": "draft",
                "received_at": now,
                "version": 1,
                "field_versions": {name: [1, rep_id] for name in v if name != "id"},
                "created_at": now,
                "updated_at": now,
            }
            row = []
            for name, kind in columns:
                value = values.get(name)
                if isinstance(value, datetime) and kind == "timestamp without time zone":
                    value = value.replace(tzinfo=None)
                elif isinstance(value, dict | list):
                    value = Jsonb(value) if kind == "jsonb" else psycopg.types.json.Json(value)
                row.append(value)
            rows.append(tuple(row))
        sql = f"INSERT INTO raw_visit VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in batches:
            db.execute("DROP TABLE IF EXISTS raw_visit")
            db.execute("CREATE TABLE raw_visit (LIKE visit INCLUDING ALL)")
            db.commit()
            begun = time.perf_counter()
            with db.cursor() as cursor:
                for at in range(0, len(rows), batch):
                    cursor.executemany(sql, rows[at : at + batch])
                    db.commit()
            out[f"push_{batch}"] = _rate(len(rows), begun)
        db.execute("DROP TABLE raw_visit")
    return out


@dataclass
class Table:
    """The figures of several runs, by server: medians, and ratios taken within each run."""

    runs: list[dict[str, dict[str, float]]] = field(default_factory=list)

    def median(self, server: str, key: str) -> float | None:
        values = [run[server][key] for run in self.runs if key in run.get(server, {})]
        return statistics.median(values) if values else None

    def ratio(self, a: tuple[str, str | Callable[[dict[str, float]], float]], b: tuple[str, Any]) -> float | None:
        values = []
        for run in self.runs:
            try:
                top, bottom = (key(run[server]) if callable(key) else run[server][key] for server, key in (a, b))
            except KeyError:
                continue
            values.append(top / bottom)
        return statistics.median(values) if values else None


def best_push(figures: dict[str, float]) -> float:
    return max(value for key, value in figures.items() if key.startswith("push_"))


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


if __name__ == "__main__":  # pragma: no cover - the command is bench/sync_bench.py
    sys.exit(f"run: {sys.executable} -m bench.sync_bench ({os.path.basename(__file__)} is its peers)")
