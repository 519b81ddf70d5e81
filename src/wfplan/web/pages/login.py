"""Signing in and out: ``/login`` and ``/logout`` (:mod:`wfplan.web.pages.session`).

These are the only page handlers that touch a store: the API has no endpoint that
checks a password or makes a token from one, so ``POST /login`` calls
``accounts.check_password`` and ``accounts.create_token`` itself (one day, audited,
with the user as actor) and ``POST /logout`` calls ``accounts.revoke_token``. A
failed password counts against the client in the API's token throttle
(:mod:`wfplan.web.throttle`), so guessing passwords is locked out like guessing tokens.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wfplan.dataset import accounts
from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import stores_of
from wfplan.web.pages.api import PageError
from wfplan.web.pages.render import page
from wfplan.web.pages.session import (
    Visitor,
    check_csrf,
    clear_session,
    set_session,
    visitor_of,
)
from wfplan.web.throttle import Throttle

router = APIRouter()
#: Days a session (its token) lasts.
SESSION_DAYS = 1
#: Longest name and password read from the form.
MAX_NAME, MAX_PASSWORD = 64, 1024


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request) -> HTMLResponse:
    """Show the log-in form (its CSRF value is the double-submit cookie's)."""
    visitor = await visitor_of(request)
    return page(request, visitor, "login.html", error=None, name="")


def _sign_in(request: Request, name: str, password: str, old: str | None) -> str | None:
    """Check the password; return a new session token, or None (counted by the throttle)."""
    throttle: Throttle = request.app.state.throttle
    with stores_of(request).lend() as store:
        if not accounts.check_password(store, name, password):
            throttle.failed(_client(request))
            return None
        if old is not None:
            _revoke(store, old, name)
        return accounts.create_token(store, name, days=SESSION_DAYS, actor=name)


def _revoke(store: Store, token: str, actor: str) -> None:
    with contextlib.suppress(InputError):  # revoked or expired already
        accounts.revoke_token(store, token, actor=actor)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request) -> Response:
    """Sign in: check the CSRF field and the password, set the session cookie, go to England."""
    visitor = await visitor_of(request)
    form = await request.form()
    check_csrf(visitor, form.get("csrf"), login=True)
    name, password = form.get("name"), form.get("password")
    throttle: Throttle = request.app.state.throttle
    if throttle.locked(_client(request)):
        raise PageError(429, "Too many failed attempts from your address: wait a minute and "
                        "try again.")
    if not (isinstance(name, str) and isinstance(password, str) and name.strip()
            and password and len(name) <= MAX_NAME and len(password) <= MAX_PASSWORD):
        return _failed(request, visitor, name, "Enter your user name and password")
    token = await run_in_threadpool(_sign_in, request, name.strip(), password, visitor.token)
    if token is None:
        return _failed(request, visitor, name, "The user name or password is not right")
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    set_session(request, response, token)
    return response


def _failed(request: Request, visitor: Visitor, name: object, error: str) -> HTMLResponse:
    shown = name.strip()[:MAX_NAME] if isinstance(name, str) else ""
    return page(request, visitor, "login.html", status=401, error=error, name=shown)


@router.get("/logout", response_class=HTMLResponse, include_in_schema=False)
async def logout_form(request: Request) -> Response:
    """Show the log-out button (logging out is a POST); the public goes to England."""
    visitor = await visitor_of(request)
    if not visitor.signed_in:
        response: Response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
        visitor.set_cookies(request, response)
        return response
    return page(request, visitor, "logout.html")


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """Sign out: check the CSRF field, revoke the session's token, clear the cookie."""
    visitor = await visitor_of(request)
    form = await request.form()
    if visitor.signed_in and visitor.token is not None:
        check_csrf(visitor, form.get("csrf"))
        await run_in_threadpool(_sign_out, request, visitor.token, visitor.name)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    clear_session(request, response)
    return response


def _sign_out(request: Request, token: str, name: str) -> None:
    """Revoke the token, and forget it in this process's token cache at once."""
    with stores_of(request).lend() as store:
        _revoke(store, token, name)
    cache: ResponseCache = request.app.state.cache
    cache.forget(token)
