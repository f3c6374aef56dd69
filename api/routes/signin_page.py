"""Opening a sign-in link: ``GET /signin/{token}`` shows a page with one button, and the button's
``POST /signin/{token}`` uses the link, starts the session and sends the browser on to the
participant's own pages.

Opening the page does not use the link: mail scanners and chat apps (LINE, Outlook) open the links
in a message to show a preview, and a link used by them would greet its owner with "already
used". A link used before, expired or unknown answers a page in Thai (and English) saying so and
what to do; every use and refusal is in the sign-in log.
"""

from __future__ import annotations

import html
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import session_rules
from api.deps import ServiceDep
from api.routes.session import NO_STORE, base_url, secure_cookie
from matcher import signin
from matcher.auth import Role
from matcher.bootstrap import Service
from matcher.labels import Lang, label
from matcher.sessions import COOKIE, LinkState, SignInLink, portal_of
from matcher.thaidates import BANGKOK

pages = APIRouter(tags=["sign-in"])

TOKEN_LENGTH = 200
"""Longer tokens are cut before they are looked up (real ones are 43 characters)."""

WELCOME_HEADERS = {**NO_STORE, "Referrer-Policy": "same-origin"}
"""The button's page tells its own site where the form comes from (with ``no-referrer`` a
browser sends ``Origin: null``), and no other site the address that holds the token."""

_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such link (a page saying so)."},
    410: {"description": "The link was used before or has expired (a page saying so)."},
}


def _uow_factory(service: Service) -> signin.SignInUowFactory:
    return cast(signin.SignInUowFactory, service.uow_factory)


@pages.get(
    "/signin/{token}",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The link is good: a page with the button that signs in."},
        303: {
            "description": "Used before in this browser, which is still signed in: on to the "
            "portal."
        },
        **_REFUSALS,
    },
    summary="Open a one-time sign-in link: the page with its sign-in button (the link is not "
    "used yet)",
)
async def show_sign_in_link(token: str, request: Request, service: ServiceDep) -> Response:
    now = service.context.clock.now()
    factory = _uow_factory(service)
    seen = await run_in_threadpool(signin.look_at_link, factory, token[:TOKEN_LENGTH], now)
    link = seen.link
    if seen.state is LinkState.VALID and link is not None:
        names = await run_in_threadpool(
            signin.participant_names, factory, link.role, link.participant_id
        )
        return HTMLResponse(welcome_page(link, names), headers=WELCOME_HEADERS)
    return await _refused(request, service, seen)


@pages.post(
    "/signin/{token}",
    response_class=HTMLResponse,
    status_code=303,
    responses={
        303: {"description": "Signed in: the session cookie is set; on to the portal."},
        403: {"description": "The button was pressed on another site's page (a page saying so)."},
        **_REFUSALS,
    },
    summary="Use a one-time sign-in link: start a session and go to the participant's pages",
)
async def use_sign_in_link(token: str, request: Request, service: ServiceDep) -> Response:
    if not _same_site(request, service):
        return HTMLResponse(page("signin_elsewhere_heading", "signin_elsewhere_text"), 403,
                            headers=NO_STORE)  # fmt: skip
    rules = session_rules(service.settings)
    client = request.client.host if request.client else ""
    opened = await run_in_threadpool(
        signin.open_link,
        _uow_factory(service),
        token[:TOKEN_LENGTH],
        service.context.clock.now(),
        rules,
        client,
    )
    if opened.session is None:
        return await _refused(request, service, opened)
    response = RedirectResponse(portal_of(opened.session.role), status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        opened.cookie,
        max_age=int(rules.absolute.total_seconds()),
        path="/",
        secure=secure_cookie(request, service.settings),
        httponly=True,
        samesite="strict",
    )
    return response


def _same_site(request: Request, service: Service) -> bool:
    """Whether the sign-in button was pressed on this service's own page. A form on another
    site could otherwise sign a visitor in as someone else (login CSRF); browsers say where a
    form was sent from in ``Sec-Fetch-Site`` and ``Origin``."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {_origin(str(request.base_url)), _origin(base_url(request, service.settings))}
    return _origin(origin) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _refused(request: Request, service: Service, seen: signin.Opened) -> Response:
    """A link that cannot sign anyone in: on to the portal when this browser already signed in
    with it (a second tap), else the page saying why."""
    if seen.link is not None and await _signed_in_by(request, service, seen):
        return RedirectResponse(portal_of(seen.link.role), status_code=303, headers=NO_STORE)
    status = 404 if seen.state is LinkState.UNKNOWN else 410
    return HTMLResponse(refusal_page(seen.state), status_code=status, headers=NO_STORE)


async def _signed_in_by(request: Request, service: Service, seen: signin.Opened) -> bool:
    """Whether this browser already holds an active session of the used link's participant."""
    cookie = request.cookies.get(COOKIE)
    if seen.state is not LinkState.USED or seen.link is None or not cookie:
        return False
    found = await run_in_threadpool(
        signin.authenticate_cookie,
        _uow_factory(service),
        cookie,
        service.context.clock.now(),
        session_rules(service.settings),
        cast(signin.SignInUowFactory, service.read_uow_factory),
    )
    if found is None:
        return False
    caller = found[0]
    return (caller.role, caller.participant_id) == (seen.link.role, seen.link.participant_id)


_PAGE_KEYS = {
    LinkState.USED: ("signin_used_heading", "signin_used_text"),
    LinkState.EXPIRED: ("signin_expired_heading", "signin_expired_text"),
    LinkState.UNKNOWN: ("signin_unknown_heading", "signin_unknown_text"),
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.6}section+section{border-top:1px solid #ccc;margin-top:2rem;color:#444}"
    "button{font:inherit;font-size:1.15rem;min-height:48px;padding:.5rem 1.5rem;border:0;"
    "border-radius:6px;background:#1d5e34;color:#fff;cursor:pointer}"
    "button:focus-visible{outline:3px solid #f3b100;outline-offset:2px}"
)


def refusal_page(state: LinkState) -> str:
    """The page of a link that cannot sign anyone in: why, and what to do, in Thai first."""
    heading, text = _PAGE_KEYS[state]
    return page(heading, text, extra="signin_what_to_do")


def page(heading: str, text: str, extra: str = "", values: dict[str, str] | None = None,
         button: bool = False) -> str:  # fmt: skip
    """A small page in Thai, then English: a heading, a paragraph, what to do, and the sign-in
    button (a form that posts back to the page's own address)."""

    def part(lang: Lang) -> str:
        def say(key: str) -> str:
            return html.escape(label(key, lang).format(**(values or {})))

        more = f"<p><strong>{say(extra)}</strong></p>" if extra else ""
        form = (
            f'<form method="post"><button type="submit" data-testid="sign-in-{lang}">'
            f"{say('signin_button')}</button></form>"
            if button
            else ""
        )
        return (
            f'<section lang="{lang}"><h1>{say(heading)}</h1><p>{say(text)}</p>{more}{form}'
            "</section>"
        )

    title = html.escape(label(heading, "th").format(**(values or {})))
    return (
        '<!doctype html><html lang="th"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f"<main>{part('th')}{part('en')}</main></body></html>"
    )


def welcome_page(link: SignInLink, names: tuple[str, str]) -> str:
    """The page of a good link: whose it is, until when it works, and the button."""
    until = link.expires_at.astimezone(BANGKOK)
    name_th, name_en = names
    values = {
        "name_th": name_th or link.participant_id,
        "name_en": name_en or name_th or link.participant_id,
        "until_th": until.strftime("%H.%M"),
        "until_en": until.strftime("%H:%M"),
    }
    text = "signin_welcome_kitchen" if link.role is Role.KITCHEN else "signin_welcome_group"
    return page("signin_welcome_heading", text, values=values, button=True)


__all__ = ["pages", "refusal_page", "welcome_page"]
