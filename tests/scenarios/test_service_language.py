"""The service answers in the language of the request (``Accept-Language``), else in the installation's: every
rule's refusal with the same status, code and field paths in Indonesian and in English, only the words differ."""
from __future__ import annotations

import pytest

from refusals import REFUSALS
from service_support import ServiceProcess


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir):
    """An Indonesian installation (the default)."""
    service = ServiceProcess(tmp_path_factory.mktemp("service-id"), data_dir, pool_size=1, language="id").start()
    yield service
    service.stop()


def _refused(service, payload, accept: str | None) -> dict:
    headers = service.bearer() | ({"Accept-Language": accept} if accept else {})
    response = service.post("/api/v1/letters", json=payload, headers=headers)
    assert response.status_code == 422, response.text
    return response.json()["error"]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[refusal.name for refusal in REFUSALS])
def test_each_rule_refuses_in_the_language_the_request_asks(service, refusal):
    indonesian = _refused(service, refusal.payload(), None)
    english = _refused(service, refusal.payload(), "en-US,en;q=0.9")
    assert indonesian["code"] == english["code"] == "payload_refused"
    assert [p["field"] for p in indonesian["problems"]] == [p["field"] for p in english["problems"]]
    assert any(p["field"] == refusal.field and refusal.indonesian in p["message"] for p in indonesian["problems"])
    assert any(p["field"] == refusal.field and refusal.english in p["message"] for p in english["problems"])
    count = len(english["problems"])
    assert indonesian["message"] == f"payload ditolak, {count} masalah"
    assert english["message"] == f"payload refused, {count} problem{'s' * (count != 1)}"
    assert _refused(service, refusal.payload(), "id-ID,id;q=0.9,en;q=0.5") == indonesian


def test_other_errors_speak_the_request_language_too(service):
    headers = service.bearer()
    missing = service.get("/api/v1/drafts/no-such-draft", headers=headers).json()["error"]
    assert (missing["code"], missing["message"]) == ("not_found", "tidak ada konsep dengan id ini")
    english = service.get("/api/v1/drafts/no-such-draft", headers=headers | {"Accept-Language": "en"}).json()["error"]
    assert (english["code"], english["message"]) == ("not_found", "no draft with this id")
    nowhere = service.get("/api/v1/no-such-thing", headers=headers).json()["error"]
    assert (nowhere["code"], nowhere["message"]) == ("not_found", "sumber daya tidak ditemukan")


def test_an_english_installation_answers_in_english_unless_asked(tmp_path, data_dir):
    service = ServiceProcess(tmp_path / "service-en", data_dir, pool_size=1, language="en").start()
    try:
        refusal = REFUSALS[0]
        assert _refused(service, refusal.payload(), None)["problems"][0]["message"] == refusal.english
        assert _refused(service, refusal.payload(), "fr-FR")["problems"][0]["message"] == refusal.english
        assert _refused(service, refusal.payload(), "id")["problems"][0]["message"] == refusal.indonesian
    finally:
        service.stop()
