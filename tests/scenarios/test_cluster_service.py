"""The API instances of cluster mode (issue 15) on real parts started here on 127.0.0.1: PostgreSQL holding the
jobs and the rate-limit counters, Redis as the Celery broker, `naskah serve` instances, `naskah worker` and
`naskah beat` processes.

- Two API instances on one PostgreSQL share the verification page's limit: a client opening pages on both in
  turn is refused at the configured total, not twice it, with 429, Retry-After and an Indonesian page.
- An API instance starts no LibreOffice until the first draft, then one warm process that later drafts reuse.
- /ready names the broker when Redis is down (503) and is ready again once it is back; /health stays 200.
- Letters submitted while Redis is down are kept queued (202, never 503) and issued once it is back: handed over
  again when an API instance starts, and by beat's schedule; a letter the broker lost (Redis restarted without
  persistence) is handed over again after ``requeue_after``. Every letter ends once in the store.
"""
from __future__ import annotations

import re
import sqlite3
import time

import psutil
import pytest

from checks import flat, pdftotext
from cluster_support import STAFF, RedisServer, cluster_toml, permohonan, started_workers, surat_tugas
from service_support import ServiceProcess

PAGE_VIEWS = 6


@pytest.fixture(scope="module")
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


def _pause(redis: RedisServer) -> None:
    """Stop Redis (it keeps nothing: queued messages are lost), keeping its port for ``_resume``."""
    redis.process.terminate()
    redis.process.wait(20)


def _resume(redis: RedisServer) -> None:
    if redis.process.poll() is not None:
        redis.start()


def _api(tmp_path_factory, data_dir, name: str, redis, database: str, **options) -> ServiceProcess:
    cluster = cluster_toml(redis, database, requeue_after=5, requeue_every=1)
    return ServiceProcess(tmp_path_factory.mktemp(name), data_dir, extra_toml=cluster, **options)


# ------------------------------------------------------------------------------ rate limits, converter

@pytest.fixture(scope="module")
def instances(tmp_path_factory, data_dir, redis, postgres):
    """Two API instances on one PostgreSQL, speaking the installation's default language (Indonesian)."""
    database = postgres.new_database()
    started = [_api(tmp_path_factory, data_dir, name, redis, database, language="id",
                    service_toml=f"page_views_per_minute = {PAGE_VIEWS}").start() for name in ("api-a", "api-b")]
    yield started
    for instance in started:
        assert instance.stop() in (0, -15), instance.log


def test_two_api_instances_share_the_limit_of_the_verification_page(instances):
    first, second = instances
    answers = [(first, second)[number % 2].get("/v/" + "0" * 32, headers={}) for number in range(PAGE_VIEWS + 2)]
    assert [answer.status_code for answer in answers] == [404] * PAGE_VIEWS + [429, 429], \
        "each instance saw only half of them: the limit holds over both"
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Terlalu banyak permintaan" in refused.text and "Silakan coba lagi dalam" in refused.text


def _libreoffice(instance: ServiceProcess) -> list[psutil.Process]:
    """The LibreOffice processes ``instance`` started (its children's children included)."""
    found = []
    for child in psutil.Process(instance.process.pid).children(recursive=True):
        try:
            if child.name().startswith("soffice"):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_an_api_instance_starts_libreoffice_at_its_first_draft_only(instances):
    first, second = instances
    assert first.get("/ready").status_code == 200, first.get("/ready").text
    assert _libreoffice(first) == [] and _libreoffice(second) == [], "no warm pool at start"

    draft = first.post("/api/v1/drafts", json={"payload": permohonan("WF-API-DRAFT-1"), "actor": STAFF})
    assert draft.status_code == 201, draft.text
    preview = first.get(f"/api/v1/drafts/{draft.json()['id']}/preview.pdf")
    assert preview.status_code == 200
    assert "Permohonan Pelibatan Pejabat Fungsional Arsiparis" in flat(pdftotext(preview.content))
    warm = _libreoffice(first)
    assert warm, "the first draft started the instance's LibreOffice"

    again = first.post("/api/v1/drafts", json={"payload": permohonan("WF-API-DRAFT-2"), "actor": STAFF})
    assert again.status_code == 201, again.text
    assert {process.pid for process in _libreoffice(first)} == {process.pid for process in warm}, \
        "the next draft reuses it"
    assert _libreoffice(second) == [], "the other instance made no draft: it started none"


# ------------------------------------------------------------------------------ readiness and re-queueing

@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, redis, postgres):
    service = _api(tmp_path_factory, data_dir, "api-queue", redis, postgres.new_database(), pool_size=1).start()
    yield service
    service.stop()


@pytest.fixture
def workers(service):
    with started_workers(service) as start:
        yield start


def _payload(number: int) -> dict:
    return surat_tugas(f"WF-REQUEUE-{number}", number)


def _job(service: ServiceProcess, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = service.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s:\n{service.log[-3000:]}")


def _queued_while_down(service: ServiceProcess, number: int, **params) -> str:
    accepted = service.issue(_payload(number), **params)
    assert accepted.status_code == 202, accepted.text  # not 503: the job is kept
    body = accepted.json()
    assert body["state"] == "queued" and accepted.headers["Location"] == body["status_url"]
    return body["job_id"]


def _issued_once(service: ServiceProcess, job: dict, number: int) -> None:
    assert job["state"] == "done" and job["http_status"] == 201, job
    letter = job["letter"]
    with sqlite3.connect(service.store / "index.sqlite") as index:
        rows = index.execute("SELECT letter_id FROM letters WHERE workflow_id = ?", (f"WF-REQUEUE-{number}",))
        assert [row[0] for row in rows] == [letter["letter_id"]], "one letter, whatever the number of hand-overs"
    assert len(list((service.store / "letters").glob(f"{letter['letter_id']}-*.pdf"))) == 1
    pdf = service.get(letter["pdf_url"])
    assert f"800.1.11.1/{number:04d}/35.73.401/2023" in flat(pdftotext(pdf.content))


def test_ready_names_the_broker_while_redis_is_down(service, redis):
    ready = service.get("/ready", headers={})
    assert ready.status_code == 200 and ready.json()["checks"]["broker"] == "ok", ready.text
    assert ready.json()["checks"]["database"] == "ok"
    _pause(redis)
    try:
        started = time.monotonic()
        down = service.get("/ready", headers={})
        assert time.monotonic() - started < 10, "a short timeout, not a hanging probe"
        assert down.status_code == 503 and down.json()["ready"] is False
        checks = down.json()["checks"]
        assert checks["broker"].startswith("cannot be reached") and str(redis.port) not in down.text, checks
        assert {name for name, value in checks.items() if value != "ok"} == {"broker"}, "only the broker is down"
        assert service.get("/health", headers={}).status_code == 200, "liveness does not depend on the broker"
        assert f"the broker redis://127.0.0.1:{redis.port}/0 cannot be reached" in service.log, "the operator's log"
    finally:
        _resume(redis)
    assert service.get("/ready", headers={}).status_code == 200


def test_letters_submitted_while_redis_is_down_are_issued_once_it_is_back(service, redis, workers):
    worker = workers("requeue-w1")
    worker.wait_ready()

    # handed over when an API instance starts
    _pause(redis)
    try:
        waiting = _queued_while_down(service, 1)  # a request that would wait for its letter gets its job
        background = _queued_while_down(service, 2, mode="async")
        assert service.get(f"/api/v1/jobs/{waiting}").json()["state"] == "queued"
        service.stop()
    finally:
        _resume(redis)
    service.start()  # no beat runs yet: only the instance's start can hand them over
    for number, job_id in ((1, waiting), (2, background)):
        _issued_once(service, _job(service, job_id), number)

    # handed over by beat's schedule, the API instance running all along
    _pause(redis)
    try:
        later = _queued_while_down(service, 3, mode="async")
    finally:
        _resume(redis)
    time.sleep(3)
    assert service.get(f"/api/v1/jobs/{later}").json()["state"] == "queued", "no beat yet: nobody handed it over"
    workers("requeue-beat", beat=True)
    _issued_once(service, _job(service, later), 3)

    # a letter the broker lost: queued while no worker runs, then Redis restarted without persistence
    worker.stop()
    lost = service.issue(_payload(4), mode="async").json()["job_id"]
    _pause(redis)
    _resume(redis)
    rescuer = workers("requeue-w2")
    rescuer.wait_ready()
    _issued_once(service, _job(service, lost, timeout=180), 4)
    assert re.search(r"Task naskah\.requeue\[[^]]+\] succeeded in [0-9.]+s: 1\b", rescuer.log), \
        "beat's round handed the lost letter over again"
    assert f"Task naskah.issue[{lost}] succeeded" in rescuer.log
    assert re.search(r"Task naskah\.requeue\[[^]]+\] succeeded in [0-9.]+s: 1\b", worker.log), \
        "the letter submitted while Redis was down was handed over by beat's round"
