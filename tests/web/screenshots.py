"""Take the screenshots in docs/images: the batch list and a batch's detail, in English and Portuguese.

Run from the repository root: ``python -m tests.web.screenshots``. It seeds a
SQLite file in a temporary folder with the same morning of batches the tests
use, serves the admin on 127.0.0.1 and drives headless Chromium.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aspectfile_core import BatchService
from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.testing import FixedClock
from tests.web.browser import chromium, running_server
from tests.web.conftest import PREFIX, make_app, worker_names
from tests.web.seed import START, BucketStore, seed_day

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WIDTH = 1280


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aspectfile-screenshots-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'aspectfile.db'}")
        repository = SqlBatchRepository(engine)
        repository.create_tables()
        clock = FixedClock(START)
        store = BucketStore(FsspecObjectStore("memory://"))
        service = BatchService(repository, store, clock, worker_id=worker_names())
        ids = seed_day(service, clock, store)
        app = make_app(service, timezone="America/Sao_Paulo")

        pages = {
            "list": f"{PREFIX}/batches",
            "detail": f"{PREFIX}/batch/{ids['uploaded']}?status=FAILED",
        }
        with running_server(app) as base:
            for language, suffix in (("en-US", "en"), ("pt-BR", "pt_BR")):
                with chromium(language, width=WIDTH, height=900) as driver:
                    for name, path in pages.items():
                        driver.get(base + path)
                        height = driver.execute_script(
                            "return document.documentElement.scrollHeight"
                        )
                        driver.set_window_size(WIDTH, min(int(height) + 20, 2400))
                        target = IMAGES / f"admin-{name}-{suffix}.png"
                        driver.save_screenshot(str(target))
                        print(target)
        engine.dispose()


if __name__ == "__main__":
    main()
