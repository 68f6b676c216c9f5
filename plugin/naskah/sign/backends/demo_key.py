"""A throw-away demo signer, so `naskah issue` works on a fresh installation without any key.

Letters signed with it carry "NOT VALID" in the signer's name and chain up to a root nobody trusts.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ...files import private_folder, private_opener, write_atomically

log = logging.getLogger("naskah.sign")

DEMO_DIR = "demo-signer"
KEY_FILE = "demo-signer.p12"
ROOT_FILE = "demo-root.pem"
ROOT_CN = "NASKAH DEMO ROOT - NOT VALID"
SIGNER_CN = "NASKAH DEMO - NOT VALID"


def ensure_demo_key(data_dir: Path) -> tuple[Path, Path, bool]:
    """The demo PKCS#12 (unencrypted) and its root certificate, made on first use and reused afterwards.

    Returns ``(key_path, root_cert_path, created)``. An exclusive lock on a file next to them makes two
    processes starting at once agree on one pair; each file is written to a temporary name and renamed.
    """
    folder = Path(data_dir) / DEMO_DIR
    key_path, root_path = folder / KEY_FILE, folder / ROOT_FILE
    if key_path.is_file() and root_path.is_file():
        return key_path, root_path, False
    private_folder(folder)
    with open(folder / ".lock", "a", opener=private_opener) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if key_path.is_file() and root_path.is_file():  # another process made them while we waited
            return key_path, root_path, False
        p12, root_pem = _make_pair()
        write_atomically(root_path, root_pem)  # 0600, like everything naskah writes
        write_atomically(key_path, p12)
    log.warning("created a DEMO signing key in %s: letters signed with it are NOT VALID; "
                "configure a real key in the signing profile", folder)
    return key_path, root_path, True


def _rsa_key() -> rsa.RSAPrivateKey:
    # RSA, not ECDSA: pyHanko declares PDF 2.0 (ISO/TS 32002) for ECDSA signatures, which breaks PDF/A-2b
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _make_pair() -> tuple[bytes, bytes]:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    until = now + dt.timedelta(days=5 * 365)
    root_key = _rsa_key()
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CN),
                           x509.NameAttribute(NameOID.ORGANIZATION_NAME, "naskah demo")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = _rsa_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_CN),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "naskah demo")]))
        .issuer_name(root_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(b"naskah-demo", key, cert, [root],
                                                serialization.NoEncryption())
    return p12, root.public_bytes(serialization.Encoding.PEM)
