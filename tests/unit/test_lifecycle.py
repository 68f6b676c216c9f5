"""The letter lifecycle (issue 12): paraf in order, signature, return and revision, withdrawal, revocation and
correction, on a real SQLite file and a real PostgreSQL; every step in the trail, every illegal step refused."""
from __future__ import annotations

import contextvars
import datetime as dt
import inspect
import threading

import pytest

from naskah.errors import NaskahError
from naskah.lifecycle import (Actor, DraftNotFound, FlowSpec, IllegalTransition, Lifecycle, LifecycleError,
                              Pending)

FLOW = FlowSpec.model_validate({
    "paraf": [{"title": "Kasubag Umum", "person": "data.paraf[0].nama"},
              {"title": "Sekretaris", "person": "data.paraf[1].nama", "signature": True}],
    "signer": {"title": "Kepala Dinas", "person": "data.penandatangan.nama"},
})
STAFF = Actor(user_id="u-staff", name="Rina Staf", title="Pengadministrasi Umum")
KASUBAG = Actor(user_id="u-kasubag", name="Budi Santoso", title="Kasubag Umum")
SEKRETARIS = Actor(user_id="u-sekretaris", name="Sri Wahyuni", title="Sekretaris")
KEPALA = Actor(user_id="u-kepala", name="Dr. Ahmad", title="Kepala Dinas")
HOST = Actor(user_id="host", name="e-office")
SIGNED_ON = dt.date(2023, 6, 27)


@pytest.fixture
def lifecycle(location) -> Lifecycle:
    """The lifecycle in a SQLite file, and the same code on a real PostgreSQL."""
    return Lifecycle(location)


def _draft(lifecycle: Lifecycle, flow: FlowSpec = FLOW, payload: dict | None = None):
    return lifecycle.create_draft(host="host-eoffice", mapping="permohonan_pelibatan", workflow_id="WF-7",
                                  payload=payload or {"data": {"hal": "Permohonan Pelibatan"}}, flow=flow,
                                  actor=STAFF)


def _sign(lifecycle: Lifecycle, draft_id: str, letter_id: str = "L-1", **kwargs):
    return lifecycle.mark_signed(draft_id, KEPALA, letter_id=letter_id, number="800.1.11.1/0123/35.73.401/2023",
                                 signed_date=SIGNED_ON, **kwargs)


def test_a_draft_is_initialled_in_order_then_signed_and_the_trail_keeps_every_step(lifecycle):
    draft = _draft(lifecycle)
    assert (draft.state, draft.version, draft.step) == ("draft", 1, 0)
    assert len(draft.id) == 22 and draft.id.replace("-", "").replace("_", "").isalnum()  # 128 random bits
    assert lifecycle.pending_step(draft.id) == Pending("paraf", 0, "Kasubag Umum", "data.paraf[0].nama", False)

    with pytest.raises(IllegalTransition) as refused:  # the Sekretaris before the Kasubag Umum
        lifecycle.paraf(draft.id, SEKRETARIS, 1)
    assert str(refused.value) == (
        f"cannot paraf draft {draft.id} as Sekretaris (paraf 2 of 2): it is draft and waiting for the paraf of "
        "Kasubag Umum (paraf 1 of 2)")
    assert isinstance(refused.value, NaskahError)
    assert lifecycle.get(draft.id) == draft

    draft = lifecycle.paraf(draft.id, KASUBAG, 0, note="sudah sesuai")
    assert (draft.state, draft.step) == ("in_review", 1)
    assert lifecycle.pending_step(draft.id) == Pending("paraf", 1, "Sekretaris", "data.paraf[1].nama", True)
    with pytest.raises(IllegalTransition, match="as Kasubag Umum .*waiting for the paraf of Sekretaris"):
        lifecycle.paraf(draft.id, KASUBAG, 0)  # the same paraf twice
    draft = lifecycle.paraf(draft.id, SEKRETARIS, 1)
    assert draft.state == "awaiting_signature"
    assert lifecycle.pending_step(draft.id) == Pending("sign", None, "Kepala Dinas", "data.penandatangan.nama", True)

    with pytest.raises(TypeError, match="not a datetime"):
        lifecycle.mark_signed(draft.id, KEPALA, letter_id="L-1", number="1", signed_date=dt.datetime.now())
    draft = _sign(lifecycle, draft.id)
    assert (draft.state, draft.letter_id, draft.number, draft.signed_date) == (
        "signed", "L-1", "800.1.11.1/0123/35.73.401/2023", SIGNED_ON)
    assert lifecycle.pending_step(draft.id) is None
    assert lifecycle.by_letter("L-1") == draft and lifecycle.by_letter("L-2") is None

    trail = lifecycle.trail(draft.id)
    assert [(entry.seq, entry.action, entry.state, entry.actor_name, entry.actor_title, entry.version, entry.step)
            for entry in trail] == [
        (1, "create", "draft", "Rina Staf", "Pengadministrasi Umum", 1, None),
        (2, "paraf", "in_review", "Budi Santoso", "Kasubag Umum", 1, 0),
        (3, "paraf", "awaiting_signature", "Sri Wahyuni", "Sekretaris", 1, 1),
        (4, "sign", "signed", "Dr. Ahmad", "Kepala Dinas", 1, None),
    ]
    assert trail[1].note == "sudah sesuai" and trail[1].actor_id == "u-kasubag"
    times = [dt.datetime.fromisoformat(entry.at) for entry in trail]
    assert all(time.utcoffset() == dt.timedelta(0) for time in times) and times == sorted(times)
    assert abs(dt.datetime.now(dt.timezone.utc) - times[-1]) < dt.timedelta(minutes=1)


def test_a_returned_draft_is_revised_as_a_new_version_and_reviewed_again(lifecycle):
    draft = _draft(lifecycle, payload={"data": {"hal": "first"}})
    lifecycle.paraf(draft.id, KASUBAG, 0)
    draft = lifecycle.return_(draft.id, SEKRETARIS, "durasi belum diisi")
    assert draft.state == "returned" and lifecycle.pending_step(draft.id) == Pending("revise")
    with pytest.raises(IllegalTransition, match=f"cannot paraf draft {draft.id}: it is returned"):
        lifecycle.paraf(draft.id, SEKRETARIS, 1)

    draft = lifecycle.revise(draft.id, STAFF, {"data": {"hal": "second"}})
    assert (draft.state, draft.version, draft.step, draft.payload) == ("draft", 2, 0, {"data": {"hal": "second"}})
    with pytest.raises(IllegalTransition, match="waiting for the paraf of Kasubag Umum"):
        lifecycle.paraf(draft.id, SEKRETARIS, 1)  # reviews start again from the first step
    with pytest.raises(IllegalTransition) as stale:  # a paraf of what the reviewer saw before the revision
        lifecycle.paraf(draft.id, KASUBAG, 0, version=1)
    assert str(stale.value) == f"cannot paraf draft {draft.id} version 1: it is draft at version 2 now"

    lifecycle.paraf(draft.id, KASUBAG, 0, version=2)
    lifecycle.paraf(draft.id, SEKRETARIS, 1, version=2)
    draft = lifecycle.return_(draft.id, KEPALA, "tanggal salah")  # the signer returns it too
    draft = lifecycle.revise(draft.id, STAFF, {"data": {"hal": "third"}}, version=2, note="tanggal diperbaiki")
    assert draft.version == 3

    trail = lifecycle.trail(draft.id)
    assert [(entry.action, entry.version, entry.note) for entry in trail] == [
        ("create", 1, None), ("paraf", 1, None), ("return", 1, "durasi belum diisi"), ("revise", 2, None),
        ("paraf", 2, None), ("paraf", 2, None), ("return", 2, "tanggal salah"), ("revise", 3, "tanggal diperbaiki"),
    ]
    with pytest.raises(LifecycleError, match="without a note"):
        lifecycle.return_(draft.id, KASUBAG, "  ")


# The diagram of DESIGN.md, written out independently of the code's table.
ALLOWED = {
    "submit": {"draft"},
    "paraf": {"draft", "in_review"},
    "return": {"in_review", "awaiting_signature"},
    "revise": {"returned"},
    "withdraw": {"draft", "in_review", "awaiting_signature", "returned"},
    "sign": {"awaiting_signature"},
    "revoke": {"signed"},
    "supersede": {"signed"},
}
STATES = ("draft", "in_review", "awaiting_signature", "returned", "withdrawn", "signed", "revoked", "superseded")


def _draft_in(lifecycle: Lifecycle, state: str):
    draft = _draft(lifecycle)
    steps = {
        "in_review": [lambda: lifecycle.paraf(draft.id, KASUBAG, 0)],
        "awaiting_signature": [lambda: lifecycle.paraf(draft.id, KASUBAG, 0),
                               lambda: lifecycle.paraf(draft.id, SEKRETARIS, 1)],
        "returned": [lambda: lifecycle.paraf(draft.id, KASUBAG, 0), lambda: lifecycle.return_(draft.id, KEPALA, "x")],
        "withdrawn": [lambda: lifecycle.withdraw(draft.id, HOST)],
        "signed": [lambda: lifecycle.submit(draft.id, STAFF), lambda: lifecycle.paraf(draft.id, KASUBAG, 0),
                   lambda: lifecycle.paraf(draft.id, SEKRETARIS, 1), lambda: _sign(lifecycle, draft.id, draft.id)],
    }
    steps["revoked"] = steps["signed"] + [lambda: lifecycle.revoke(draft.id, HOST, "salah alamat")]
    steps["superseded"] = steps["signed"] + [lambda: lifecycle.supersede(draft.id, HOST, "L-new")]
    for step in steps.get(state, []):
        draft = step()
    assert draft.state == state
    return draft


def _try(lifecycle: Lifecycle, action: str, draft):
    calls = {
        "submit": lambda: lifecycle.submit(draft.id, STAFF),
        "paraf": lambda: lifecycle.paraf(draft.id, KASUBAG if draft.step == 0 else SEKRETARIS, min(draft.step, 1)),
        "return": lambda: lifecycle.return_(draft.id, KEPALA, "catatan"),
        "revise": lambda: lifecycle.revise(draft.id, STAFF, {"data": {}}),
        "withdraw": lambda: lifecycle.withdraw(draft.id, HOST),
        "sign": lambda: _sign(lifecycle, draft.id, f"{draft.id}-letter"),
        "revoke": lambda: lifecycle.revoke(draft.id, HOST, "alasan"),
        "supersede": lambda: lifecycle.supersede(draft.id, HOST, "L-other"),
    }
    return calls[action]()


@pytest.mark.parametrize("state", STATES)
def test_each_state_allows_exactly_the_steps_of_the_diagram(lifecycle, state):
    for action, sources in ALLOWED.items():
        draft = _draft_in(lifecycle, state)
        trail = lifecycle.trail(draft.id)
        if state in sources:
            after = _try(lifecycle, action, draft)
            assert after.state != state or action == "paraf", (state, action)
            assert len(lifecycle.trail(draft.id)) == len(trail) + 1
            continue
        with pytest.raises(IllegalTransition) as refused:
            _try(lifecycle, action, draft)
        assert str(refused.value) == f"cannot {action} draft {draft.id}: it is {state}"
        assert (refused.value.state, refused.value.action) == (state, action)
        assert lifecycle.get(draft.id) == draft and lifecycle.trail(draft.id) == trail


def test_where_each_step_leads(lifecycle):
    assert lifecycle.submit(_draft(lifecycle).id, STAFF).state == "in_review"
    for state in ("draft", "in_review", "awaiting_signature", "returned"):
        assert lifecycle.withdraw(_draft_in(lifecycle, state).id, HOST, note="batal").state == "withdrawn"
    revoked = lifecycle.revoke(_draft_in(lifecycle, "signed").id, HOST, "  salah alamat ")
    assert (revoked.state, revoked.revocation_reason) == ("revoked", "salah alamat")
    assert dt.datetime.fromisoformat(revoked.closed_at).utcoffset() == dt.timedelta(0)
    assert lifecycle.trail(revoked.id)[-1].note == "salah alamat"
    with pytest.raises(LifecycleError, match="cannot revoke draft .* without a note"):
        lifecycle.revoke(_draft_in(lifecycle, "signed").id, HOST, "")
    superseded = lifecycle.supersede(_draft_in(lifecycle, "signed").id, HOST, "L-koreksi")
    assert (superseded.state, superseded.superseded_by) == ("superseded", "L-koreksi")
    assert superseded.letter_id == superseded.id and superseded.number  # the signed facts stay


def test_a_flow_without_paraf_goes_to_the_signer_on_submit_and_a_seal_needs_no_person(lifecycle):
    direct = FlowSpec.model_validate({"signer": {"title": "Kepala Dinas", "person": "data.kepala"}})
    draft = _draft(lifecycle, direct)
    assert lifecycle.pending_step(draft.id) == Pending("submit")
    with pytest.raises(IllegalTransition, match="its flow has no paraf steps"):
        lifecycle.paraf(draft.id, KASUBAG, 0)
    assert lifecycle.submit(draft.id, STAFF).state == "awaiting_signature"
    assert _sign(lifecycle, draft.id).state == "signed"

    sealed = _draft(lifecycle, FlowSpec.model_validate("seal"))
    assert lifecycle.submit(sealed.id, HOST).state == "awaiting_signature"
    assert lifecycle.pending_step(sealed.id) == Pending("seal")
    assert _sign(lifecycle, sealed.id, "L-seal").state == "signed"


def test_a_paraf_step_that_does_not_exist_and_an_unknown_draft_are_refused(lifecycle):
    draft = _draft(lifecycle)
    with pytest.raises(IllegalTransition, match="as paraf 3 of 2: its flow has no such step"):
        lifecycle.paraf(draft.id, KASUBAG, 2)
    with pytest.raises(DraftNotFound, match="there is no draft nope"):
        lifecycle.paraf("nope", KASUBAG, 0)
    with pytest.raises(DraftNotFound):
        lifecycle.trail("nope")


def test_a_letter_id_is_signed_once(lifecycle):
    first, second = _draft_in(lifecycle, "awaiting_signature"), _draft_in(lifecycle, "awaiting_signature")
    _sign(lifecycle, first.id, "L-same")
    with pytest.raises(IllegalTransition, match=f"as letter L-same: draft {first.id} is that letter already"):
        _sign(lifecycle, second.id, "L-same")
    assert lifecycle.get(second.id).state == "awaiting_signature"


def test_of_concurrent_parafs_of_one_step_exactly_one_happens(lifecycle):
    draft = _draft(lifecycle)
    start, outcomes = threading.Barrier(6), []

    def paraf():
        start.wait()
        try:
            outcomes.append(lifecycle.paraf(draft.id, KASUBAG, 0).state)
        except IllegalTransition as error:
            outcomes.append(str(error))

    # each thread a caller of its own, reading English like the test (a thread starts without the language)
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(paraf,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("in_review") == 1, outcomes
    assert all(("changed meanwhile" in outcome or "waiting for the paraf of Sekretaris" in outcome)
               for outcome in outcomes if outcome != "in_review")
    assert [entry.action for entry in lifecycle.trail(draft.id)] == ["create", "paraf"]


def test_the_flow_is_declared_completely():
    with pytest.raises(ValueError, match="names its signer"):
        FlowSpec.model_validate({"paraf": [{"title": "Sekretaris", "person": "data.s"}]})
    with pytest.raises(ValueError, match="a sealed letter has no paraf steps"):
        FlowSpec.model_validate({"kind": "seal", "signer": {"person": "data.k"}})
    with pytest.raises(ValueError, match="extra"):
        FlowSpec.model_validate({"signer": {"person": "data.k"}, "signers": []})
    with pytest.raises(ValueError):
        FlowSpec.model_validate({"paraf": [{"title": "", "person": "data.s"}], "signer": {"person": "data.k"}})
    assert FlowSpec.model_validate("seal").kind == "seal"


def test_no_step_takes_a_credential():
    """The signer's passphrase, one-time code or PIN never reaches the lifecycle: no method can take one."""
    names = {name.lower() for _, method in inspect.getmembers(Lifecycle, inspect.isfunction)
             for name in inspect.signature(method).parameters}
    words = {word for name in names for word in name.split("_")}
    assert names >= {"draft_id", "actor", "payload"}
    assert not words & {"passphrase", "password", "pin", "otp", "totp", "secret", "credential", "key", "token"}
