"""Two processes sign reviewed drafts at the same time (issue 12): every letter gets its own number, the numbers
are consecutive and none is skipped, also when some signings fail; on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from zoneinfo import ZoneInfo

import pytest
from samples import load_sample

from naskah.config import load_settings
from naskah.convert import pool_from_settings
from naskah.lifecycle import Actor
from naskah.pipeline import Naskah
from naskah.signature_flow import SignatureFlow

PER_PROCESS = 8
SIGNER = '{"user_id": "pns-01", "name": "Dr. Agus Salim, S.T., M.T."}'

# One signing process: signs the drafts it is given, one by one; every third one is made to fail after its number
# was taken (the signature step raises), so the register must give that number back.
WORKER = textwrap.dedent("""
    import json, sys
    from naskah.config import load_settings
    from naskah.lifecycle import Actor
    from naskah.pipeline import Naskah
    from naskah.signature_flow import SignatureFlow

    flow = SignatureFlow(Naskah(load_settings(None)))
    signer = Actor.model_validate_json(sys.argv[1])
    real_sign = flow.naskah.sign_and_store
    for index, draft_id in enumerate(sys.argv[2:]):
        if index % 3 == 2:
            flow.naskah.sign_and_store = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("token pulled out"))
            try:
                flow.sign(draft_id, signer)
            except RuntimeError:
                print("failed", draft_id, flush=True)
            flow.naskah.sign_and_store = real_sign
        issued = flow.sign(draft_id, signer)
        print("signed", draft_id, issued.metadata["nomor"], flush=True)
""")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_processes_sign_at_once_and_the_numbers_run_without_gaps(database, request, tmp_path, data_dir):
    state = request.getfixturevalue("postgres").new_database() if database == "postgresql" else None
    env = {**os.environ, "NASKAH_DATA_DIR": str(data_dir), "NASKAH_STORE_DIR": str(tmp_path / "store"),
           **({"NASKAH_STATE": state} if state else {})}
    settings = load_settings(None, data_dir=data_dir, store_dir=tmp_path / "store", state=state)
    drafts = []
    with pool_from_settings(settings, 2) as pool:
        flow = SignatureFlow(Naskah(settings, pool=pool))
        staff = Actor(user_id="staf-07", name="Rina Kartika")
        for index in range(2 * PER_PROCESS):
            payload = load_sample("permohonan-pelibatan-lintas-unit")
            payload["data"].pop("nomor")
            payload["workflow"]["id"] = f"WF-CONCURRENT-{index:03d}"
            year = dt.date.today().year + 1
            payload["data"]["durasi"] = {"mulai": f"{year}-01-04", "selesai": f"{year}-04-30"}
            draft = flow.draft(payload, staff)
            flow.paraf(draft.id, Actor(user_id="pns-11", name="Siti Aminah, S.Sos."))
            drafts.append(flow.paraf(draft.id, Actor(user_id="pns-12", name="Ir. Bambang Santoso, M.M.")).id)

    workers = [subprocess.Popen([sys.executable, "-c", WORKER, SIGNER, *drafts[part::2]], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for part in (0, 1)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-2000:]
    signed = [line.split() for out, _ in outputs for line in out.splitlines() if line.startswith("signed")]
    failed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("failed")]
    assert len(signed) == 2 * PER_PROCESS and len(failed) == 2 * (PER_PROCESS // 3)

    year = dt.datetime.now(ZoneInfo("Asia/Jakarta")).year
    numbers = sorted(number for _, _, number in signed)
    assert numbers == [f"800.1.11.1/{sequence:04d}/35.73.401/{year}" for sequence in range(1, 2 * PER_PROCESS + 1)]
    flow = SignatureFlow(Naskah(settings))
    by_draft = {draft_id: number for _, draft_id, number in signed}
    for draft_id in drafts:
        draft = flow.get(draft_id)
        assert draft.state == "signed" and draft.number == by_draft[draft_id]
    assert flow.register.last(f"35.73.401/{year}") == 2 * PER_PROCESS
