"""Which address of this machine the phones on the posko's Wi-Fi can reach."""

from __future__ import annotations

import ipaddress
import socket

from shared.tls import IPAddress, ip_permitted

# Never answered (TEST-NET-1, RFC 5737): "connecting" a UDP socket sends nothing, it only asks the
# kernel which local address would carry the packet, i.e. the address of the interface with the route.
_PROBE = ("192.0.2.1", 9)


def _routed_address() -> IPAddress | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(_PROBE)
            return ipaddress.ip_address(s.getsockname()[0])
    except OSError:  # no route at all (a laptop on a Wi-Fi without a gateway)
        return None


def _named_addresses() -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def lan_addresses() -> list[IPAddress]:
    """Private, non-loopback IPv4 addresses of this machine, the one with the default route first.

    Loopback is no use to a phone and a public address cannot be vouched for by the local authority
    (shared/tls.py); when nothing is left, POSKO_LAN_HOST must say which address to use.
    """
    found: list[IPAddress] = []
    for ip in [a for a in [_routed_address()] if a is not None] + _named_addresses():
        if not ip.is_loopback and not ip.is_unspecified and ip_permitted(ip) and ip not in found:
            found.append(ip)
    return found


def host_name() -> str:
    """This machine's short name (it goes into the certificate, so `http://laptop-posko/` also works
    where the Wi-Fi router resolves names)."""
    return socket.gethostname().split(".")[0].lower()
