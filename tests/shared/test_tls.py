"""The local certificate authority of `posko run --lan` (shared/tls.py): made once, kept private,
vouching only for private addresses, and a server certificate that follows the LAN address."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from shared import tls

LAN = ipaddress.ip_address("192.168.1.20")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def verify(tls_dir: Path, name: x509.verification.Subject) -> None:
    """Validate the server certificate against the authority as a TLS client would (name constraints too)."""
    verifier = PolicyBuilder().store(Store([load(tls_dir / tls.CA_CERT)])).build_server_verifier(name)
    verifier.verify(load(tls_dir / tls.SERVER_CERT), [])


def test_authority_is_created_once_and_reused(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    first = tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])
    ca_pem, ca_key = (d / tls.CA_CERT).read_bytes(), (d / tls.CA_KEY).read_bytes()
    server_pem = (d / tls.SERVER_CERT).read_bytes()
    again = tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])
    assert first.issued and not again.issued
    assert (d / tls.CA_CERT).read_bytes() == ca_pem and (d / tls.CA_KEY).read_bytes() == ca_key
    assert (d / tls.SERVER_CERT).read_bytes() == server_pem


def test_files_are_private(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])
    assert mode(d) == 0o700
    names = sorted(p.name for p in d.iterdir())
    assert names == sorted([tls.CA_CERT, tls.CA_KEY, tls.SERVER_CERT, tls.SERVER_KEY])
    assert {p.name: mode(p) for p in d.iterdir()} == dict.fromkeys(names, 0o600)


def test_loosened_modes_are_tightened_on_next_start(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], [])
    (d / tls.CA_KEY).chmod(0o644)
    d.chmod(0o755)
    tls.ensure_server_certificate(d, [LAN], [])
    assert mode(d / tls.CA_KEY) == 0o600 and mode(d) == 0o700


def test_server_certificate_names_the_lan_addresses_host_name_and_localhost(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    other = ipaddress.ip_address("10.8.0.3")
    tls.ensure_server_certificate(d, [LAN, other], ["Posko-Laptop"])
    ips, names = tls.subject_alt_names(load(d / tls.SERVER_CERT))
    assert ips == {LAN, other, ipaddress.ip_address("127.0.0.1")}
    assert names == {"posko-laptop", "localhost"}
    server = load(d / tls.SERVER_CERT)
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in server.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    for subject in (x509.verification.IPAddress(LAN), x509.verification.IPAddress(other),
                    x509.verification.DNSName("localhost")):
        verify(d, subject)
    with pytest.raises(VerificationError):
        verify(d, x509.verification.IPAddress(ipaddress.ip_address("192.168.1.21")))


def test_new_address_reissues_the_server_certificate_under_the_same_authority(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])
    ca_pem, old = (d / tls.CA_CERT).read_bytes(), load(d / tls.SERVER_CERT)
    moved = ipaddress.ip_address("192.168.43.7")  # the laptop joined a phone's hotspot
    files = tls.ensure_server_certificate(d, [moved], ["posko-laptop"])
    assert files.issued
    assert (d / tls.CA_CERT).read_bytes() == ca_pem  # phones keep trusting: no new authority
    new = load(d / tls.SERVER_CERT)
    assert new.serial_number != old.serial_number
    assert moved in tls.subject_alt_names(new)[0] and LAN not in tls.subject_alt_names(new)[0]
    verify(d, x509.verification.IPAddress(moved))


def test_certificate_near_its_end_is_reissued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], [])
    old = load(d / tls.SERVER_CERT)
    assert old.not_valid_after_utc - old.not_valid_before_utc > tls.RENEW_BEFORE
    # a renewal window longer than the certificate's life: "near its end" from the first day
    monkeypatch.setattr(tls, "RENEW_BEFORE", old.not_valid_after_utc - old.not_valid_before_utc)
    assert tls.ensure_server_certificate(d, [LAN], []).issued
    assert load(d / tls.SERVER_CERT).serial_number != old.serial_number


def test_a_new_authority_reissues_the_server_certificate(tmp_path: Path) -> None:
    """Rotation (docs/operations.md): deleting the authority's files makes a new one and a new server
    certificate signed by it, never a certificate of the old one left in place."""
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], [])
    old_ca = load(d / tls.CA_CERT)
    (d / tls.CA_CERT).unlink()
    (d / tls.CA_KEY).unlink()
    assert tls.ensure_server_certificate(d, [LAN], []).issued
    assert load(d / tls.CA_CERT).subject != old_ca.subject
    verify(d, x509.verification.IPAddress(LAN))


def test_authority_may_vouch_only_for_private_addresses_and_local_names(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    with pytest.raises(tls.TlsError, match="bukan alamat jaringan lokal"):
        tls.ensure_server_certificate(d, [ipaddress.ip_address("8.8.8.8")], [])
    ca = load(d / tls.CA_CERT)  # the authority exists; only the public address was refused
    assert not (d / tls.SERVER_CERT).exists()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = {str(n.value) for n in constraints.value.permitted_subtrees or []}
    assert {"192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "local", "localhost"} <= permitted
    assert not any(str(n).startswith(("0.0.0.0", "8.")) for n in permitted)


def test_a_name_outside_the_constraints_is_left_out(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])  # the authority permits this host name
    tls.ensure_server_certificate(d, [LAN], ["www.bank.example"])
    assert tls.subject_alt_names(load(d / tls.SERVER_CERT))[1] == {"localhost"}


def test_served_der_is_only_the_certificate(tmp_path: Path) -> None:
    """Whatever the certificate file holds, only a certificate comes out (never a key)."""
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], [])
    key_pem = (d / tls.CA_KEY).read_bytes()
    with (d / tls.CA_CERT).open("ab") as f:  # a careless hand-made file with the key appended
        f.write(key_pem)
    der = tls.authority_certificate_der(d)
    assert x509.load_der_x509_certificate(der).subject == load(d / tls.CA_CERT).subject
    assert b"PRIVATE KEY" not in der
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    secret = key.private_numbers().private_value.to_bytes(32, "big")  # the key's secret scalar
    assert secret not in der


def test_fingerprint_is_sha256_in_android_form(tmp_path: Path) -> None:
    d = tmp_path / "tls"
    tls.ensure_server_certificate(d, [LAN], [])
    fp = tls.fingerprint(tls.authority_certificate_der(d))
    from cryptography.hazmat.primitives import hashes
    assert fp == load(d / tls.CA_CERT).fingerprint(hashes.SHA256()).hex(":").upper()
