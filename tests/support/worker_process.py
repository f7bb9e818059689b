"""Two real worker processes racing over one queue, for the tests that prove a job is done once.

`run_two_workers(job, db_url, data_dir, go_file, **settings)` starts two `python -m
tests.support.worker_process` processes on the same database, lets them go at the same moment (when
`go_file` appears), and returns what each printed: how many rows its `Worker.<job>()` took. Each process
reads its settings as the server does (`FIELDGOAL_*`, `Settings.from_env`), with no quiet hours (the test
runs at whatever hour it is) and small, concurrent batches.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.server import ROOT

# What both races share: small batches worked concurrently, and no quiet hours.
RACE_SETTINGS = {"push_batch_size": 8, "push_concurrency": 4, "quiet_hours_start": 0, "quiet_hours_end": 0}


def run_two_workers(job: str, db_url: str, data_dir: Path, go: Path, **settings: Any) -> list[int]:
    """Each worker's count of the rows `job` took, once both have run it over the same queue."""
    chosen = RACE_SETTINGS | settings | {"database_url": db_url, "data_dir": data_dir}
    env = os.environ | {"PYTHONPATH": str(ROOT)} | {f"FIELDGOAL_{k.upper()}": _text(v) for k, v in chosen.items()}
    command = [sys.executable, "-m", "tests.support.worker_process", job, str(go)]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    go.touch()
    outputs = [w.communicate(timeout=180) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    return [int(out.strip()) for out, _ in outputs]


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def main() -> None:
    from backend.settings import Settings
    from backend.worker import Worker

    job, go = sys.argv[1:3]
    worker = Worker(Settings.from_env(env_file=None))
    try:
        deadline = time.monotonic() + 60
        while not Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        print(getattr(worker, job)(), flush=True)
    finally:
        worker.close()


if __name__ == "__main__":
    main()
