"""Cluster mode on real parts started here on 127.0.0.1: Redis (the Celery broker), `naskah worker` processes
with their own warm LibreOffice, a real PostgreSQL holding the jobs, the replay memory and the store's index,
SeaweedFS as the S3 bucket of letters, and `naskah serve` as the API.

Letters submitted through the API (waiting, and asynchronously) are issued by the workers, each one object in
the bucket and one index row; a worker SIGKILLed while it issues a letter leaves it to another worker, which
finishes it: still exactly one object and one row, and the job done. Beat sends the scheduled work, which a
worker runs."""
from __future__ import annotations

import re
import time

import pytest

from cluster_support import RedisServer, cluster_toml, pg_rows, started_workers, surat_tugas
from service_support import ServiceProcess

BUCKET = "naskah-cluster"


@pytest.fixture(scope="module")
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def database(postgres) -> str:
    return postgres.new_database()


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, redis, seaweed, database):
    cluster = cluster_toml(redis, database, visibility_timeout=15, purge_every=2)
    service = ServiceProcess(tmp_path_factory.mktemp("cluster"), data_dir, pool_size=1,
                             extra_toml=seaweed.store_toml(BUCKET, index=database) + cluster,
                             extra_env=seaweed.environment()).start()
    yield service
    assert service.stop() in (0, -15), service.log


@pytest.fixture
def workers(service):
    with started_workers(service) as start:
        yield start


def _payload(number: int) -> dict:
    return surat_tugas(f"WF-CLUSTER-{number}", number)


def _objects(seaweed, letter_id: str = "") -> list[str]:
    listed = seaweed.client().list_objects_v2(Bucket=BUCKET, Prefix=f"letters/{letter_id}")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _rows(database: str, workflow_id: str) -> int:
    return pg_rows(database, "SELECT count(*) FROM letters WHERE workflow_id = %s", (workflow_id,))[0][0]


def _job(service, job_id: str, until, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = service.get(f"/api/v1/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def test_letters_submitted_through_the_api_are_issued_by_the_workers(service, workers, seaweed, database):
    first, second = workers("w1"), workers("w2")
    first.wait_ready(), second.wait_ready()

    waited = service.issue(_payload(1))  # a request that waits for its letter, issued by a worker
    assert waited.status_code == 201, waited.text + service.log[-2000:]
    accepted = [service.issue(_payload(number), mode="async").json() for number in range(2, 6)]
    jobs = [_job(service, job["job_id"], lambda job: job["state"] in ("done", "failed")) for job in accepted]
    letters = [waited.json()] + [job["letter"] for job in jobs]
    assert all(job["state"] == "done" and job["http_status"] == 201 for job in jobs), jobs

    for number, letter in enumerate(letters, start=1):
        assert _objects(seaweed, letter["letter_id"]) == [f"letters/{letter['letter_id']}-{letter['sha256'][:12]}.pdf"]
        assert _rows(database, f"WF-CLUSTER-{number}") == 1
        pdf = service.get(letter["pdf_url"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    issued_by = "\n".join(worker.log for worker in (first, second))
    assert len(re.findall(r"Task naskah\.issue\[[^]]+\] succeeded", issued_by)) == 5, "the workers issued them"

    again = service.issue(_payload(1))
    assert again.status_code == 200 and again.json()["reused"] is True
    assert again.json()["letter_id"] == letters[0]["letter_id"]


def test_a_worker_killed_mid_letter_leaves_it_to_another_without_a_duplicate(service, workers, seaweed, database):
    for attempt in range(3):  # the kill must come while the letter is being issued, not after
        number = 100 + attempt
        doomed = workers(f"doomed{attempt}")
        doomed.wait_ready()
        job_id = service.issue(_payload(number), mode="async").json()["job_id"]
        _job(service, job_id, lambda job: job["state"] != "queued", timeout=60)
        doomed.kill()
        if service.get(f"/api/v1/jobs/{job_id}").json()["state"] == "running":
            break
    else:
        pytest.fail("the letter was always issued before its worker could be killed")

    rescuer = workers(f"rescuer{attempt}")
    rescuer.wait_ready()
    job = _job(service, job_id, lambda job: job["state"] in ("done", "failed"), timeout=120)
    assert job["state"] == "done", job
    letter = job["letter"]
    assert _objects(seaweed, letter["letter_id"]) == [f"letters/{letter['letter_id']}-{letter['sha256'][:12]}.pdf"]
    assert _rows(database, f"WF-CLUSTER-{number}") == 1, "exactly one letter in the store"
    assert re.search(rf"Task naskah\.issue\[{job_id}\] succeeded", rescuer.log), "the other worker finished it"
    assert service.get(letter["pdf_url"]).status_code == 200


def test_beat_sends_the_scheduled_work_to_the_workers(workers):
    worker = workers("w-beat")
    worker.wait_ready()
    workers("beat", beat=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not re.search(r"Task naskah\.purge\[[^]]+\] succeeded", worker.log):
        time.sleep(0.5)
    assert re.search(r"Task naskah\.purge\[[^]]+\] succeeded", worker.log), worker.log[-3000:]
