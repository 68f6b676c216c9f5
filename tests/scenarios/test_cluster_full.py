"""Issue 15's central claim, on real parts started here on 127.0.0.1: two `naskah serve` API instances and two
`naskah worker` processes (a warm LibreOffice each) of one installation, Celery beat, Redis as the broker, one
PostgreSQL database for all they share (jobs, replay memory, the store's index, the outbox, the signature flow
with its trail and numbering register), SeaweedFS as the bucket of letters, a host DMS (the tests' REST server,
tests/support/dms_host.py) and the host's callback endpoint.

A hundred letters are submitted, alternating between the two APIs: ninety sealed in one call through the jobs
API (asynchronously, each with a callback URL), ten through the signature flow (drafted, two paraf, signed by
the official with the password of their own PKCS#12 key; each step on the other API than the step before),
numbered by the register when signed. The host's callback endpoint refuses the first calls (503: retried).
Meanwhile:

- a worker is SIGKILLed while it issues a letter, and another is started in its place;
- one API instance is restarted between an HMAC-signed request and the replay of that very request, which the
  restarted instance refuses (the used signatures are in PostgreSQL), as does the other;
- a second worker is SIGKILLed mid-letter and at once Redis is stopped (letters waiting in its queue, the killed
  worker's letter unacknowledged in it), letters are submitted to both APIs while it is down, and it is started
  again, empty (no persistence): the jobs it lost are handed to it again from the jobs table, the killed
  worker's job too (no worker holds its lock: :mod:`naskah.cluster.claims`).

At the end every letter is exactly once in the bucket and once in the DMS (with its metadata), with its index
row, its job done (201, its own letter, whichever run finished it) or its draft signed with its trail, and one
callback delivered; the register numbered the ten flow letters 1 to 10: no gap, no duplicate.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from naskah.deliver import idempotency_key

from callback_receiver import CallbackReceiver
from checks import flat, pdfsig, pdftotext
from cluster_support import (KASUBAG, KEPALA, SEKRETARIS, STAFF, RedisServer, WorkerProcess, cluster_toml, dms_toml,
                             mappings_dir, pg_rows, permohonan, signature_holds, signing_dir, stop_all, surat_tugas)
from dms_host import HostDms
from dms_support import TOKEN, generic_options
from pki import P12_PASSWORD
from service_support import ServiceProcess, hmac_headers

BUCKET = "naskah-cluster-full"
SEALED, FLOWS = 90, 10
SIGNED = 41  # the sealed letter sent as an HMAC-signed request, then replayed
REFUSED_CALLBACKS = 3  # the host's callback endpoint answers 503 to its first calls
ISSUE_LINE = r"Task naskah\.issue\[{}\] {}"


@dataclass
class Cluster:
    work: Path
    database: str
    redis: RedisServer
    dms: HostDms
    receiver: CallbackReceiver
    seaweed: object
    apis: list[ServiceProcess] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)

    def worker(self, name: str, beat: bool = False) -> WorkerProcess:
        worker = WorkerProcess(self.apis[0], name, beat=beat).start()
        self.workers.append(worker)
        return worker

    def rows(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        return pg_rows(self.database, sql, parameters)


def _mappings_dir(work: Path) -> Path:
    """The repository's mappings, the permohonan pelibatan signed with the official's own key."""
    return mappings_dir(work, {"permohonan_pelibatan": [("signing_profile: default", "signing_profile: pejabat")]})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, data_dir, postgres, seaweed, test_pki):
    work = tmp_path_factory.mktemp("cluster-full")
    database = postgres.new_database()
    redis, dms, receiver = RedisServer().start(), HostDms(token=TOKEN).start(), CallbackReceiver(REFUSED_CALLBACKS)
    cluster = Cluster(work, database, redis, dms, receiver, seaweed)
    dms_options = generic_options(dms.url, auth={"kind": "bearer", "token_env": "TEST_DMS_TOKEN"}, retry_interval=2)
    configuration = dict(
        top_toml=f'state = "{database}"\noutbox = "{database}"\nmappings_dir = "{_mappings_dir(work)}"\n',
        extra_toml=seaweed.store_toml(BUCKET, index=database) + dms_toml(dms_options) + cluster_toml(
            redis, database, visibility_timeout=15, purge_every=5, requeue_after=5, requeue_every=1))
    try:
        api = ServiceProcess(work, data_dir, pool_size=1, signing_dir=signing_dir(work, test_pki),
                             callback_prefix=receiver.prefix, extra_env=seaweed.environment() | {
                                 "TEST_DMS_TOKEN": TOKEN}, **configuration)
        cluster.apis = [api, api.instance("api-b")]
        for instance in cluster.apis:
            instance.start()
        for name in ("w1", "w2"):
            cluster.worker(name)
        cluster.worker("beat", beat=True)
        for worker in cluster.workers[:2]:
            worker.wait_ready()
        assert all(instance.get("/ready").status_code == 200 for instance in cluster.apis)
        yield cluster
    finally:
        stop_all(cluster.workers, cluster.apis)
        receiver.close()
        dms.stop()
        redis.stop()


# ------------------------------------------------------------------------------------------------ the letters

def _sealed(cluster: Cluster, number: int) -> dict:
    """A Surat Tugas the system seals, with the host's own number and a callback URL."""
    payload = surat_tugas(f"WF-FULL-S{number:03d}", number, unit="35.73.403")
    payload["callback_url"] = f"{cluster.receiver.prefix}jobs/{number}"
    return payload


def _submit(cluster: Cluster, number: int) -> str:
    api = cluster.apis[number % 2]
    response = api.post("/api/v1/letters", json=_sealed(cluster, number), params={"mode": "async"})
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _flow(cluster: Cluster, number: int) -> dict:
    """Drafted on one API, each next step on the other; signed with the official's own key's password."""
    first, second = cluster.apis[number % 2], cluster.apis[(number + 1) % 2]
    body = {"payload": permohonan(f"WF-FULL-F{number:02d}"), "actor": STAFF, "callback_url": f"{cluster.receiver.prefix}flow/{number}"}
    draft = _ok(first.post("/api/v1/drafts", json=body), 201)
    path = f"/api/v1/drafts/{draft['id']}"
    _ok(second.post(f"{path}/paraf", json={"actor": KASUBAG}))
    _ok(first.post(f"{path}/paraf", json={"actor": SEKRETARIS}))
    return _ok(second.post(f"{path}/sign", json={"actor": KEPALA, "credential": {"passphrase": P12_PASSWORD}}), 201)


# ------------------------------------------------------------------------------------------------ the faults

def _job_state(cluster: Cluster, job_id: str) -> str | None:
    rows = cluster.rows("SELECT state FROM jobs WHERE job_id = %s", (job_id,))
    return rows[0][0] if rows else None


def _kill_mid_letter(cluster: Cluster, worker: WorkerProcess, attempts: int = 3) -> tuple[str, str]:
    """SIGKILL ``worker`` while it issues a letter: its job received, not finished, and still running once the
    worker is dead (if it finished in between, the same again on a worker started in its place). Returns the
    job's id and the killed worker's name."""
    for attempt in range(attempts):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            log = worker.log
            received = re.findall(ISSUE_LINE.format("([0-9a-f]+)", "received"), log)
            succeeded = set(re.findall(ISSUE_LINE.format("([0-9a-f]+)", "succeeded"), log))
            running = [job for job in received if job not in succeeded]
            if running and _job_state(cluster, running[-1]) == "running":
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"worker {worker.name} ran no letter within 120 s:\n{worker.log[-3000:]}")
        worker.kill()
        if _job_state(cluster, running[-1]) == "running":
            return running[-1], worker.name
        worker = cluster.worker(f"{worker.name}-{attempt}")  # the letter was finished first: again
        worker.wait_ready()
    raise AssertionError(f"the letters were always finished before their worker could be killed ({attempts} tries)")


def _signed_request(api: ServiceProcess, payload: dict) -> tuple[str, bytes, dict]:
    path = "/api/v1/letters?mode=async"
    body = json.dumps(payload).encode("utf-8")
    return path, body, hmac_headers(api.secret, "POST", path, body) | {"Content-Type": "application/json"}


def _send(api: ServiceProcess, request: tuple[str, bytes, dict]) -> requests.Response:
    path, body, headers = request
    return requests.post(api.url(path), data=body, headers=headers, timeout=60)


def _restart_redis_while_letters_wait(cluster: Cluster, submit_while_down: list[int], jobs: dict[int, str]) -> int:
    """Stop Redis (its queue holds letters), submit letters while it is down, start it again, empty; returns how
    many letters its queue held."""
    waiting = cluster.redis.llen("naskah")

    def submit():
        assert all(api.get("/ready").status_code == 503 for api in cluster.apis), "not ready without the broker"
        for number in submit_while_down:  # accepted: the job waits in the table until the broker is back
            jobs[number] = _submit(cluster, number)

    before = cluster.redis.process.pid
    cluster.redis.restart(while_down=submit)  # with no persistence: it starts empty
    assert cluster.redis.process.pid != before
    return waiting


# ------------------------------------------------------------------------------------------------ the end

def _settled(cluster: Cluster, jobs: dict[int, str], drafts: list[str], timeout: float = 300) -> None:
    """Wait until every job has finished, every letter is delivered and every callback came."""
    deadline = time.monotonic() + timeout
    while True:
        states = dict(cluster.rows("SELECT state, count(*) FROM jobs GROUP BY state"))
        called = cluster.rows("SELECT count(*) FROM jobs WHERE callback_state = 'delivered'")[0][0]
        delivered = cluster.rows("SELECT count(*) FROM naskah_outbox WHERE state = 'delivered'")[0][0]
        signed_events = {json.loads(call["body"])["draft"]["id"] for call in list(cluster.receiver.calls)
                         if call["headers"].get("X-Naskah-Event") == "letter.signed"}
        if (states.get("done", 0) + states.get("failed", 0) == len(jobs) and delivered >= SEALED + FLOWS
                and called == len(jobs) and set(drafts) <= signed_events):
            return
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {process.log_path.name}\n{process.log[-2500:]}"
                             for process in cluster.apis + cluster.workers)
            raise AssertionError(f"not settled after {timeout} s: jobs {states}, {delivered} delivered, "
                                 f"{called} job callbacks, {len(signed_events)} letter.signed\n{logs}")
        time.sleep(0.5)


def test_a_hundred_letters_survive_killed_workers_a_redis_restart_and_an_api_restart(cluster):
    api_a, api_b = cluster.apis
    jobs: dict[int, str] = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        flows = [pool.submit(_flow, cluster, number) for number in range(5)]
        for number in range(1, 31):
            jobs[number] = _submit(cluster, number)

        first_killed, first_killer = _kill_mid_letter(cluster, cluster.workers[0])  # w1, mid-letter
        cluster.worker("w3").wait_ready()  # a worker started in its place
        for number in range(31, SIGNED):
            jobs[number] = _submit(cluster, number)
        signed = [future.result() for future in flows]  # no step of the flow is under way on API B now

        # a signed request, API B restarted, the very same request again: refused by the restarted instance
        request = _signed_request(api_b, _sealed(cluster, SIGNED))
        first = _send(api_b, request)
        assert first.status_code == 202, first.text
        jobs[SIGNED] = first.json()["job_id"]
        assert api_b.stop() in (0, -15), api_b.log[-3000:]
        api_b.start()
        for api in (api_b, api_a):
            replay = _send(api, request)
            assert replay.status_code == 401, replay.text
            assert "replayed request" in replay.json()["error"]["message"]

        for number in range(SIGNED + 1, 71):
            jobs[number] = _submit(cluster, number)
        flows = [pool.submit(_flow, cluster, number) for number in range(5, FLOWS)]
        # w2 killed mid-letter, and Redis restarted before the broker gives its letter to another worker
        second_killed, second_killer = _kill_mid_letter(cluster, cluster.workers[1])  # w2
        lost = _restart_redis_while_letters_wait(cluster, [71, 72, 73, 74], jobs)
        assert lost >= 5, f"Redis held {lost} letters when it stopped"
        cluster.worker("w4")
        assert all(api.get("/ready").status_code == 200 for api in cluster.apis), "ready again with the broker back"
        for number in range(75, SEALED + 1):
            jobs[number] = _submit(cluster, number)
        signed += [future.result() for future in flows]

    drafts = [letter["draft"]["id"] for letter in signed]
    _settled(cluster, jobs, drafts)

    # every letter once in the index, once in the bucket, once in the DMS with its metadata
    index = {row[0]: row[1:] for row in cluster.rows(
        "SELECT workflow_id, letter_id, sha256, nomor, pdf_path FROM letters")}
    assert sorted(index) == sorted([f"WF-FULL-S{n:03d}" for n in range(1, SEALED + 1)]
                                   + [f"WF-FULL-F{n:02d}" for n in range(FLOWS)])
    assert len(cluster.rows("SELECT letter_id FROM letters")) == SEALED + FLOWS, "one row per letter"
    listed = cluster.seaweed.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="letters/")
    objects = sorted(item["Key"] for page in listed for item in page.get("Contents", []))
    assert objects == sorted(f"letters/{letter_id}-{sha[:12]}.pdf" for letter_id, sha, _, _ in index.values())
    documents = Counter(document.sha256 for document in cluster.dms.documents)
    assert len(cluster.dms.documents) == SEALED + FLOWS and set(documents.values()) == {1}, documents.most_common(3)
    for workflow_id, (letter_id, sha, nomor, _) in index.items():
        (document,) = cluster.dms.copies(sha256=sha)
        # the Surat Tugas mapping names the DMS's fields; the permohonan has no dms: section, its own names go
        number_field = "nomor_surat" if workflow_id.startswith("WF-FULL-S") else "nomor"
        assert document.metadata["workflow_id"] == workflow_id and document.metadata[number_field] == nomor
        assert document.fields["external_id"] == idempotency_key(workflow_id, letter_id)
    outbox = cluster.rows("SELECT state, count(*) FROM naskah_outbox GROUP BY state")
    assert outbox == [("delivered", SEALED + FLOWS)], outbox

    # every job done (asked of either API): 201 with its own letter, whichever run finished it; one callback
    # accepted by the host (after the refused ones), signed with the host's secret
    calls = sorted(cluster.receiver.calls, key=lambda call: call["time"])
    accepted = Counter(call["headers"].get("X-Naskah-Job") for call in calls[REFUSED_CALLBACKS:])
    for number, job_id in jobs.items():
        job = _ok(cluster.apis[number % 2].get(f"/api/v1/jobs/{job_id}"))
        letter_id = index[f"WF-FULL-S{number:03d}"][0]
        assert job["state"] == "done" and job["http_status"] == 201, job
        assert job["letter"]["letter_id"] == letter_id and job["letter"]["reused"] is False, job
        assert job["callback"]["state"] == "delivered" and accepted[job_id] == 1, (job, accepted[job_id])
        mine = [call for call in calls if call["headers"].get("X-Naskah-Job") == job_id]
        assert all(signature_holds(cluster.apis[0].secret, call) and call["path"] == f"/naskah/jobs/{number}" for call in mine)
        assert {json.loads(call["body"])["letter"]["letter_id"] for call in mine} == {letter_id}
    logs = {worker.name: worker.log for worker in cluster.workers}
    # recorded for delivery from the intents only when the process that stored the letter had died
    letters = {job_id: index[f"WF-FULL-S{number:03d}"][0] for number, job_id in jobs.items()}
    unrecorded = re.findall(r"letter ([0-9a-f]+) was stored but not recorded",
                            "".join([*logs.values(), *(api.log for api in cluster.apis)]))
    assert set(unrecorded) <= {letters[first_killed], letters[second_killed]}, unrecorded
    for killed, killer in ((first_killed, first_killer), (second_killed, second_killer)):
        assert any(re.search(ISSUE_LINE.format(killed, "succeeded"), log) for name, log in logs.items()
                   if name != killer), f"another worker finished the letter of the killed {killer}"
    orphans = re.findall(r"job ([0-9a-f]+) was left running by a worker that stopped", "".join(logs.values()))
    assert second_killed in orphans and len(orphans) == len(set(orphans)) <= 2, orphans  # each queued again once

    # the flow's letters: signed after their trail, numbered 1 to 10 by the register, called back
    numbers = []
    for letter in signed:
        draft = _ok(api_a.get(f"/api/v1/drafts/{letter['draft']['id']}"))
        assert draft["state"] == "signed" and draft["letter_id"] == letter["letter_id"], draft
        assert [entry["action"] for entry in draft["trail"]] == ["create", "paraf", "paraf", "sign"], draft["trail"]
        assert index[draft["workflow_id"]][0] == letter["letter_id"] and index[draft["workflow_id"]][2] == letter["nomor"]
        pdf = api_b.get(letter["pdf_url"])
        assert pdf.status_code == 200 and letter["nomor"] in flat(pdftotext(pdf.content))
        (cluster.work / "signed.pdf").write_bytes(pdf.content)
        assert "Signature is Valid." in pdfsig(cluster.work / "signed.pdf")  # the official's own key
        numbers.append(letter["nomor"])
    register = cluster.rows("SELECT number, sequence FROM naskah_numbers_used WHERE source = 'register' "
                            "ORDER BY sequence")
    assert [sequence for _, sequence in register] == list(range(1, FLOWS + 1)), register
    assert sorted(number for number, _ in register) == sorted(numbers) and len(set(numbers)) == FLOWS
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).year
    assert cluster.rows("SELECT last FROM naskah_number_counters") == [(FLOWS,)]
    assert all(re.fullmatch(rf"800\.1\.11\.1/00(0[1-9]|10)/35\.73\.401/{year}", number) for number in numbers), numbers
