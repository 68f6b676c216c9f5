"""Signing with the official's own credential, given at signing (PP 71/2019): BSrE v2 for a person (passphrase
or one-time code) and for the agency's seal over real HTTP against the BSrE TEST DOUBLE
(tests/support/signing_bsre_double.py); a personal PKCS#12 file and a personal key on SoftHSM2; a wrong
credential refused with its code and never shown; and the lockout that stops forwarding a signer's attempts
after repeated refusals, kept in SQL."""
from __future__ import annotations

import datetime as dt
import traceback

import pyotp
import pytest

from naskah.config import load_settings
from naskah.errors import ConfigError, SigningError
from naskah.sign import (PERSONAL_PASSPHRASE_REFUSED, Credential, CredentialMissing, CredentialRefused,
                         SignerLocked, SignerLockout, load_profile, sign_pdf, signer_key)
from naskah.sign.backends import keys
from naskah.validation import verify_pdf

from checks import pdfsig
from pki import P12_PASSWORD
from signing_bsre_double import PASSWORD_ENV, BsreTestDouble, DoubleUser

URL = "https://naskah.example.go.id/v/01HTESTCRED"
SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.", signer_title="Kepala Dinas Komunikasi dan Informatika")
NIK = "3573011503850002"
PASSPHRASE = "Rahasia-Pejabat#2026"
WRONG = "tebakan-Salah-123"
WRONG_PIN = "0000-salah-9999"
SEED = pyotp.random_base32()
SEAL = "DISKOMINFO-SEGEL-01"
SEAL_SEED = pyotp.random_base32()
CONNECTOR_PASSWORD = "konektor-dinas-7788"
SIGN_V2, SEAL_V2 = "/api/v2/sign/pdf", "/api/v2/seal/pdf"


@pytest.fixture(scope="module")
def double(test_pki):
    users = {NIK: DoubleUser(passphrase=PASSPHRASE, p12=test_pki.p12("signer"), p12_password=P12_PASSWORD,
                             totp_seed=SEED)}
    seals = {SEAL: DoubleUser(passphrase="", p12=test_pki.p12("signer"), p12_password=P12_PASSWORD,
                              totp_seed=SEAL_SEED)}
    with BsreTestDouble(username="naskah", password=CONNECTOR_PASSWORD, users=users, seals=seals,
                        tsa_url=test_pki.tsa_url) as service:
        yield service


@pytest.fixture
def bsre_v2(pki_profile, double, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, CONNECTOR_PASSWORD)

    def make(level: str = "B-T", lockout: dict | None = None, **key):
        spec = double.profile_key(**{"api": "v2", "nik": NIK, **key})
        return pki_profile(level, key=spec, **({"lockout": lockout} if lockout else {}))

    return make


def _signed_and_valid(data: bytes, test_pki, tmp_path, level: str, name: str = "v2.pdf") -> None:
    report = verify_pdf(data, trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    [sig] = report.signatures
    assert (sig.signer, sig.level, sig.field_name) == ("Drs. Hendra Wijaya (TEST)", level, "Signature_BSrE")
    path = tmp_path / name
    path.write_bytes(data)
    assert "Signature Validation: Signature is Valid." in pdfsig(path)


def _nowhere(secrets: list[str], error: BaseException | None, caplog, *folders) -> None:
    shown = caplog.text + ("" if error is None else str(error) + "".join(traceback.format_exception(error)))
    for secret in secrets:
        assert secret not in shown
        for folder in folders:
            for path in folder.rglob("*"):
                if path.is_file():
                    assert secret.encode() not in path.read_bytes(), path


# --- BSrE v2 ---

def test_v2_a_person_signs_with_the_passphrase_given_at_signing(pdfa_letters, bsre_v2, double, test_pki, tmp_path,
                                                                caplog):
    caplog.set_level("DEBUG")
    before = double.posts(SIGN_V2)
    data = sign_pdf(pdfa_letters["with_ttd"], bsre_v2("B-LTA"), verification_url=URL, location="Malang",
                    reason="Surat Tugas", credential=Credential(passphrase=PASSPHRASE), **SIGNER)
    assert double.posts(SIGN_V2) == before + 1
    _signed_and_valid(data, test_pki, tmp_path, "B-LTA")
    posted = [fields for method, path, fields in double.calls if path == SIGN_V2][-1]
    assert {"nik", "passphrase", "file", "signatureProperties", "signatureProperties.tampilan",
            "signatureProperties.page", "signatureProperties.originX", "signatureProperties.originY",
            "signatureProperties.width", "signatureProperties.height", "signatureProperties.linkQR",
            "signatureProperties.location", "signatureProperties.reason"} <= set(posted)
    assert "totp" not in posted
    _nowhere([PASSPHRASE, CONNECTOR_PASSWORD], None, caplog, tmp_path)


def test_v2_a_person_signs_with_a_one_time_code(pdfa_letters, bsre_v2, double, test_pki, tmp_path):
    code = pyotp.TOTP(SEED).now()
    data = sign_pdf(pdfa_letters["with_ttd"], bsre_v2("B-T"), verification_url=URL,
                    credential=Credential(totp=code), **SIGNER)
    _signed_and_valid(data, test_pki, tmp_path, "B-T")
    posted = [fields for method, path, fields in double.calls if path == SIGN_V2][-1]
    assert "totp" in posted and "passphrase" not in posted


def test_v2_the_agency_seals_with_a_code_from_the_request_or_from_its_seed(pdfa_letters, bsre_v2, double, test_pki,
                                                                           tmp_path, monkeypatch):
    seal = dict(kind="seal", subscriber_id=SEAL, nik=None)
    before = double.posts(SEAL_V2)
    data = sign_pdf(pdfa_letters["with_ttd"], bsre_v2("B-T", **seal), verification_url=URL,
                    credential=Credential(totp=pyotp.TOTP(SEAL_SEED).now()), **SIGNER)
    _signed_and_valid(data, test_pki, tmp_path, "B-T", "seal.pdf")
    posted = [fields for method, path, fields in double.calls if path == SEAL_V2][-1]
    assert {"idSubscriber", "totp", "file", "signatureProperties"} <= set(posted) and "nik" not in posted

    monkeypatch.setenv("NASKAH_TEST_SEAL_SEED", SEAL_SEED)  # a seal needs no person: naskah makes the code
    profile = bsre_v2("B-LTA", **seal, totp_seed_env="NASKAH_TEST_SEAL_SEED")
    assert not profile.personal
    _signed_and_valid(sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER), test_pki,
                      tmp_path, "B-LTA", "seal-lta.pdf")
    assert double.posts(SEAL_V2) == before + 2

    monkeypatch.setenv("NASKAH_TEST_SEAL_SEED", pyotp.random_base32())  # the installation's seed is wrong
    with pytest.raises(SigningError, match="status_code 2041.*NASKAH_TEST_SEAL_SEED") as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    assert not isinstance(refused.value, CredentialRefused), "not the signer's credential: not a 4xx"


def test_v2_a_wrong_passphrase_or_code_is_refused_with_its_code(pdfa_letters, bsre_v2, caplog):
    caplog.set_level("DEBUG")
    with pytest.raises(CredentialRefused) as refused:
        sign_pdf(pdfa_letters["with_ttd"], bsre_v2(), verification_url=URL, credential=Credential(passphrase=WRONG),
                 **SIGNER)
    assert refused.value.code == 2031 and refused.value.explanation == "wrong passphrase"
    message = str(refused.value)
    assert "wrong passphrase" in message and "status_code 2031" in message and "357301******0002" in message
    assert NIK not in message
    _nowhere([WRONG, PASSPHRASE, CONNECTOR_PASSWORD], refused.value, caplog)

    stale = "000000" if pyotp.TOTP(SEED).now() != "000000" else "111111"
    with pytest.raises(CredentialRefused) as refused:
        sign_pdf(pdfa_letters["with_ttd"], bsre_v2(), verification_url=URL, credential=Credential(totp=stale),
                 **SIGNER)
    assert refused.value.code == 2041 and "wrong or expired one-time code" in str(refused.value)
    assert stale not in str(refused.value).replace("357301******0002", "")


def test_without_the_credential_nothing_is_sent(pdfa_letters, bsre_v2, pki_profile, double):
    before = len(double.calls)
    for credential in (None, Credential(), Credential(pin="1234")):
        with pytest.raises(CredentialMissing, match="passphrase or a one-time code"):
            sign_pdf(pdfa_letters["with_ttd"], bsre_v2(), verification_url=URL, credential=credential, **SIGNER)
    with pytest.raises(CredentialMissing, match="needs a one-time code"):
        sign_pdf(pdfa_letters["with_ttd"], bsre_v2(kind="seal", subscriber_id=SEAL, nik=None), verification_url=URL,
                 **SIGNER)
    v1 = pki_profile("B-T", key={"source": "bsre", "url": double.url, "nik": NIK, "timeout": 5})
    with pytest.raises(CredentialMissing, match="takes no one-time code: use api: v2"):
        sign_pdf(pdfa_letters["with_ttd"], v1, verification_url=URL, credential=Credential(totp="123456"), **SIGNER)
    assert len(double.calls) == before, "no call without the credential"


def test_the_double_refuses_a_request_without_the_credential(double, pdfa_letters):
    import base64

    import requests

    auth = ("naskah", CONNECTOR_PASSWORD)
    v1 = requests.post(f"{double.url}/api/sign/pdf", auth=auth, data={"nik": NIK},
                       files={"file": ("a.pdf", pdfa_letters["with_ttd"], "application/pdf")}, timeout=10)
    assert (v1.status_code, v1.json()["status_code"]) == (400, 2031)
    v2 = requests.post(f"{double.url}{SIGN_V2}", auth=auth, timeout=10, json={
        "nik": NIK, "signatureProperties": [{"tampilan": "VISIBLE", "page": 1}],
        "file": [base64.b64encode(pdfa_letters["with_ttd"]).decode()]})
    assert (v2.status_code, v2.json()["status_code"]) == (400, 2030)


# --- the profile ---

def test_a_personal_bsre_profile_with_a_stored_passphrase_is_refused_at_load(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.yaml").write_text(
        f"key: {{source: bsre, url: 'https://esign', nik: '{NIK}', passphrase_env: NASKAH_SEKDA_PASSPHRASE}}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_profile("p", load_settings(None, signing_dir=tmp_path, data_dir=tmp_path / "data"))
    message = str(refused.value)
    assert PERSONAL_PASSPHRASE_REFUSED in message
    assert "PP 71/2019" in message and "sole control" in message
    assert "naskah sign ID --passphrase-stdin" in message and "`credential` of the HTTP sign request" in message


@pytest.mark.parametrize("key, expected", [
    ({"kind": "seal", "subscriber_id": SEAL, "nik": None}, "a BSrE seal needs api: v2"),
    ({"api": "v2", "kind": "seal", "nik": None}, "a BSrE seal needs its subscriber_id"),
    ({"api": "v2", "totp_seed_env": "S"}, "subscriber_id and totp_seed_env are for kind: seal"),
])
def test_bsre_profiles_say_what_a_person_and_a_seal_need(tmp_path, key, expected):
    import yaml

    spec = {"source": "bsre", "url": "https://esign", "nik": NIK, **key}
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.yaml").write_text(yaml.safe_dump({"key": spec}), encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_profile("p", load_settings(None, signing_dir=tmp_path, data_dir=tmp_path / "data"))


# --- the lockout ---

def test_after_the_limit_no_attempt_reaches_bsre_until_the_time_it_names(pdfa_letters, bsre_v2, double, tmp_path,
                                                                        caplog):
    now = [dt.datetime(2026, 3, 5, 7, 0, tzinfo=dt.timezone.utc)]
    lockout = SignerLockout(tmp_path / "state.db", clock=lambda: now[0])
    profile = bsre_v2(lockout={"attempts": 3, "minutes": 30})
    wrong = Credential(passphrase=WRONG)
    for attempt in (1, 2):
        with pytest.raises(CredentialRefused) as refused:
            sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=wrong, lockout=lockout,
                     **SIGNER)
        assert refused.value.locked_until is None
    with pytest.raises(CredentialRefused) as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=wrong, lockout=lockout, **SIGNER)
    assert refused.value.code == 2031
    assert refused.value.locked_until == now[0] + dt.timedelta(minutes=30)
    assert "until 2026-03-05 14:30 WIB" in str(refused.value)

    before = double.posts()
    now[0] += dt.timedelta(minutes=29)
    with pytest.raises(SignerLocked) as locked:  # even the right passphrase is not forwarded now
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=Credential(passphrase=PASSPHRASE),
                 lockout=lockout, **SIGNER)
    assert double.posts() == before, "a locked signer's attempt reached BSrE"
    assert locked.value.until == dt.datetime(2026, 3, 5, 7, 30, tzinfo=dt.timezone.utc)
    message = str(locked.value)
    assert "357301******0002" in message and "until 2026-03-05 14:30 WIB" in message and NIK not in message

    now[0] += dt.timedelta(minutes=2)  # the lockout is over; a success forgets the refusals
    sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=Credential(passphrase=PASSPHRASE),
             lockout=lockout, **SIGNER)
    assert double.posts() == before + 1
    with lockout.db.transaction(write=False) as db:
        assert db.rows("SELECT COUNT(*) FROM naskah_signer_lockout") == [(0,)]
    _nowhere([WRONG, PASSPHRASE, NIK], refused.value, caplog, tmp_path)


def test_the_lockout_counts_within_its_window_and_is_shared_through_the_database(location):
    now = [dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.timezone.utc)]
    first = SignerLockout(location, clock=lambda: now[0])
    other = SignerLockout(location, clock=lambda: now[0])  # another process, say
    assert first.failed("bsre:nik:1", attempts=2, minutes=10) is None
    now[0] += dt.timedelta(minutes=11)  # the first refusal is out of the window
    assert other.failed("bsre:nik:1", attempts=2, minutes=10) is None
    until = first.failed("bsre:nik:1", attempts=2, minutes=10)
    assert until == now[0] + dt.timedelta(minutes=10)
    with pytest.raises(SignerLocked, match="this signer is locked after 2 refused credentials"):
        other.check("bsre:nik:1")
    other.check("bsre:nik:2")  # one signer's lockout is not another's
    first.succeeded("bsre:nik:1")
    other.check("bsre:nik:1")


def test_a_failure_past_the_limit_keeps_the_lockout(location):
    now = [dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.timezone.utc)]
    lockout = SignerLockout(location, clock=lambda: now[0])
    assert lockout.failed("k", attempts=1, minutes=5) is not None
    assert lockout.failed("k", attempts=1, minutes=5) is None  # let through before the lock: still locked
    now[0] += dt.timedelta(minutes=4)
    with pytest.raises(SignerLocked, match="until 2026-03-05 08:05 WIB"):
        lockout.check("k")


# --- local personal keys ---

def test_a_personal_pkcs12_opens_with_the_password_given_and_is_not_kept(pdfa_letters, pki_profile, test_pki,
                                                                         tmp_path, caplog):
    profile = pki_profile("B-T", key={"source": "pkcs12", "path": str(test_pki.p12("signer"))})
    assert profile.personal
    kept = set(keys._signers)  # other tests' seal profiles keep the same file, opened with their variable
    data = sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL,
                    credential=Credential(passphrase=P12_PASSWORD), **SIGNER)
    report = verify_pdf(data, trust_roots=[test_pki.cert_path("root")])
    assert report.ok and report.signatures[0].signer == "Drs. Hendra Wijaya (TEST)", report.to_text()
    (tmp_path / "p12.pdf").write_bytes(data)
    assert "Signature Validation: Signature is Valid." in pdfsig(tmp_path / "p12.pdf")
    assert set(keys._signers) == kept, "a personal key was kept"

    lockout = SignerLockout(tmp_path / "state.db")
    with pytest.raises(CredentialRefused, match="the password given for the PKCS#12 key .* is wrong") as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=Credential(passphrase=WRONG),
                 lockout=lockout, **SIGNER)
    with lockout.db.transaction(write=False) as db:
        assert db.rows("SELECT failures FROM naskah_signer_lockout") == [(1,)]
    with pytest.raises(CredentialMissing, match="give its password at signing"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    _nowhere([WRONG, P12_PASSWORD], refused.value, caplog, tmp_path)


def test_the_demo_key_needs_no_credential(demo_profile, pdfa_letters):
    assert not demo_profile.personal
    assert verify_pdf(sign_pdf(pdfa_letters["with_ttd"], demo_profile, verification_url=URL, **SIGNER)).signatures


def _token_key(softhsm, token: str, **overrides) -> dict:
    return {"source": "pkcs11", "module": str(softhsm["module"]), "token_label": token, "key_label": "signer",
            **overrides}


def test_a_personal_token_key_signs_with_the_pin_given_and_its_session_ends(pdfa_letters, pki_profile, softhsm,
                                                                            test_pki, tmp_path, caplog):
    profile = pki_profile("B-LTA", key=_token_key(softhsm, "naskah-other"))
    assert profile.personal
    kept = set(keys._signers)
    data = sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL,
                    credential=Credential(pin=softhsm["pin"]), **SIGNER)
    report = verify_pdf(data, trust_roots=[test_pki.cert_path("root")])
    assert report.ok and report.signatures[0].level == "B-LTA", report.to_text()
    (tmp_path / "token.pdf").write_bytes(data)
    assert "Signature Validation: Signature is Valid." in pdfsig(tmp_path / "token.pdf")
    assert set(keys._signers) == kept, "a personal token session was kept"

    with pytest.raises(CredentialRefused, match="refused the PIN given: PinIncorrect") as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=Credential(pin=WRONG_PIN),
                 **SIGNER)
    assert refused.value.code == "CKR_PIN_INCORRECT"
    with pytest.raises(CredentialMissing, match="give its PIN at signing"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, credential=Credential(passphrase="x"),
                 **SIGNER)
    _nowhere([WRONG_PIN, softhsm["pin"]], refused.value, caplog, tmp_path)
    assert signer_key(profile).label == "the PKCS#11 key 'signer' on token 'naskah-other'"


def test_a_personal_key_may_not_share_a_token_with_a_seal_kept_logged_in(pdfa_letters, pki_profile, softhsm):
    seal = pki_profile("B-B", key=_token_key(softhsm, "naskah-test", pin_env=softhsm["pin_env"]))
    sign_pdf(pdfa_letters["with_ttd"], seal, verification_url=URL, **SIGNER)
    personal = pki_profile("B-B", key=_token_key(softhsm, "naskah-test"))
    with pytest.raises(SigningError, match="also holds a seal whose session this process keeps logged in"):
        sign_pdf(pdfa_letters["with_ttd"], personal, verification_url=URL, credential=Credential(pin=softhsm["pin"]),
                 **SIGNER)
