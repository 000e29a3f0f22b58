"""The field phones' pages of `posko run --lan` (services/api/routes/lan.py): the certificate page and
the certificate, open to anybody and never key material; the field app's address and QR code for
admin and posko only; nothing at all without `--lan`."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from services.lan.serve import certificate_app
from services.lan.site import LanSite
from shared import tls
from tests.conftest import Api

LAN = ipaddress.ip_address("192.168.1.20")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> LanSite:
    d = tmp_path_factory.mktemp("lan") / "tls"
    files = tls.ensure_server_certificate(d, [LAN], ["posko-laptop"])
    return LanSite(host=str(LAN), https_port=8443, http_port=8080, files=files,
                   ca_fingerprint=tls.fingerprint(tls.authority_certificate_der(d)))


@pytest.fixture
def lan_on(app: Any, site: LanSite) -> Iterator[LanSite]:
    app.state.lan = site
    yield site
    app.state.lan = None


def key_material(site: LanSite) -> list[bytes]:
    """Everything secret in the TLS directory, in the forms it could leak in."""
    out = []
    for name in (tls.CA_KEY, tls.SERVER_KEY):
        pem = (site.files.ca_cert.parent / name).read_bytes()
        body = b"".join(line for line in pem.splitlines() if b"-----" not in line)
        out += [pem, body[:40], body[-40:]]
    return out


def test_certificate_page_needs_no_login_and_shows_steps_address_and_fingerprint(client: TestClient,
                                                                               lan_on: LanSite) -> None:
    r = client.get("/sertifikat")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    for step in ("Setelan", "Keamanan", "Enkripsi &amp; kredensial", "Instal sertifikat", "Sertifikat CA"):
        assert step in page
    assert 'href="/sertifikat/posko-ca.crt"' in page
    assert "https://192.168.1.20:8443/lapangan/" in page
    assert lan_on.ca_fingerprint in page
    assert "PRIVATE" not in page and "<script" not in page


def test_certificate_is_the_authoritys_der_with_the_ca_media_type(client: TestClient, lan_on: LanSite) -> None:
    r = client.get("/sertifikat/posko-ca.crt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-x509-ca-cert"
    assert r.headers["content-disposition"] == 'attachment; filename="posko-ca.crt"'
    cert = x509.load_der_x509_certificate(r.content)
    assert cert == x509.load_pem_x509_certificate(lan_on.files.ca_cert.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not any(secret in r.content for secret in key_material(lan_on))


@pytest.mark.parametrize("path", ["/sertifikat/ca.key", "/sertifikat/server.key", "/sertifikat/../tls/ca.key",
                                  "/sertifikat/%2e%2e/ca.key", "/sertifikat/ca.pem", "/static/../tls/ca.key"])
def test_no_other_file_of_the_tls_directory_is_reachable(client: TestClient, lan_on: LanSite, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert not any(secret in r.content for secret in key_material(lan_on))


def test_without_lan_mode_the_pages_are_not_found_and_lan_is_disabled(client: TestClient, admin: Api) -> None:
    assert client.get("/sertifikat").status_code == 404
    assert client.get("/sertifikat/posko-ca.crt").status_code == 404
    r = admin.get("/lan")
    assert r.status_code == 200 and r.json() == {"enabled": False}


@pytest.mark.parametrize("role", ["admin", "posko"])
def test_operators_get_the_field_app_address_and_its_qr_code(role: str, request: pytest.FixtureRequest,
                                                              lan_on: LanSite) -> None:
    api: Api = request.getfixturevalue(role)
    r = api.get("/lan")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["enabled"] is True
    assert body["field_app_url"] == "https://192.168.1.20:8443/lapangan/"
    assert body["certificate_page_url"] == "http://192.168.1.20:8080/sertifikat"
    assert body["ca_fingerprint_sha256"] == lan_on.ca_fingerprint
    svg = ET.fromstring(body["qr_svg"])
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert not [el for el in svg.iter() if el.tag.endswith(("script", "image", "foreignObject"))]
    assert r.headers["cache-control"] == "no-store"


def test_qr_code_encodes_the_field_app_address() -> None:
    """The SVG is segno's rendering of exactly the field app's address (its matrix, re-made here)."""
    import segno

    from services.lan import qr

    url = "https://192.168.1.20:8443/lapangan/"
    expected = segno.make(url, error="m")
    assert expected.designator.endswith("-M")
    assert qr.svg(url) == qr.svg(url) and qr.svg(url) != qr.svg(url + "x")
    import io
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, omitsize=True,
                  title="Aplikasi lapangan Posko", dark="#000", light="#fff")
    assert qr.svg(url) == out.getvalue().decode()


def test_relawan_and_pengamat_and_strangers_do_not_get_the_qr_code(relawan: Api, pengamat: Api, client: TestClient,
                                                                   lan_on: LanSite) -> None:
    assert relawan.get("/lan").status_code == 403
    assert pengamat.get("/lan").status_code == 403
    assert client.get("/api/v1/lan").status_code == 401


def test_plain_http_app_serves_the_certificate_and_sends_everything_else_to_https(lan_on: LanSite) -> None:
    with TestClient(certificate_app(lan_on), follow_redirects=False) as plain:
        assert plain.get("/").headers["location"] == "/sertifikat"
        assert plain.get("/sertifikat").status_code == 200
        assert plain.get("/sertifikat/posko-ca.crt").headers["content-type"] == "application/x-x509-ca-cert"
        for method, path in (("GET", "/lapangan/?x=1"), ("POST", "/api/v1/auth/token"), ("GET", "/docs"),
                             ("GET", "/api/v1/lan")):
            r = plain.request(method, path)
            assert r.status_code == 307, (method, path)
            assert r.headers["location"] == "https://192.168.1.20:8443" + path
        r = plain.get("/sertifikat")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in r.headers["content-security-policy"]


def test_lan_host_must_be_an_ip_address() -> None:
    from pydantic import ValidationError

    from shared.config import Settings

    assert Settings(env="test", lan_host=" 192.168.1.20 ").lan_host == "192.168.1.20"
    with pytest.raises(ValidationError, match="POSKO_LAN_HOST: 'posko.example' bukan alamat IP"):
        Settings(env="test", lan_host="posko.example")
