#!/usr/bin/env python3
"""PAdES B-LTA against B-B in a batch (team Surat Tugas), the test PKI's TSA, OCSP responder and CRL repository
each 50 ms away: letters per second of each and their ratio (target: B-LTA >= 80% of B-B).

    .venv/bin/python bench/bench_lta.py                     # 60 letters each way, 50 ms per request
    .venv/bin/python bench/bench_lta.py -n 100 --delay 0.1 --also-without-reuse

The test PKI (tests/support/pki.py: fresh keys, ``certomancer animate`` on 127.0.0.1) signs both ways with the
same key and trust root; a relay in front of each of its servers adds ``--delay`` to every request and counts
them. Both batches run in this process on one warm LibreOffice pool (one process per core, warmed first) with
naskah's batch (``naskah.batch.issue_batch``, as ``naskah issue --batch`` runs it); the signing profile is the
only difference. A B-LTA letter needs, beside its signature, the OCSP response and CRLs of its chain (fetched
once, then reused while valid: ``naskah.sign.validation_data``) and two timestamps, the signature's and the
document's, which no reuse can save: a timestamp is per signature by nature. ``--also-without-reuse`` runs B-LTA
once more with the reuse switched off, to show what it saves.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import tempfile
from pathlib import Path

from support import (Run, machine_busy_seconds, machine_line, others_line, payloads, ratio_line,  # noqa: E402
                     tree_cpu_seconds)

import psutil  # noqa: E402
import yaml  # noqa: E402
from checks import pdfsig  # noqa: E402
from http_relay import RelayedPki, relayed_pki  # noqa: E402
from pki import P12_PASSWORD  # noqa: E402

from naskah.batch import issue_batch  # noqa: E402
from naskah.config import load_settings  # noqa: E402
from naskah.convert import LibreOfficePool  # noqa: E402
from naskah.pipeline import Naskah  # noqa: E402
from naskah.sign import validation_data  # noqa: E402
from naskah.validation import verify_pdf  # noqa: E402

TARGET = 0.80
KINDS = {"/naskah/ocsp/interm": "OCSP", "/naskah/tsa/tsa": "TSA"}
STAGES = ("render", "convert", "sign", "store")


def signer_key(work: Path, pki: RelayedPki) -> Path:
    """The test PKI's signer as a PKCS#12 file without a password: a key naskah lets issue a letter in one call
    (as the demo key) whatever the mapping's signature flow, so the batch runs as with a seal."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12

    path = work / "signer-open.p12"
    if not path.exists():
        key, cert, chain = pkcs12.load_key_and_certificates(pki.pki.p12("signer").read_bytes(), P12_PASSWORD.encode())
        path.write_bytes(pkcs12.serialize_key_and_certificates(b"signer", key, cert, chain, NoEncryption()))
    return path


def settings_at(work: Path, pki: RelayedPki, level: str, label: str):
    """Settings whose ``default`` signing profile signs with the test PKI's signer at ``level``; a store of
    their own."""
    folder = work / f"signing-{label}"
    (folder / "profiles").mkdir(parents=True)
    raw = {"key": {"source": "pkcs12", "path": str(signer_key(work, pki))},
           "level": level, "trust_roots": [str(pki.pki.cert_path("root"))]}
    if level != "B-B":
        raw["tsa"] = {"url": pki.tsa_url, "timeout": 30}
    (folder / "profiles" / "default.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_settings(None, data_dir=work / "data", store_dir=work / f"store-{label}", signing_dir=folder)


@contextlib.contextmanager
def reuse_switched_off():
    """Validation data never found kept: every letter fetches its own, as before the reuse."""
    kept = validation_data.KeptValidationData.obtain
    validation_data.KeptValidationData.obtain = lambda self, key, fetch, valid_until: fetch()
    try:
        yield
    finally:
        validation_data.KeptValidationData.obtain = kept


def batch(naskah: Naskah, pki: RelayedPki, letters: list[dict], label: str, workers: int) -> Run:
    """One batch: its time, each stage's time per letter and the requests the PKI received."""
    pki.reset()
    servers = [psutil.Process(process.pid) for process in pki.pki._processes.values()]  # noqa: SLF001
    before_all, before_pki = tree_cpu_seconds(psutil.Process()), sum(tree_cpu_seconds(s) for s in servers)
    before_machine = machine_busy_seconds()
    result = issue_batch(naskah, [(f"letter {i}", p) for i, p in enumerate(letters)], workers=workers)
    used_all = tree_cpu_seconds(psutil.Process()) - before_all
    used_pki = sum(tree_cpu_seconds(s) for s in servers) - before_pki
    used_naskah = used_all - used_pki
    others = others_line(machine_busy_seconds() - before_machine, used_all, result.seconds)
    if not result.ok:
        raise SystemExit(f"the {label} batch failed: " + "; ".join(str(f) for f in result.failures[:3]))
    asked = collections.Counter()
    for (_, path), count in pki.counts().items():
        asked[KINDS.get(path, "CRL" if path.endswith(".crl") else "certificate")] += count
    stages = " ".join(f"{stage} {1000 * naskah.timings.seconds.get(stage, 0) / len(letters):.0f}" for stage in STAGES)
    requests = ", ".join(f"{kind} {asked[kind]}" for kind in ("OCSP", "CRL", "certificate", "TSA"))
    per_letter = {name: 1000 * used / len(letters) for name, used in (("naskah", used_naskah), ("test PKI", used_pki))}
    cpu = "CPU ms/letter: " + ", ".join(f"{name} {ms:.0f}" for name, ms in per_letter.items())
    return Run(label, len(letters), result.seconds,
               note=f"\n    [{cpu}; {others}]\n    [stage ms/letter, summed over threads: {stages}]"
                    f"\n    [requests to the test PKI: {requests}]")


def check_level(naskah: Naskah, pki: RelayedPki, level: str) -> str:
    """The first and the last letter of the batch, checked by pdfsig and by naskah's own validation."""
    letters = sorted(naskah.store.all(), key=lambda letter: letter.issued_at)
    found = []
    for letter in (letters[0], letters[-1]):
        report = verify_pdf(letter.pdf_path.read_bytes(), trust_roots=[pki.pki.cert_path("root")])
        checked = pdfsig(letter.pdf_path)
        if not (report.ok and "Signature is Valid." in checked and report.signatures[0].level == level):
            raise SystemExit(f"{letter.pdf_path} is not a valid {level} letter:\n{report.to_text()}\n{checked}")
        found.append(report.signatures[0].level)
    return f"{level}: first and last letter: pdfsig 'Signature is Valid.', naskah verify {found[0]} and {found[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60, help="letters each way (default 60)")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every request to the PKI "
                                                                  "(default 0.05)")
    parser.add_argument("--pool", type=int, default=os.cpu_count(), help="warm LibreOffice processes")
    parser.add_argument("--also-without-reuse", action="store_true",
                        help="run B-LTA once more with the reuse of validation data switched off")
    args = parser.parse_args()
    workers = args.pool + 1  # as naskah issue --batch

    print(f"naskah benchmark: PAdES B-LTA against B-B in a batch, team Surat Tugas x{args.n}, the test PKI's "
          f"servers {args.delay * 1000:.0f} ms away, pool {args.pool}, {workers} letters at once")
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="naskah-bench-lta-") as work:
        work = Path(work)
        with relayed_pki(work / "pki", delay=args.delay) as pki, \
                LibreOfficePool(data_dir=work / "data", size=args.pool) as pool:
            # not measured: the pool's first conversions, with the demo key (no validation data fetched)
            warm = load_settings(None, data_dir=work / "data", store_dir=work / "store-warm-up")
            issue_batch(Naskah(warm, pool=pool), [(f"warm-up {i}", p) for i, p in
                                                  enumerate(payloads(2 * workers, "warm"))], workers=workers)
            # B-LTA first: the B-B batch after it finds the chain's validation data kept (its profile has the
            # same name), so the baseline is, if anything, flattered
            ways = {level: Naskah(settings_at(work, pki, level, level), pool=pool) for level in ("B-LTA", "B-B")}
            runs = {"B-LTA": batch(ways["B-LTA"], pki, payloads(args.n, "lta"), "B-LTA", workers)}
            if args.also_without_reuse:
                without = Naskah(settings_at(work, pki, "B-LTA", "without-reuse"), pool=pool)
                with reuse_switched_off():
                    runs["without"] = batch(without, pki, payloads(args.n, "lta-x"),
                                            "B-LTA, validation data not reused", workers)
            runs["B-B"] = batch(ways["B-B"], pki, payloads(args.n, "bb"), "B-B", workers)
            for run in runs.values():
                print(run.line(), flush=True)
            for level, naskah in ways.items():
                print(check_level(naskah, pki, level))
    print(ratio_line("B-LTA / B-B, letters per second", runs["B-LTA"].rate / runs["B-B"].rate, TARGET))
    print("Both ways validate the signer's certificate against the trust root (OCSP and CRLs, hard-fail); the "
          "validation data is fetched once and reused while valid (letters signed at the same moment wait for the "
          "first one's fetch). The TSA is asked per letter by nature: one timestamp per signature, two per B-LTA "
          "letter (the signature's and the document's), plus one sample token per profile that tells pyHanko the "
          "TSA's certificates. The test PKI runs on the same cores, each private key parsed once "
          "(tests/support/http_relay.py); its CPU is shown apart.")


if __name__ == "__main__":
    main()
