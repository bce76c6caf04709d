"""Security primitives shared by every domain: tokens, signatures, CSRF and the client's IP."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request

from goatedvips.config import Settings
from goatedvips.errors import Gone, InvalidInput, PermissionDenied

CSRF_COOKIE = "gv_csrf"
CSRF_COOKIE_MAX_AGE = 60 * 60 * 24 * 7
SESSION_COOKIE = "gv_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token for links and sessions."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256, so a database leak hands out no live links."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def signer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt=salt)


def sign(settings: Settings, salt: str, payload: Any) -> str:
    return signer(settings, salt).dumps(payload)


def unsign(settings: Settings, salt: str, token: str, *, max_age: int) -> Any:
    """Check a signed token; expired and forged tokens get distinct, clear errors."""
    try:
        return signer(settings, salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise Gone("this link has expired; ask for a new one", code="token_expired") from exc
    except BadSignature as exc:
        raise InvalidInput("this link is not valid", code="token_invalid") from exc


def client_ip(request: Request, settings: Settings) -> str:
    """The peer address, or the first untrusted hop of X-Forwarded-For when the peer is trusted."""
    peer = request.client.host if request.client else "0.0.0.0"
    networks = settings.trusted_proxy_networks
    if not networks or not _in_networks(peer, networks):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    # Walk from the nearest hop back; the first address we don't trust is the client.
    for hop in reversed(hops):
        if not _valid_ip(hop):
            return peer
        if not _in_networks(hop, networks):
            return hop
    return hops[0] if hops else peer


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _in_networks(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def csrf_token_for(request: Request) -> str:
    """The CSRF token for forms on this response (double-submit cookie; set by the middleware)."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or new_token(24)
        request.state.csrf_token = token
    return token


def csrf_cookie_header(token: str, *, secure: bool) -> tuple[bytes, bytes]:
    """The `Set-Cookie` header that hands a browser its CSRF token (double-submit cookie)."""
    flags = "; Secure" if secure else ""
    value = f"{CSRF_COOKIE}={token}; HttpOnly; Max-Age={CSRF_COOKIE_MAX_AGE}; Path=/; SameSite=lax"
    return b"set-cookie", f"{value}{flags}".encode("latin-1")


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    submitted = submitted or request.headers.get(CSRF_HEADER)
    if not cookie or not submitted or not constant_time_equals(cookie, submitted):
        raise PermissionDenied(
            "the form expired or was not sent from this site; reload the page and try again",
            code="csrf_failed",
        )
