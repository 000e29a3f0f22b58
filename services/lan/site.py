"""The LAN site of `posko run --lan`: the address phones use, its certificate, and the URLs they open."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from services.lan.address import host_name, lan_addresses
from shared.config import Settings
from shared.tls import ServerFiles, authority_certificate_der, ensure_server_certificate, fingerprint


class LanUnavailable(Exception):
    """No address phones could reach, or no certificate for it (the message says what to set)."""


@dataclass(frozen=True)
class LanSite:
    """Where the phones connect, as the servers and the pages need it (on `app.state.lan`)."""

    host: str  # the LAN address the HTTPS and certificate-page servers listen on
    https_port: int
    http_port: int
    files: ServerFiles
    ca_fingerprint: str  # SHA-256 of the authority's certificate, to compare on the phone

    @property
    def _netloc_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def origin(self) -> str:
        return f"https://{self._netloc_host}:{self.https_port}"

    @property
    def field_app_url(self) -> str:
        return f"{self.origin}/lapangan/"

    @property
    def certificate_page_url(self) -> str:
        """Plain HTTP on purpose: a phone cannot trust the HTTPS address before it has the authority."""
        return f"http://{self._netloc_host}:{self.http_port}/sertifikat"


def prepare(settings: Settings) -> LanSite:
    """Find the LAN address (POSKO_LAN_HOST wins), then make sure the local authority and a server
    certificate naming that address, the other LAN addresses, the host name and localhost exist."""
    from shared.tls import TlsError

    found = lan_addresses()
    if settings.lan_host:
        primary = ipaddress.ip_address(settings.lan_host)
        others = [ip for ip in found if ip != primary]
    elif found:
        primary, others = found[0], found[1:]
    else:
        raise LanUnavailable("alamat jaringan lokal tidak ditemukan; sambungkan laptop ke Wi-Fi posko atau atur "
                             "POSKO_LAN_HOST / --host (no LAN address found)")
    try:
        files = ensure_server_certificate(settings.tls_dir, [primary, *others], [host_name()])
    except TlsError as err:
        raise LanUnavailable(str(err)) from None
    return LanSite(host=str(primary), https_port=settings.lan_port, http_port=settings.lan_http_port, files=files,
                   ca_fingerprint=fingerprint(authority_certificate_der(settings.tls_dir)))
