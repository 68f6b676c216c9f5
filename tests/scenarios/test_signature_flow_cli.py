"""The signature flow through the command line with a PKCS#11 signer on SoftHSM2 (issue 12): drafted, two
paraf in order, signed with the PIN on standard input; the PIN reaches no file, no output and no environment.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import yaml
from checks import flat, pdfsig, pdftotext
from samples import load_sample

WRONG_PIN = "0000-not-the-pin"


@pytest.fixture(scope="module")
def installation(softhsm, test_pki, tmp_path_factory):
    """An installation whose default profile is an official's own token key (no PIN stored anywhere)."""
    folder = tmp_path_factory.mktemp("flow-cli")
    profiles = folder / "signing" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "default.yaml").write_text(yaml.safe_dump({
        "key": {"source": "pkcs11", "module": str(softhsm["module"]), "token_label": "naskah-other",
                "key_label": "signer"},
        "level": "B-B", "trust_roots": [str(test_pki.cert_path("root"))]}), encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != softhsm["pin_env"]}
    env |= {"NASKAH_SIGNING_DIR": str(folder / "signing"), "NASKAH_DATA_DIR": str(folder / "data"),
            "NASKAH_STORE_DIR": str(folder / "store")}
    return {"folder": folder, "env": env, "pin": softhsm["pin"], "root": test_pki.cert_path("root")}


def naskah(installation, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "naskah.cli", *args], input=stdin, capture_output=True, text=True,
                          env=installation["env"], timeout=300)


def test_drafted_reviewed_and_signed_with_the_pin_on_standard_input(installation, tmp_path):
    payload = load_sample("permohonan-pelibatan-lintas-unit")
    payload["data"].pop("nomor")
    year = dt.date.today().year + 1
    payload["data"]["durasi"] = {"mulai": f"{year}-02-01", "selesai": f"{year}-05-31"}
    (tmp_path / "request.json").write_text(json.dumps(payload), encoding="utf-8")

    drafted = naskah(installation, "draft", str(tmp_path / "request.json"), "--by", "Rina Kartika")
    assert drafted.returncode == 0, drafted.stderr
    draft_id, state = re.match(r"draft (\S+) (\S+)", drafted.stdout).groups()
    assert state == "draft" and "waiting for: Kepala Sub Bagian Umum dan Kepegawaian" in drafted.stdout

    early = naskah(installation, "paraf", draft_id, "--step", "2", "--by", "Ir. Bambang Santoso, M.M.")
    assert early.returncode == 2 and "waiting for the paraf of Kepala Sub Bagian Umum" in early.stderr
    for who in ("Siti Aminah, S.Sos.", "Ir. Bambang Santoso, M.M."):
        assert naskah(installation, "paraf", draft_id, "--by", who).returncode == 0
    shown = naskah(installation, "show", draft_id)
    assert "awaiting_signature" in shown.stdout and "waiting for: Dr. Agus Salim, S.T., M.T." in shown.stdout

    refused = naskah(installation, "sign", draft_id, "--pin-stdin", "--by", "Dr. Agus Salim", stdin=WRONG_PIN + "\n")
    assert refused.returncode == 2 and "PIN" in refused.stderr and WRONG_PIN not in refused.stderr + refused.stdout

    signed = naskah(installation, "sign", draft_id, "--pin-stdin", "--by", "Dr. Agus Salim",
                    stdin=installation["pin"] + "\n")
    assert signed.returncode == 0, signed.stderr
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    number = f"800.1.11.1/0001/35.73.401/{today.year}"
    match = re.match(rf"issued permohonan_pelibatan {re.escape(number)} -> (\S+\.pdf)$", signed.stdout.strip())
    assert match, signed.stdout
    pdf = match.group(1)
    assert "Signature Validation: Signature is Valid." in pdfsig(pdf)
    from naskah.formatting import tanggal
    assert f"Malang, {tanggal(today)}" in flat(pdftotext(pdf))

    shown = naskah(installation, "show", draft_id).stdout
    assert f"number {number} dated {today.isoformat()}" in shown and "waiting for" not in shown
    assert [line.split()[1] for line in shown.splitlines() if line.startswith("  ")] == [
        "create", "paraf", "paraf", "sign"]

    letter_id = re.search(r"letter (\S+) number", shown).group(1)
    revoked = naskah(installation, "revoke", letter_id, "--reason", "Salah alamat tujuan", "--by", "Dr. Agus Salim")
    assert revoked.returncode == 0 and "revoked: Salah alamat tujuan" in revoked.stdout
    verified = naskah(installation, "verify", pdf, "--trust", str(installation["root"]))
    assert verified.returncode == 1 and "REVOKED (dicabut)" in verified.stdout
    assert "Salah alamat tujuan" in verified.stdout and "Result: OK" in verified.stdout  # the signature itself holds

    secrets = [installation["pin"].encode(), WRONG_PIN.encode()]
    for path in installation["folder"].rglob("*"):
        if path.is_file() and "tokens" not in path.parts:
            content = path.read_bytes()
            assert not any(secret in content for secret in secrets), f"a PIN was written to {path}"
