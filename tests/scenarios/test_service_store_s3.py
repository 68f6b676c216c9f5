"""`naskah serve` with its letters in an S3 bucket (a real SeaweedFS on 127.0.0.1) and the store's index in a
real PostgreSQL: a letter issued through the API is an object in the bucket (read with boto3, not through
naskah) whose bytes are the PDF the API serves; the signature checks out, an upload of it is recognised as the
stored letter, the public verification page shows it; issuing again gives the same letter and no second
object; nothing is written to a local letters folder."""
from __future__ import annotations

import hashlib
import json

import pytest
import requests

from checks import pdfsig
from samples import EXAMPLES
from service_support import ServiceProcess


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, seaweed, postgres):
    service = ServiceProcess(tmp_path_factory.mktemp("service-s3"), data_dir, pool_size=1,
                             extra_toml=seaweed.store_toml("naskah-letters", index=postgres.new_database()),
                             extra_env=seaweed.environment()).start()
    yield service
    assert service.stop() in (0, -15), service.log


def test_a_letter_issued_through_the_api_is_an_object_in_the_bucket(service, seaweed, data_dir, tmp_path):
    from naskah.validation import verify_pdf

    payload = json.loads((EXAMPLES / "surat-tugas-tim.json").read_text(encoding="utf-8"))
    response = service.issue(payload)
    assert response.status_code == 201, response.text
    letter = response.json()

    s3 = seaweed.client()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="naskah-letters").get("Contents", [])]
    assert keys == [f"letters/{letter['letter_id']}-{letter['sha256'][:12]}.pdf"]
    in_bucket = s3.get_object(Bucket="naskah-letters", Key=keys[0])["Body"].read()
    assert hashlib.sha256(in_bucket).hexdigest() == letter["sha256"]

    served = service.get(letter["pdf_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    assert served.content == in_bucket
    (tmp_path / "letter.pdf").write_bytes(served.content)
    assert "Signature is Valid." in pdfsig(tmp_path / "letter.pdf")
    assert verify_pdf(served.content, trust_roots=[data_dir / "demo-signer" / "demo-root.pem"]).ok

    checked = service.post("/api/v1/verify", files={"file": ("letter.pdf", served.content, "application/pdf")})
    assert checked.status_code == 200, checked.text
    assert checked.json()["ok"] is True and checked.json()["letter_id"] == letter["letter_id"]
    page = requests.get(letter["verification_url"], timeout=60)
    assert page.status_code == 200 and "800.1.11.1/0123/35.73.401/2023" in page.text

    again = service.issue(payload)
    assert again.status_code == 200 and again.json()["reused"] is True
    assert again.json()["letter_id"] == letter["letter_id"]
    assert len(s3.list_objects_v2(Bucket="naskah-letters").get("Contents", [])) == 1, "no second object"
    assert not (service.store / "letters").exists(), "nothing in a local letters folder"
    assert not (service.store / "index.sqlite").exists(), "the index is in PostgreSQL"
    assert requests.get(service.url("/ready"), timeout=30).status_code == 200
