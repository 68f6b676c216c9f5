"""The test PKI (signing/test-pki/certomancer.yml), generated in a temporary folder and served for real by
``certomancer animate`` on 127.0.0.1, so that pyHanko talks HTTP to a real TSA, OCSP responder and CRL
repository during the tests.

Fresh RSA keys are made for every test session (no key is ever committed). Three ``animate`` processes
serve the same PKI: ``repo`` (CRLs, CA certificates), ``ocsp`` (the intermediate's OCSP responder) and
``tsa`` (the time-stamping authority), so a test can stop one of them ("OCSP responder down") and keep
the others.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from naskah.config import SOURCE_ROOT
from naskah.ports import free_loopback_port

CONFIG = SOURCE_ROOT / "signing" / "test-pki" / "certomancer.yml"
ARCH = "naskah"
SERVERS = ("repo", "ocsp", "tsa")
#: The PKCS#12 password of every test signer file (a test value, not a secret).
P12_PASSWORD = "naskah-test-p12"


class LocalPki:
    """The certomancer test PKI in ``folder``: keys, configuration, exported certificates, servers."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.ports = {name: free_loopback_port() for name in SERVERS}
        self._processes: dict[str, subprocess.Popen] = {}
        self.config_path = self.folder / "certomancer.yml"
        self.certs_dir = self.folder / "certs"
        self._arch = None

    # --- generation ---

    def generate(self) -> "LocalPki":
        """Fresh keys, the configuration with this session's ports, and the certificates as files."""
        config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
        keys_dir = self.folder / "keys"
        keys_dir.mkdir(parents=True, exist_ok=True)
        keyset = next(iter(config["keysets"].values()))
        for spec in keyset["keys"].values():
            # RSA, not ECDSA: pyHanko declares PDF 2.0 for ECDSA signatures, and PDF/A-2b is PDF 1.7 based
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            path = keys_dir / spec["path"]
            path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
            os.chmod(path, 0o600)
        config["external-url-prefix"] = self.url("repo")
        config["pki-architectures"][ARCH]["services"]["ocsp"]["interm"]["external-url-prefix"] = self.url("ocsp")
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

        from certomancer.registry import CertomancerConfig

        self._arch = CertomancerConfig.from_file(str(self.config_path), key_search_dir=str(self.folder)) \
            .get_pki_arch(ARCH)
        self.certs_dir.mkdir(exist_ok=True)
        for label in ("root", "interm", "tsa"):
            self.cert_path(label).write_bytes(self._pem(label))
        return self

    def _pem(self, label: str) -> bytes:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self._arch.get_cert(label).dump())

    def cert_path(self, label: str) -> Path:
        return self.certs_dir / f"{label}.pem"

    def cert(self, label: str):
        """The asn1crypto certificate of ``label``."""
        return self._arch.get_cert(label)

    def key_pem(self, label: str) -> bytes:
        return (self.folder / "keys" / f"{label}.key.pem").read_bytes()

    def p12(self, label: str, password: str = P12_PASSWORD) -> Path:
        """The signer's key, certificate and CA chain as a PKCS#12 file (as a CA would hand it out)."""
        path = self.folder / f"{label}.p12"
        if not path.exists():
            path.write_bytes(self._arch.package_pkcs12(label, password=password.encode()))
            os.chmod(path, 0o600)
        return path

    # --- the servers ---

    def url(self, server: str) -> str:
        return f"http://127.0.0.1:{self.ports[server]}"

    @property
    def tsa_url(self) -> str:
        return f"{self.url('tsa')}/{ARCH}/tsa/tsa"

    def start(self, *names: str) -> None:
        """Start ``certomancer animate`` for each named server (all by default) and wait until it listens."""
        names = names or SERVERS
        for name in names:
            if name in self._processes and self._processes[name].poll() is None:
                continue
            log = open(self.folder / f"animate-{name}.log", "ab")
            self._processes[name] = subprocess.Popen(
                [sys.executable, "-m", "certomancer", "--config", str(self.config_path),
                 "--key-root", str(self.folder), "animate", "--port", str(self.ports[name]), "--no-web-ui"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
        deadline = time.monotonic() + 30
        for name in names:
            while not self._listening(name):
                if self._processes[name].poll() is not None:
                    raise RuntimeError(f"certomancer animate ({name}) exited; see {self.folder}/animate-{name}.log")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"certomancer animate ({name}) did not start within 30 s")
                time.sleep(0.05)

    def stop(self, *names: str) -> None:
        """Stop the named servers (all by default); their ports then refuse connections."""
        for name in names or SERVERS:
            process = self._processes.pop(name, None)
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    @contextlib.contextmanager
    def stopped(self, *names: str):
        """The named servers (all by default) are down inside the block and up again after it."""
        self.stop(*names)
        try:
            yield self
        finally:
            self.start(*names)

    def _listening(self, name: str) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports[name]), timeout=0.2):
                return True
        except OSError:
            return False


# --- certificates outside the test PKI ---

def _self_signed(common_name: str, extension) -> tuple:
    """A fresh RSA key and a self-signed certificate for it, valid from yesterday for 30 days."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(extension, critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def self_signed_p12(path: Path, password: bytes) -> None:
    """A PKCS#12 file encrypted with ``password``: the key and self-signed certificate of "Pejabat Uji"."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert = _self_signed("Pejabat Uji", x509.KeyUsage(True, True, False, False, False, False, False, False,
                                                          False))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"uji", key, cert, None, serialization.BestAvailableEncryption(password)))


def foreign_root(folder: Path) -> Path:
    """A root CA that no test signer chains to ("Some Other Root"), written to ``folder/foreign-root.pem``."""
    from cryptography import x509

    _, cert = _self_signed("Some Other Root", x509.BasicConstraints(ca=True, path_length=None))
    path = folder / "foreign-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
