"""Cluster mode on several machines (issue 15), on real parts started here on 127.0.0.1: two `naskah serve` API
instances, each with a STORE_DIR and a data folder of its own (two machines), one PostgreSQL for all they share
(jobs, the signature flow's state and events, the store's index), one SeaweedFS bucket, Redis, two `naskah
worker` processes and `naskah beat`, and the host's callback endpoint (tests/support/callback_receiver.py).

- A draft made on machine A is previewed (PDF and PNG), reviewed with an electronic paraf and signed on machine
  B: its previews and the reviewer's signed copy are in the bucket (drafts/<id>/), on neither machine's disk;
  the letter is signed validly and is once in the bucket.
- The flow's events are posted by the workers, one poster at a time (naskah.cluster.claims): with the host's
  endpoint refusing them, an API instance restarted while they are owed, and one event recorded while Redis
  was down (handed over by beat's round), each event is accepted by the host exactly once.
- A job's callback is a task of its own: with the host's endpoint down, the letters are still issued (each
  letter task finishes, every job is done) while their callbacks wait; once the endpoint is back each job's
  callback is accepted exactly once.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field

import pytest
import requests

from callback_receiver import CallbackReceiver
from checks import flat, pdfsig, pdftotext
from cluster_support import (KASUBAG, KEPALA, SEKRETARIS, STAFF, Answers, RedisServer, WorkerProcess, cluster_toml,
                             mappings_dir, permohonan, pg_rows, signature_holds, signing_dir, stop_all, surat_tugas)
from pki import P12_PASSWORD
from service_support import ServiceProcess

BUCKET = "naskah-machines"
CREDENTIAL = {"passphrase": P12_PASSWORD}  # the official's (and the Sekretaris's) own PKCS#12 key's password
# callbacks tried 20 times, 1, 2, 4, 8 then 10 s apart: a host down for a few minutes is waited for
SERVICE = "callback_attempts = 20\ncallback_backoff_max = 10\ncallback_timeout = 5\n"
# the permohonan pelibatan signed with the official's own key; the Sekretaris's paraf an electronic signature
EDITS = {"permohonan_pelibatan": [
    ("signing_profile: default", "signing_profile: pejabat"),
    ("    - title: Sekretaris\n      person: data.paraf[1].nama\n",
     "    - title: Sekretaris\n      person: data.paraf[1].nama\n      signature: true\n      profile: pejabat\n")]}


@dataclass
class Machines:
    database: str
    redis: RedisServer
    receiver: CallbackReceiver
    answers: Answers
    seaweed: object
    apis: list[ServiceProcess] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)

    def rows(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        return pg_rows(self.database, sql, parameters)

    def objects(self, prefix: str) -> list[str]:
        pages = self.seaweed.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    @property
    def worker_logs(self) -> str:
        """What the workers and beat said, without beat's line for each task it sends (they would hide the rest)."""
        return "".join(line for worker in self.workers for line in worker.log.splitlines(keepends=True)
                       if "Scheduler: Sending due task" not in line)


@pytest.fixture(scope="module")
def machines(tmp_path_factory, postgres, seaweed, test_pki):
    work = tmp_path_factory.mktemp("machines")
    database = postgres.new_database()
    redis, receiver = RedisServer().start(), CallbackReceiver(failures_first=0)
    machines = Machines(database, redis, receiver, Answers(receiver), seaweed)
    options = dict(pool_size=1, signing_dir=signing_dir(work, test_pki), callback_prefix=receiver.prefix,
                   extra_env=seaweed.environment(), service_toml=SERVICE,
                   top_toml=f'state = "{database}"\nmappings_dir = "{mappings_dir(work, EDITS)}"\n',
                   extra_toml=seaweed.store_toml(BUCKET, index=database) + cluster_toml(
                       redis, database, requeue_after=5, requeue_every=1))
    try:
        first = ServiceProcess(work / "a", work / "a" / "data", **options)
        second = ServiceProcess(work / "b", work / "b" / "data", **options)
        second.token, second.secret, second.env = first.token, first.secret, first.env  # one installation
        machines.apis = [first.start(), second.start()]
        assert first.store != second.store
        # supervised as deploy/systemd does: a worker that kombu ends while Redis is away is started again
        machines.workers = [WorkerProcess(first, name).start().supervised() for name in ("w1", "w2")]
        machines.workers.append(WorkerProcess(first, "beat", beat=True).start().supervised())
        for worker in machines.workers[:2]:
            worker.wait_ready()
        yield machines
    finally:
        stop_all(machines.workers, machines.apis)
        receiver.close()
        redis.stop()


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _draft(api: ServiceProcess, workflow_id: str, callback_url: str | None = None) -> str:
    body = {"payload": permohonan(workflow_id), "actor": STAFF} | ({"callback_url": callback_url}
                                                                       if callback_url else {})
    return _ok(api.post("/api/v1/drafts", json=body), 201)["id"]


def _paraf(api: ServiceProcess, draft_id: str, actor: dict) -> dict:
    body = {"actor": actor} | ({"credential": CREDENTIAL} if actor is SEKRETARIS else {})
    return _ok(api.post(f"/api/v1/drafts/{draft_id}/paraf", json=body))


def _sign(api: ServiceProcess, draft_id: str) -> dict:
    return _ok(api.post(f"/api/v1/drafts/{draft_id}/sign", json={"actor": KEPALA, "credential": CREDENTIAL}), 201)


def _until(what: str, check, timeout: float = 180, logs=lambda: ""):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}\n{logs()[-8000:]}")
        time.sleep(0.3)
    return found


def test_a_draft_made_on_one_machine_is_previewed_reviewed_and_signed_on_another(machines, tmp_path):
    first, second = machines.apis
    draft_id = _draft(first, "WF-MACHINES-1")

    pdf = second.get(f"/api/v1/drafts/{draft_id}/preview.pdf")
    assert pdf.status_code == 200, pdf.text
    text = flat(pdftotext(pdf.content))
    assert "DRAFT - belum ditandatangani" in text and "Permohonan Pelibatan Pejabat Fungsional Arsiparis" in text
    png = second.get(f"/api/v1/drafts/{draft_id}/preview.png", params={"page": 1})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n"), png.text[:300]

    _paraf(second, draft_id, KASUBAG)
    reviewed = _paraf(second, draft_id, SEKRETARIS)  # an electronic paraf: the reviewer signs the draft
    note = reviewed["trail"][-1]["note"]
    digest = re.fullmatch(r"\(paraf elektronik, SHA-256 ([0-9a-f]{64})\)", note).group(1)
    assert machines.objects(f"drafts/{draft_id}/") == [f"drafts/{draft_id}/v1-paraf-2.pdf",
                                                       f"drafts/{draft_id}/v1.json", f"drafts/{draft_id}/v1.pdf"]
    paraf = machines.seaweed.client().get_object(Bucket=BUCKET, Key=f"drafts/{draft_id}/v1-paraf-2.pdf")
    (tmp_path / "paraf.pdf").write_bytes(paraf["Body"].read())
    assert hashlib.sha256((tmp_path / "paraf.pdf").read_bytes()).hexdigest() == digest
    report = pdfsig(tmp_path / "paraf.pdf")
    assert "Signature is Valid." in report and "Paraf_2" in report

    letter = _sign(second, draft_id)
    assert letter["draft"]["state"] == "signed"
    signed = first.get(letter["pdf_url"])  # served by the other machine too
    assert signed.status_code == 200
    (tmp_path / "signed.pdf").write_bytes(signed.content)
    assert "Signature is Valid." in pdfsig(tmp_path / "signed.pdf")
    assert letter["nomor"] in flat(pdftotext(signed.content)) and "DRAFT" not in pdftotext(signed.content)
    assert machines.objects(f"letters/{letter['letter_id']}") == [
        f"letters/{letter['letter_id']}-{letter['sha256'][:12]}.pdf"], "the letter once in the bucket"
    assert machines.rows("SELECT count(*) FROM letters WHERE workflow_id = 'WF-MACHINES-1'") == [(1,)]
    for api in machines.apis:
        assert not (api.store / "drafts").exists(), f"no draft file on the disk of {api.store}"


def _delivered_events(machines: Machines, drafts: list[str]) -> bool:
    states = machines.rows("SELECT state, count(*) FROM naskah_flow_events WHERE draft_id = ANY(%s) GROUP BY state",
                           (drafts,))
    return bool(states) and dict(states).keys() == {"delivered"}


def test_each_flow_event_is_accepted_once_across_two_instances_a_restart_and_a_redis_restart(machines):
    first, second = machines.apis
    url = machines.receiver.prefix + "flow/{}"
    machines.answers.refuse()  # the host's endpoint refuses every call for now
    one = _draft(first, "WF-MACHINES-EV-1", url.format(1))
    two = _draft(second, "WF-MACHINES-EV-2", url.format(2))
    _paraf(second, one, KASUBAG)
    tried = lambda: {call["headers"].get("X-Naskah-Delivery") for call, _ in machines.answers.calls()} - {None}  # noqa: E731
    _until("the three events tried and refused", lambda: len(tried()) >= 3)
    owed = machines.rows("SELECT count(*) FROM naskah_flow_events WHERE state = 'pending'")[0][0]
    assert owed == 3, "drafted twice and one paraf: owed while the host refuses them"

    assert first.stop() in (0, -15), first.log[-3000:]  # restarted while they are owed: it posts none again
    first.start()
    machines.answers.accept()

    def paraf_while_redis_is_down():
        _paraf(first, two, KASUBAG)  # recorded; not handed to the workers (the broker is away)

    machines.redis.restart(while_down=paraf_while_redis_is_down)
    _paraf(first, one, SEKRETARIS)
    _sign(second, one)
    _until("every event delivered", lambda: _delivered_events(machines, [one, two]),
           logs=lambda: machines.worker_logs)

    events = machines.rows("SELECT event_id, draft_id, event FROM naskah_flow_events WHERE draft_id = ANY(%s)",
                           ([one, two],))
    assert sorted(event for _, draft, event in events if draft == one) == sorted(
        ["letter.drafted", "letter.paraf", "letter.paraf", "letter.signed"])
    assert sorted(event for _, draft, event in events if draft == two) == ["letter.drafted", "letter.paraf"]
    accepted = machines.answers.accepted("X-Naskah-Delivery")
    assert {event_id: accepted[event_id] for event_id, _, _ in events} == {event_id: 1 for event_id, _, _ in events}
    for call, status in machines.answers.calls():
        if call["path"].startswith("/naskah/flow/"):
            body = json.loads(call["body"])
            assert signature_holds(first.secret, call) and call["headers"]["X-Naskah-Event"] == body["event"]
            assert call["path"] == f"/naskah/flow/{1 if body['draft']['id'] == one else 2}"
    (late,) = [event_id for event_id, draft, event in events if draft == two and event == "letter.paraf"]
    assert f"event {late} is still owed" in machines.worker_logs, "beat's round handed it to the workers"
    assert not any("callback of letter." in api.log for api in machines.apis), "the workers post them, no API"


def test_a_host_whose_callback_endpoint_is_down_holds_up_no_letter(machines):
    first, second = machines.apis
    machines.answers.refuse()  # down
    before = len(machines.answers.calls())
    jobs = []
    for number in range(1, 5):
        payload = surat_tugas(f"WF-MACHINES-JOB-{number}", number)
        payload["callback_url"] = f"{machines.receiver.prefix}jobs/{number}"
        accepted = (first, second)[number % 2].issue(payload, mode="async")
        jobs.append(_ok(accepted, 202)["job_id"])

    def issued():
        found = [first.get(f"/api/v1/jobs/{job_id}").json() for job_id in jobs]
        return found if all(job["state"] == "done" for job in found) else None

    # each letter task finishes while the callbacks are refused: a callback retried inside it (20 tries, up to
    # 10 s apart) would hold each of the two workers for nearly three minutes, and the letters behind it queued
    done = _until("every letter issued with the host's endpoint down", issued, timeout=120,
                  logs=lambda: machines.worker_logs)
    refused = machines.answers.calls()[before:]
    assert all(job["http_status"] == 201 and job["callback"]["state"] == "pending" for job in done), done
    assert all(status == 503 for _, status in refused), "nothing accepted: the endpoint is down"
    for job_id in jobs:
        assert re.search(rf"Task naskah\.issue\[{job_id}\] succeeded", machines.worker_logs), job_id
    _until("each callback tried while the endpoint is down", lambda: set(jobs) <= {
        call["headers"].get("X-Naskah-Job") for call, _ in machines.answers.calls()})

    machines.answers.accept()  # back

    def called():
        found = [first.get(f"/api/v1/jobs/{job_id}").json() for job_id in jobs]
        return found if all(job["callback"]["state"] == "delivered" for job in found) else None

    delivered = _until("every callback delivered once the endpoint is back", called,
                       logs=lambda: machines.worker_logs)
    accepted = machines.answers.accepted("X-Naskah-Job")
    assert {job_id: accepted[job_id] for job_id in jobs} == {job_id: 1 for job_id in jobs}
    for number, (job_id, job) in enumerate(zip(jobs, delivered), start=1):
        mine = [call for call, _ in machines.answers.calls() if call["headers"].get("X-Naskah-Job") == job_id]
        assert all(call["path"] == f"/naskah/jobs/{number}" and signature_holds(first.secret, call) for call in mine)
        assert {json.loads(call["body"])["letter"]["letter_id"] for call in mine} == {job["letter"]["letter_id"]}
    assert re.search(r"Task naskah\.callback\[[^]]+\] retry: Retry in \d+s", machines.worker_logs), \
        "Celery retried them"
