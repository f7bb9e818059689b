"""A worker process for tests/channels/test_channels_on_two_workers.py: `python -m tests.channels.worker_process DB_URL
DATA_DIR SECRET_KEY GO_FILE` waits for GO_FILE (so both start together), sends every due channel message, and
prints how many rows it took."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from backend.settings import Settings
from backend.worker import Worker


def main() -> None:
    url, data_dir, secret_key, go = sys.argv[1:5]
    settings = Settings(
        database_url=url,
        data_dir=Path(data_dir),
        secret_key=secret_key,
        channel_allowed_hosts=("127.0.0.1",),
        push_batch_size=8,
        push_concurrency=4,
        quiet_hours_start=0,  # no quiet hours: the test runs at whatever hour it is
        quiet_hours_end=0,
    )
    worker = Worker(settings)
    try:
        deadline = time.monotonic() + 60
        while not Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        print(worker.deliver_to_channels(), flush=True)
    finally:
        worker.close()


if __name__ == "__main__":
    main()
