"""A real headless Chromium walks the admin: list, detail, reprocess, delete with confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from aspectfile_core import BatchService, BatchStatus
from aspectfile_core.adapters.fsspec_store import UPLOADING, FsspecObjectStore
from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.adapters.store_errors import StoreUnavailable
from aspectfile_core.i18n import translation
from aspectfile_core.testing import FixedClock
from tests.web.browser import chromium, running_server
from tests.web.conftest import PREFIX, make_app, worker_names
from tests.web.seed import START, BucketStore, contacts_from, sample_rows, seed_day

pytestmark = pytest.mark.browser

TEXTS = {
    "en-US": {
        "list_title": "Batches",
        "pending": "Pending",
        "failed": "Failed",
        "uploaded": "Uploaded",
        "reprocessed": "is pending again",
        "processed": "Batches processed: 3.",
        "confirm_page": "Delete batch",
    },
    "pt-BR": {
        "list_title": "Lotes",
        "pending": "Pendente",
        "failed": "Com falha",
        "uploaded": "Enviado",
        "reprocessed": "está pendente de novo",
        "processed": "Lotes processados: 3.",
        "confirm_page": "Excluir o lote",
    },
}


def deleted_text(language: str, batch_id: int) -> str:
    """Return the message shown after deleting the seeded failed batch, from the catalog."""
    message = translation(language.replace("-", "_")).gettext(
        "Batch {id} and its leads ({count}) were deleted."
    )
    return message.format(id=batch_id, count=12)


@pytest.fixture
def real_parts(tmp_path: Path) -> Iterator[tuple[BatchService, FixedClock, BucketStore]]:
    """An empty service on a SQLite file and a folder store, with its clock and store."""
    engine = create_engine(f"sqlite:///{tmp_path / 'aspectfile.db'}")
    repository = SqlBatchRepository(engine)
    repository.create_tables()
    clock = FixedClock(START)
    store = BucketStore(FsspecObjectStore(str(tmp_path / "files")))
    yield BatchService(repository, store, clock, worker_id=worker_names()), clock, store
    engine.dispose()


@pytest.fixture
def real_service(
    real_parts: tuple[BatchService, FixedClock, BucketStore],
) -> tuple[BatchService, dict[str, int]]:
    """A seeded service on a SQLite file and a folder store."""
    service, clock, store = real_parts
    return service, seed_day(service, clock, store)


LONG_LOCATION = (
    "s3://discador-sp/aspect/campaign-12/"
    + "ASPECT_12_20260302_000006_retry-"
    + "0123456789abcdef" * 10
    + ".txt"
)
"""A store location of about 220 characters without a space, as an S3 key with a long id can be."""


@pytest.fixture
def long_error_batch(
    real_parts: tuple[BatchService, FixedClock, BucketStore],
) -> tuple[BatchService, int]:
    """The seeded day plus a batch whose upload failed with an error that contains LONG_LOCATION."""
    service, clock, store = real_parts
    seed_day(service, clock, store)
    store.errors["discador-longo"] = [
        StoreUnavailable(operation=UPLOADING, location=LONG_LOCATION, reason="timed out after 30 s")
    ]
    result = service.add_contacts(
        campaign_id=12,
        event_id=6,
        schema_name="sample-fixed",
        contacts=contacts_from(sample_rows()[:3], 5001),
        bucket="discador-longo",
    )
    clock.advance(minutes=5)
    service.process()
    return service, result.batch_ids[0]


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 15)


def flash(driver: WebDriver) -> str:
    element: WebElement = wait(driver).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".flash"))
    )
    return element.text


def click_and_wait(driver: WebDriver, element: WebElement) -> None:
    """Click *element* and wait until the browser has left the current page.

    Without the wait, a lookup right after the click can find an element of
    the old page, such as the failed batch's error box, which also has the
    ``flash`` class.
    """
    old_page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def page_left(_driver: WebDriver) -> bool:
        try:
            old_page.is_enabled()
        except WebDriverException:
            # Stale, or chromedriver's "Node with given id does not belong to the document",
            # which it raises instead while the next page replaces the old one.
            return True
        return False

    wait(driver).until(page_left)


def badge(driver: WebDriver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "h1 .badge").text


@pytest.mark.parametrize("language", ["en-US", "pt-BR"])
def test_walk_with_javascript(
    real_service: tuple[BatchService, dict[str, int]], language: str
) -> None:
    """List -> detail -> reprocess -> process now -> delete, confirming in the page's dialog."""
    service, ids = real_service
    texts = TEXTS[language]
    batch_id = ids["failed"]

    with running_server(make_app(service)) as base, chromium(language) as driver:
        driver.get(f"{base}{PREFIX}/batches")
        assert driver.find_element(By.TAG_NAME, "h1").text == texts["list_title"]
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        row = driver.find_element(By.ID, f"batch-{batch_id}")
        assert texts["failed"] in row.text

        row.find_element(By.LINK_TEXT, f"#{batch_id}").click()
        wait(driver).until(expected_conditions.url_to_be(f"{base}{PREFIX}/batch/{batch_id}"))
        assert str(batch_id) in driver.find_element(By.TAG_NAME, "h1").text
        assert texts["failed"] in badge(driver)
        assert "discador-rj" in driver.find_element(By.ID, "batch-error").text

        click_and_wait(driver, driver.find_element(By.ID, "reprocess"))
        assert texts["reprocessed"] in flash(driver)
        assert texts["pending"] in badge(driver)
        assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING

        click_and_wait(driver, driver.find_element(By.ID, "process-now"))
        assert texts["processed"] in flash(driver)
        assert driver.current_url == f"{base}{PREFIX}/batch/{batch_id}"
        assert texts["uploaded"] in badge(driver)
        assert service.get_batch(batch_id).batch.status is BatchStatus.UPLOADED

        dialog = driver.find_element(By.ID, "confirm-dialog")
        driver.find_element(By.ID, "delete").click()
        wait(driver).until(expected_conditions.visibility_of(dialog))
        assert str(batch_id) in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value='cancel']").click()
        wait(driver).until(expected_conditions.invisibility_of_element(dialog))
        assert driver.current_url == f"{base}{PREFIX}/batch/{batch_id}"

        driver.find_element(By.ID, "delete").click()
        wait(driver).until(expected_conditions.visibility_of(dialog))
        click_and_wait(driver, dialog.find_element(By.CSS_SELECTOR, "button[data-confirm-button]"))
        wait(driver).until(expected_conditions.url_to_be(f"{base}{PREFIX}/batches"))
        assert deleted_text(language, batch_id) in flash(driver)
        assert driver.find_elements(By.ID, f"batch-{batch_id}") == []

    assert service.list_batches().total == 4


@pytest.mark.parametrize("language", ["en-US", "pt-BR"])
def test_walk_without_javascript(
    real_service: tuple[BatchService, dict[str, int]], language: str
) -> None:
    """With JavaScript off, delete shows a confirmation page instead of a dialog."""
    service, ids = real_service
    texts = TEXTS[language]
    batch_id = ids["failed"]

    with running_server(make_app(service)) as base, chromium(language, javascript=False) as driver:
        driver.get(f"{base}{PREFIX}/batches")
        row = driver.find_element(By.ID, f"batch-{batch_id}")
        click_and_wait(
            driver, row.find_element(By.CSS_SELECTOR, "form[action$='/reprocess'] button")
        )
        assert texts["reprocessed"] in flash(driver)

        driver.find_element(By.ID, f"batch-{batch_id}").find_element(
            By.LINK_TEXT, f"#{batch_id}"
        ).click()
        driver.find_element(By.ID, "delete").click()
        wait(driver).until(expected_conditions.url_to_be(f"{base}{PREFIX}/batch/{batch_id}/delete"))
        assert texts["confirm_page"] in driver.find_element(By.TAG_NAME, "h1").text
        assert service.get_batch(batch_id).counts.total == 12

        click_and_wait(
            driver, driver.find_element(By.CSS_SELECTOR, ".confirm-page button[type='submit']")
        )
        wait(driver).until(expected_conditions.url_to_be(f"{base}{PREFIX}/batches"))
        assert deleted_text(language, batch_id) in flash(driver)

    assert service.list_batches().total == 4


@pytest.mark.parametrize("path", ["/batches", "/batch/{uploaded}", "/schema/sample-fixed"])
def test_fits_a_phone(real_service: tuple[BatchService, dict[str, int]], path: str) -> None:
    """On a 390-pixel-wide phone screen the pages need no sideways scrolling and tables become cards."""
    service, ids = real_service

    with running_server(make_app(service)) as base, chromium(width=390, height=844) as driver:
        driver.get(base + PREFIX + path.format(**ids))
        page_width = driver.execute_script("return document.documentElement.scrollWidth")
        view_width = driver.execute_script("return window.innerWidth")
        head = driver.execute_script(
            "var h = document.querySelector('.data-table thead'); return h ? h.getBoundingClientRect().height : 1"
        )

    assert view_width == 390
    assert page_width <= view_width
    assert head <= 1


OVERFLOW_SCRIPT = """
var table = document.getElementById('attempt-table');
var wrap = table.closest('.table-wrap');
var cells = table.querySelectorAll('td.error-text');
return {
  pageWidth: document.documentElement.scrollWidth,
  viewWidth: document.documentElement.clientWidth,
  wrapScroll: wrap.scrollWidth,
  wrapWidth: wrap.clientWidth,
  errorText: cells.length ? cells[0].textContent : ''
};
"""


@pytest.mark.parametrize(
    ("width", "language"),
    [(1300, "en-US"), (1300, "pt-BR"), (390, "pt-BR")],
    ids=["desktop-en", "desktop-pt", "phone-pt"],
)
def test_long_attempt_error_wraps(
    long_error_batch: tuple[BatchService, int], width: int, language: str
) -> None:
    """An attempt error with a long unbroken path wraps inside its cell: no sideways scrolling."""
    service, batch_id = long_error_batch

    with running_server(make_app(service)) as base, chromium(language, width=width) as driver:
        driver.get(f"{base}{PREFIX}/batch/{batch_id}")
        sizes = driver.execute_script(OVERFLOW_SCRIPT)

    assert LONG_LOCATION in sizes["errorText"]
    assert sizes["viewWidth"] == width
    assert sizes["pageWidth"] <= sizes["viewWidth"]
    assert sizes["wrapScroll"] <= sizes["wrapWidth"]


def test_page_loads_own_assets_only(real_service: tuple[BatchService, dict[str, int]]) -> None:
    """The browser applies the shipped stylesheet and script; the console shows no policy violation."""
    service, _ids = real_service

    with running_server(make_app(service)) as base, chromium() as driver:
        driver.get(f"{base}{PREFIX}/batches")
        background = driver.execute_script(
            "return getComputedStyle(document.querySelector('.topbar')).backgroundColor"
        )
        logs = driver.get_log("browser")  # type: ignore[no-untyped-call]  # selenium leaves get_log untyped

    assert background == "rgb(36, 54, 75)"
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
