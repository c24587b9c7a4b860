"""How the webhook worker reaches a merchant's endpoint: urllib, no redirects, and in production
only public addresses, checked when connecting.

`check_url` refuses literal private addresses when an endpoint is registered, but a DNS name can
point inward, or be re-pointed there later (DNS rebinding), and the worker would then post signed
events to a service inside our network. So in production the worker resolves the host itself,
refuses if any of its addresses is not global, and connects to the address it checked; TLS still
verifies the certificate against the host name.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request


class AddressNotAllowed(OSError):
    """The host resolved to an address inside a private, loopback or otherwise non-public range."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, not an instruction: following it could send the event (and a valid
    signature) somewhere the merchant never registered."""
    def redirect_request(self, *args, **kwargs):
        return None


def _public_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise AddressNotAllowed(f"{host} resolves to {address}, not a public address")
    error: OSError = OSError(f"{host} has no address")
    for family, kind, proto, _, sockaddr in infos:  # every one was checked: try them in turn
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _PublicHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = _public_socket(self.host, self.port, self.timeout)


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = _public_socket(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


_anywhere = urllib.request.build_opener(_NoRedirect)
_public_only = urllib.request.build_opener(_NoRedirect, _PublicHTTPHandler, _PublicHTTPSHandler)


def opener(public_only: bool) -> urllib.request.OpenerDirector:
    """Production: public addresses only. Elsewhere a receiver on 127.0.0.1 is fine."""
    return _public_only if public_only else _anywhere
