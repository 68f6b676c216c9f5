"""The store with its PDFs in an S3 bucket, on a real S3 server (SeaweedFS, ``weed server -s3`` on 127.0.0.1):
a letter put is an object in the bucket (read back with boto3, not through naskah), its index row in SQLite
or PostgreSQL points to it; the same letter stored at once by several callers is one row and one object; a
file left by a process killed before its row is deleted when the letter is stored; a renewed PDF replaces the
old object; the outbox reads a letter's PDF from the bucket; the configuration names variables, never keys."""
from __future__ import annotations

import hashlib
import threading
import uuid

import pytest

from naskah.config import load_settings
from naskah.errors import ConfigError, StoreConflictError
from naskah.objects import ObjectLocation, StoreOptions, location_of
from naskah.store import LocalStore

METADATA = {"jenis": "surat_tugas_tim", "workflow_id": "WF-1", "nomor": "800/1/2023", "hal": "Surat Tugas"}


@pytest.fixture
def s3_options(seaweed, monkeypatch) -> StoreOptions:
    for name, value in seaweed.environment().items():
        monkeypatch.setenv(name, value)
    # one bucket for the module (SeaweedFS makes volumes for each), a prefix of its own for each test
    return StoreOptions(kind="s3", bucket="letters", prefix=f"t{uuid.uuid4().hex[:8]}/", endpoint_url=seaweed.endpoint,
                        region="us-east-1", access_key_id_env="TEST_S3_ACCESS_KEY",
                        secret_access_key_env="TEST_S3_SECRET_KEY", create_bucket=True)


def _keys(seaweed, options: StoreOptions) -> list[str]:
    listed = seaweed.client().list_objects_v2(Bucket=options.bucket, Prefix=options.prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _put(store: LocalStore, letter_id: str = "a" * 32, pdf: bytes = b"%PDF-1.7 one", content_hash: str = "c-1"):
    return store.put(letter_id=letter_id, mapping="surat_tugas_tim", letter_kind="surat_tugas_tim",
                     workflow_id="WF-1", content_hash=content_hash, pdf=pdf, metadata=METADATA,
                     workflow_key="key-1")


def test_a_letter_put_is_an_object_in_the_bucket_and_a_row_in_the_index(seaweed, s3_options, location, tmp_path):
    store = LocalStore(tmp_path / "store", s3_options.model_copy(update={"index": location}))
    stored = _put(store)

    key = f"{s3_options.prefix}{'a' * 32}-{stored.sha256[:12]}.pdf"
    assert _keys(seaweed, s3_options) == [key]
    assert seaweed.client().get_object(Bucket=s3_options.bucket, Key=key)["Body"].read() == b"%PDF-1.7 one"
    assert isinstance(stored.pdf_path, ObjectLocation) and stored.pdf_path == f"s3://{s3_options.bucket}/{key}"
    assert stored.pdf_path.read_bytes() == b"%PDF-1.7 one"
    assert not (tmp_path / "store" / "letters").exists(), "no local folder of letters with a bucket"
    assert store.writable()

    again = LocalStore(tmp_path / "store", s3_options.model_copy(update={"index": location}))
    assert again.get(stored.letter_id) == stored and again.by_workflow_key("key-1") == stored
    assert _put(again) == stored, "the same letter again is the stored one"
    with pytest.raises(StoreConflictError):
        _put(again, pdf=b"%PDF-1.7 corrected", content_hash="c-2")
    assert _keys(seaweed, s3_options) == [key], "neither left an object behind"


def test_callers_storing_the_same_letter_at_once_keep_one_object(seaweed, s3_options, tmp_path):
    LocalStore(tmp_path / "store", s3_options)
    results, errors = [], []

    def put(number: int):
        try:
            results.append(_put(LocalStore(tmp_path / "store", s3_options), pdf=b"%%PDF-1.7 signing %d" % number))
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=put, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({result.pdf_path for result in results}) == 1
    assert _keys(seaweed, s3_options) == [results[0].pdf_path.key], "the losers' objects are gone"


def test_an_object_left_by_a_killed_process_goes_when_the_letter_is_stored(seaweed, s3_options, tmp_path):
    store = LocalStore(tmp_path / "store", s3_options)
    stray = store.objects.put(f"{'a' * 32}-000000000000.pdf", b"%PDF-1.7 signed by a worker that died")
    other = store.objects.put(f"{'b' * 32}-000000000000.pdf", b"%PDF-1.7 another letter's")
    stored = _put(store)
    assert _keys(seaweed, s3_options) == sorted([stored.pdf_path.key, other.key])
    assert stray.key not in _keys(seaweed, s3_options)


def test_a_renewed_pdf_replaces_the_object(seaweed, s3_options, tmp_path):
    store = LocalStore(tmp_path / "store", s3_options)
    stored = _put(store)
    path = store.replace_pdf(stored, b"%PDF-1.7 renewed")
    renewed = store.get(stored.letter_id)
    assert renewed.pdf_path == path and renewed.pdf_path.read_bytes() == b"%PDF-1.7 renewed"
    assert renewed.sha256 == hashlib.sha256(b"%PDF-1.7 renewed").hexdigest()
    assert _keys(seaweed, s3_options) == [path.key]


def test_a_recorded_location_reads_from_its_bucket_or_its_file(s3_options, tmp_path):
    store = LocalStore(tmp_path / "store", s3_options)
    stored = _put(store)
    assert location_of(str(stored.pdf_path)).read_bytes() == b"%PDF-1.7 one"  # as the outbox reads it back
    (tmp_path / "x.pdf").write_bytes(b"%PDF local")
    assert location_of(str(tmp_path / "x.pdf")).read_bytes() == b"%PDF local"


def test_the_configuration_names_variables_and_refuses_half_of_it(seaweed, monkeypatch, tmp_path):
    settings = load_settings(None, data_dir=tmp_path, store={
        "kind": "s3", "bucket": "letters", "endpoint_url": seaweed.endpoint,
        "access_key_id_env": "TEST_S3_ACCESS_KEY", "secret_access_key_env": "TEST_S3_SECRET_KEY"})
    monkeypatch.delenv("TEST_S3_ACCESS_KEY", raising=False)
    with pytest.raises(ConfigError, match="TEST_S3_ACCESS_KEY"):
        LocalStore(settings.store_path, settings.store)
    with pytest.raises(ConfigError, match="needs a bucket"):
        load_settings(None, store={"kind": "s3"})
    with pytest.raises(ConfigError, match="access_key_id_env"):
        load_settings(None, store={"kind": "s3", "bucket": "letters", "access_key_id_env": "AWS_KEY"})
    assert load_settings(None).store.kind == "folder", "the folder stays the default"
