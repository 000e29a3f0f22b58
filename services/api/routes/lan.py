"""Field phones on the posko's network (`posko run --lan`): the page that hands a phone the local
authority's certificate, and the field app's address with its QR code for the dashboard.

The certificate page needs no login and is also served over plain HTTP (services/lan/serve.py): a
phone cannot trust the HTTPS address before it has the authority. It shows only what is public by
nature: the authority's certificate, its fingerprint and the field app's address. The authority's
key is never read here (shared/tls.authority_certificate_der re-encodes the parsed certificate).
Without `--lan` the pages answer 404 and GET /api/v1/lan says `enabled: false`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from services.api.deps import CurrentActor
from services.lan import qr
from services.lan.site import LanSite
from shared.domain.access import can_manage_events
from shared.errors import Forbidden, NotFound
from shared.tls import authority_certificate_der

CERT_FILE = "posko-ca.crt"
# Android's installer takes a DER (or PEM) file; this media type makes browsers treat it as a CA
# certificate to install or save, not as a page to show.
CA_MEDIA_TYPE = "application/x-x509-ca-cert"

pages = APIRouter(include_in_schema=False)
router = APIRouter(tags=["lan"])


def lan_site(request: Request) -> LanSite:
    site = getattr(request.app.state, "lan", None)
    if site is None:
        raise NotFound("mode LAN tidak aktif; jalankan `posko run --lan` (LAN mode is off)")
    return site  # type: ignore[no-any-return]


@pages.get("/sertifikat", response_class=HTMLResponse)
def certificate_page(request: Request) -> HTMLResponse:
    site = lan_site(request)
    return HTMLResponse(render_certificate_page(site), headers={"Cache-Control": "no-cache"})


@pages.get(f"/sertifikat/{CERT_FILE}")
def authority_certificate(request: Request) -> Response:
    site = lan_site(request)
    der = authority_certificate_der(site.files.ca_cert.parent)
    return Response(der, media_type=CA_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{CERT_FILE}"', "Cache-Control": "no-cache"})


@router.get("/lan", summary="Alamat aplikasi lapangan di jaringan posko, dengan kode QR (admin, posko)")
def lan_address(request: Request, actor: CurrentActor) -> dict[str, Any]:
    """The HTTPS address phones open, the certificate page, the authority's fingerprint and an SVG QR
    code of the field app's address. Without `--lan`: `{"enabled": false}` (a 200, so the dashboard's
    question is never a failed request in the browser's console)."""
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko (admin and posko only)")
    site = getattr(request.app.state, "lan", None)
    if site is None:
        return {"enabled": False}
    return {"enabled": True, "field_app_url": site.field_app_url, "certificate_page_url": site.certificate_page_url,
            "ca_fingerprint_sha256": site.ca_fingerprint, "qr_svg": qr.svg(site.field_app_url)}


def render_certificate_page(site: LanSite) -> str:
    """Plain steps for an Android phone, in Indonesian. No style, no script: readable on any phone."""
    cert_url = f"/sertifikat/{CERT_FILE}"
    app = escape(site.field_app_url)
    return f"""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Posko — pasang sertifikat di ponsel</title>
</head>
<body>
<h1>Pasang sertifikat Posko di ponsel</h1>
<p>Aplikasi lapangan bekerja tanpa sinyal hanya lewat alamat aman (HTTPS). Ponsel perlu mempercayai
sertifikat posko ini satu kali saja.</p>
<ol>
<li>Pastikan ponsel tersambung ke Wi-Fi posko yang sama dengan laptop posko.</li>
<li><a href="{cert_url}" download="{CERT_FILE}">Unduh sertifikat Posko ({CERT_FILE})</a>.
Berkas tersimpan di folder <b>Unduhan</b>.</li>
<li>Buka <b>Setelan</b> → <b>Keamanan</b> (atau <b>Keamanan &amp; privasi</b>) → <b>Enkripsi &amp; kredensial</b>
→ <b>Instal sertifikat</b> → <b>Sertifikat CA</b>. Pilih <b>Tetap instal</b> bila muncul peringatan, masukkan PIN
ponsel, lalu pilih berkas <b>{CERT_FILE}</b> dari folder Unduhan.
(Nama menu bisa sedikit berbeda; ketik "sertifikat CA" di kolom pencarian Setelan.)</li>
<li>Buka aplikasi lapangan: <a href="{app}">{app}</a> lalu pilih <b>Tambahkan ke layar utama</b>
agar bisa dibuka tanpa sinyal.</li>
</ol>
<h2>Periksa sertifikat</h2>
<p>Sidik jari SHA-256 sertifikat ini harus sama dengan yang tampil di layar laptop posko:</p>
<p><code>{escape(site.ca_fingerprint)}</code></p>
<p>Sertifikat ini hanya berlaku untuk alamat jaringan lokal posko (bukan situs internet). Setelah bencana
selesai, hapus lewat <b>Setelan</b> → <b>Keamanan</b> → <b>Enkripsi &amp; kredensial</b> →
<b>Kredensial tepercaya</b> → <b>Pengguna</b> → <b>Posko otoritas lokal</b> → <b>Hapus</b>.</p>
</body>
</html>
"""
