"""Who is looking at a page: the session cookie, and the CSRF token of every form.

**Sessions are API tokens.** Signing in (:mod:`wfplan.web.pages.login`) makes an
ordinary token for the user (``accounts.create_token``, one day, audited) and sets
it in the cookie :data:`SESSION_COOKIE` (HttpOnly, SameSite=Strict, Secure over
https, Path=/); the pages send it to the API as ``Authorization: Bearer``. Signing
out revokes it. Nothing is added to the database schema.

**CSRF.** Every form carries a hidden ``csrf`` field. For a signed-in visitor it is
HMAC-SHA256 of ``b"csrf"`` keyed by the session token (:func:`session_csrf`), so it
needs no storage and dies with the session. Without a session (the log-in form) it is
a random value also set in the cookie :data:`CSRF_COOKIE` and compared with the
field (double submit). A POST whose field does not match gets a 403 page
(:func:`check_csrf`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from wfplan.web.pages.api import Api, PageError

#: The cookie holding the session's API token.
SESSION_COOKIE = "wfplan_session"
#: The cookie of the double-submit CSRF value (forms shown without a session).
CSRF_COOKIE = "wfplan_csrf"
_TOKEN = re.compile(r"^wfp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
_CSRF = re.compile(r"^[A-Za-z0-9_-]{43}$")


def session_csrf(token: str) -> str:
    """Return the CSRF value of a session: HMAC-SHA256(key=token, msg=b"csrf"), hex."""
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Visitor:
    """The visitor of one request.

    Attributes
    ----------
    token : str or None
        The live session token (None: the public).
    name, role : str
        The user and role the API knows the token by (``public`` for the public).
    stale : bool
        Whether the request carried a session cookie that is no longer live (it is cleared).
    login_csrf : str
        The double-submit CSRF value (from :data:`CSRF_COOKIE`, or new).
    new_login_csrf : bool
        Whether ``login_csrf`` is new (the cookie is set with the page).
    """

    token: str | None
    name: str
    role: str
    stale: bool
    login_csrf: str
    new_login_csrf: bool

    @property
    def signed_in(self) -> bool:
        """Whether the visitor has a live session."""
        return self.token is not None

    @property
    def csrf(self) -> str:
        """The ``csrf`` field of the visitor's forms (the log-in form's: :attr:`login_csrf`)."""
        return session_csrf(self.token) if self.token else self.login_csrf

    def home(self) -> str | None:
        """Return the page of the visitor's own area (None: national users and the public)."""
        kind, _, code = self.role.partition(":")
        return f"/area/{kind}/{code}" if kind in ("region", "icb", "org") and code else None

    def set_cookies(self, request: Request, response: Response) -> None:
        """Set the double-submit cookie if new; clear a stale session cookie."""
        if self.new_login_csrf:
            response.set_cookie(CSRF_COOKIE, self.login_csrf, httponly=True, samesite="strict",
                                secure=is_https(request), path="/")
        if self.stale:
            clear_session(request, response)


def is_https(request: Request) -> bool:
    """Return whether the visitor reached the service over https (the cookies are then Secure)."""
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, token: str) -> None:
    """Put a session token in its cookie (HttpOnly, SameSite=Strict, Secure over https, Path=/)."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=is_https(request), path="/")


def clear_session(request: Request, response: Response) -> None:
    """Clear the session cookie (with the attributes it was set with)."""
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict",
                           secure=is_https(request), path="/")


def cookie_token(request: Request) -> str | None:
    """Return the session cookie if it looks like a token (anything else is ignored)."""
    text = request.cookies.get(SESSION_COOKIE, "")
    return text if _TOKEN.match(text) else None


async def visitor_of(request: Request) -> Visitor:
    """Return the request's visitor, asking the API who the session token belongs to.

    A cookie the API refuses (401: expired or revoked, e.g. after signing out)
    makes the visitor the public, and the cookie is cleared with the answer. The
    visitor is kept in ``request.state.visitor`` (for the error pages).
    """
    found = request.cookies.get(CSRF_COOKIE, "")
    login_csrf = found if _CSRF.match(found) else secrets.token_urlsafe(32)
    new = login_csrf != found
    token = cookie_token(request)
    stale = token is None and SESSION_COOKIE in request.cookies
    if token is not None:
        try:
            async with Api(request, token) as api:
                me = await api.get("/me")
            found_visitor = Visitor(token, str(me["user"]), str(me["role"]), False, login_csrf,
                                    new)
        except PageError as error:
            if error.status != 401:
                raise
            stale = True
        else:
            request.state.visitor = found_visitor
            return found_visitor
    request.state.visitor = Visitor(None, "public", "public", stale, login_csrf, new)
    return request.state.visitor


def check_csrf(visitor: Visitor, sent: object, *, login: bool = False) -> None:
    """Refuse a form whose ``csrf`` field is not the visitor's (403).

    ``login``: the log-in form, checked against the double-submit cookie whatever
    the session.

    Raises
    ------
    PageError
        403 if the field is missing or does not match.
    """
    expected = visitor.login_csrf if login or not visitor.signed_in else visitor.csrf
    if visitor.new_login_csrf and (login or not visitor.signed_in):
        expected = ""  # no cookie came with the form: nothing to compare with
    if not (isinstance(sent, str) and expected and hmac.compare_digest(sent, expected)):
        raise PageError(403, "The form's security token did not match (it may have expired, "
                        "or the form came from another site). Go back, reload the page and "
                        "try again.")
