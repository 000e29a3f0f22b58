"""The local certificate authority of `posko run --lan` and the server certificate it issues.

A phone's browser runs a service worker (the field app offline) only on a secure origin, and a
posko's laptop on a Wi-Fi has no public domain for a public certificate. So Posko makes its own
authority once, keeps it in `POSKO_TLS_DIR` (default `var/tls/`, directory 0700, files 0600), and
issues from it a certificate for the laptop's LAN address(es), its host name and localhost. A phone
trusts the authority once (docs/operations.md, "Field phones over HTTPS"); the server certificate can
then be re-issued whenever the address changes without touching the phones again.

The authority's key never leaves this directory: nothing outside this module reads it, and the only
file served to anybody is the authority's certificate (public by nature). The authority carries
name constraints: it can only vouch for private addresses (RFC 1918, loopback, link-local, unique
local IPv6) and local names, so a stolen authority key cannot impersonate a bank on the phones that
trust it.

Everything cryptographic is done by the maintained `cryptography` library (keys, signatures,
encodings); this module only chooses the names, the lifetimes and where the files live.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_KEY = "ca.key"
CA_CERT = "ca.pem"
SERVER_KEY = "server.key"
SERVER_CERT = "server.pem"

CA_DAYS = 10 * 365
SERVER_DAYS = 365
RENEW_BEFORE = dt.timedelta(days=30)  # a server certificate this close to its end is issued anew

# What the authority may vouch for (its name constraints). Private and local only.
PERMITTED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128"))
PERMITTED_SUFFIXES = ("localhost", "local", "lan", "home.arpa", "internal")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TlsError(Exception):
    """The certificate for the LAN cannot be made as asked (the message says why, Indonesian first)."""


def dns_name_ok(name: str) -> bool:
    """A host name that can stand in a certificate (letters, digits, hyphens; dot-separated labels)."""
    name = name.strip().lower().rstrip(".")
    return bool(name) and len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def ip_permitted(ip: IPAddress) -> bool:
    return any(ip.version == net.version and ip in net for net in PERMITTED_NETWORKS)


def _name_permitted(name: str, permitted: Iterable[str]) -> bool:
    return any(name == p or name.endswith("." + p) for p in permitted)


@dataclass(frozen=True)
class ServerFiles:
    """What uvicorn needs (`ssl_certfile`, `ssl_keyfile`) and what the phones need (`ca_cert`)."""

    cert: Path
    key: Path
    ca_cert: Path
    issued: bool  # True: the server certificate was (re-)issued by this call


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as 0600 from the first byte (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _tighten(path: Path) -> None:
    if path.exists() and (path.stat().st_mode & 0o077):
        os.chmod(path, 0o600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_authority(tls_dir: Path, host_name: str | None = None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The authority kept in `tls_dir`, created on first use (and then reused for as long as it exists).

    `host_name` (this machine's name) is added to the names the authority may vouch for when it is
    created; local suffixes (.local, .lan, .home.arpa, .internal, localhost) always are.
    """
    _private_dir(tls_dir)
    key_path, cert_path = tls_dir / CA_KEY, tls_dir / CA_CERT
    if key_path.exists() and cert_path.exists():
        _tighten(key_path)
        _tighten(cert_path)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
            raise TlsError(f"{tls_dir}: kunci dan sertifikat otoritas tidak cocok; hapus direktori itu untuk membuat "
                           "otoritas baru (the authority's key and certificate do not match)")
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    names = list(PERMITTED_SUFFIXES)
    if host_name and dns_name_ok(host_name) and not _name_permitted(host_name.lower(), names):
        names.append(host_name.lower().rstrip("."))
    now = _now()
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Posko"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Posko otoritas lokal {now:%Y-%m-%d} {uuid.uuid4().hex[:8]}"),
    ])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(
            permitted_subtrees=[*(x509.IPAddress(n) for n in PERMITTED_NETWORKS),
                                *(x509.DNSName(n) for n in names)],
            excluded_subtrees=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: a certificate without its key on disk would be an authority nobody can use.
    _write_private(key_path, _key_pem(key))
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def permitted_names(ca: x509.Certificate) -> list[str]:
    """The DNS names (and their subdomains) the authority may vouch for."""
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    return [n.value for n in constraints.permitted_subtrees or [] if isinstance(n, x509.DNSName)]


def server_names(ips: Sequence[IPAddress], names: Sequence[str]) -> tuple[list[IPAddress], list[str]]:
    """The subjectAltNames wanted for these addresses and host names: deduplicated, localhost always."""
    out_ips: list[IPAddress] = []
    for ip in [*ips, ipaddress.ip_address("127.0.0.1")]:
        if ip not in out_ips:
            out_ips.append(ip)
    out_names: list[str] = []
    for name in [*names, "localhost"]:
        name = name.strip().lower().rstrip(".")
        if dns_name_ok(name) and name not in out_names:
            out_names.append(name)
    return out_ips, out_names


def subject_alt_names(cert: x509.Certificate) -> tuple[set[IPAddress], set[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {ip for ip in san.get_values_for_type(x509.IPAddress) if isinstance(ip, IPAddress)}
    return ips, set(san.get_values_for_type(x509.DNSName))


def _current_server_ok(tls_dir: Path, ca: x509.Certificate, ips: set[IPAddress], names: set[str]) -> bool:
    cert_path, key_path = tls_dir / SERVER_CERT, tls_dir / SERVER_KEY
    if not (cert_path.exists() and key_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca)  # not from an authority that was since replaced
    except (ValueError, TypeError, InvalidSignature):
        return False
    if key.public_key() != cert.public_key():
        return False
    if cert.not_valid_after_utc - _now() < RENEW_BEFORE:
        return False
    return subject_alt_names(cert) == (ips, names)


def ensure_server_certificate(tls_dir: Path, ips: Sequence[IPAddress], names: Sequence[str]) -> ServerFiles:
    """A server certificate for `ips` and `names` (plus 127.0.0.1 and localhost), signed by the local
    authority; the one on disk is kept while it names exactly these and is not near its end.

    An address the authority may not vouch for (a public address) is refused with the reason; a host
    name outside its constraints is left out of the certificate (the phones use the address).
    """
    ca, ca_key = ensure_authority(tls_dir, names[0] if names else None)
    allowed = permitted_names(ca)
    want_ips, want_names = server_names(ips, names)
    refused = [str(ip) for ip in want_ips if not ip_permitted(ip)]
    if refused:
        raise TlsError(f"alamat {', '.join(refused)} bukan alamat jaringan lokal; otoritas lokal hanya menjamin "
                       "alamat pribadi (10.x, 172.16-31.x, 192.168.x, 127.x) — atur POSKO_LAN_HOST "
                       "(the local authority only vouches for private addresses)")
    want_names = [n for n in want_names if _name_permitted(n, allowed)]
    if _current_server_ok(tls_dir, ca, set(want_ips), set(want_names)):
        _tighten(tls_dir / SERVER_KEY)
        _tighten(tls_dir / SERVER_CERT)
        return ServerFiles(tls_dir / SERVER_CERT, tls_dir / SERVER_KEY, tls_dir / CA_CERT, issued=False)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Posko"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "Posko LAN server")]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([*(x509.IPAddress(ip) for ip in want_ips),
                                                    *(x509.DNSName(n) for n in want_names)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                     crl_sign=False, content_commitment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(tls_dir / SERVER_KEY, _key_pem(key))
    _write_private(tls_dir / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return ServerFiles(tls_dir / SERVER_CERT, tls_dir / SERVER_KEY, tls_dir / CA_CERT, issued=True)


def authority_certificate_der(tls_dir: Path) -> bytes:
    """The authority's certificate as DER, the form Android's installer takes as a `.crt` file.

    Reads only the certificate file and re-encodes the parsed certificate: whatever else were in that
    file, only a certificate can come out.
    """
    cert = x509.load_pem_x509_certificate((tls_dir / CA_CERT).read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(cert_der: bytes) -> str:
    """SHA-256 fingerprint as Android shows it (upper-case hex pairs separated by colons)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(cert_der)
    return ":".join(f"{b:02X}" for b in digest.finalize())
