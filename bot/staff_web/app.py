"""The staff inbox: a small Sanic app with Jinja2 templates (Norwegian, phone-friendly).

Security (SPEC.md "Staff inbox"; every rule lives in ``bot.register.staff_accounts``):

- Every page but ``/login`` and ``/enrol/...`` needs a full session (password + code):
  a GET without one is sent to ``/login`` (303), a POST gets 403.
- Every form carries ``csrf_token``. Signed in: the session's own token. Before that (the
  login and enrolment forms): an HMAC of a random pre-session cookie. A POST without a
  valid one gets 403 and changes nothing (it is checked before the handler runs).
- Cookies are ``HttpOnly``, ``SameSite=Strict``, ``Secure`` outside development.
- Every answer carries CSP ``default-src 'self'; frame-ancestors 'none'``, nosniff,
  ``no-referrer`` and ``no-store``; nothing is fetched from a third party.
- Logins are limited per client address (``limits``) besides the account's own lock.
- Extracts and erasure need password and code again within the last 5 minutes.
- Templates autoescape: everything a customer wrote is text, never markup.

Handlers run in a worker thread (the register is synchronous), one transaction each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from markupsafe import Markup
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.support import run_sync
from bot.config import Settings, get_settings
from bot.register import casework, inbox, staff_accounts, wording
from bot.register.db import session_scope
from bot.register.models import OPEN_STATUSES, REQUEST_KINDS
from bot.register.requests import RequestError, extend_deadline, update_status

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "klstaff_session"
PENDING_COOKIE = "klstaff_pending"
PRE_COOKIE = "klstaff_pre"
LOGIN_LIMITS = "10/minute;60/hour"  # per client address, besides the account's lock
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
WRONG_LOGIN = "Feil e-post eller passord."
WRONG_CODE = "Koden stemmer ikke, eller kontoen er låst. Prøv igjen."
TOO_MANY = "For mange innloggingsforsøk fra denne adressen. Vent litt og prøv igjen."
DONE_TEXT = {
    "take": "Saken er din.",
    "assign": "Saken er tildelt.",
    "start": "Saken er under behandling.",
    "done": "Saken er ferdig. Kunden får beskjed der forespørselen kom fra.",
    "reject": "Saken er avslått. Kunden får beskjed med begrunnelsen.",
    "extend": "Fristen er forlenget med to måneder; kunden får beskjed om ny frist og hvorfor.",
    "note": "Notatet er lagret.",
    "apply": "Den nye verdien står i registeret; saken er ferdig og kunden får beskjed.",
    "mark": "Merket er satt på kunden; saken er ferdig og kunden får beskjed.",
    "verify": "Identiteten er registrert som bekreftet av deg.",
    "reauth": "Bekreftet. Du har fem minutter.",
    "erase": "Kundens opplysninger er slettet i registeret og i samtalene; saken er ferdig.",
}


@dataclass
class Ctx:
    """One request as a handler sees it, inside its own register transaction."""

    s: Any
    request: Request
    settings: Settings
    session: Optional[staff_accounts.StaffSession] = None

    @property
    def account(self) -> Optional[staff_accounts.StaffAccount]:
        return self.session.account if self.session is not None else None

    @property
    def actor(self) -> str:
        return staff_accounts.actor_of(self.account) if self.account else "anonym"

    def form(self, name: str) -> str:
        value = self.request.form.get(name) if self.request.form else None
        return (value or "")[:5000]


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = wording.date_text
    env.filters["datetime"] = lambda d: wording.oslo(d).strftime("%d.%m.%Y %H:%M") if d else ""
    env.filters["due"] = lambda d: wording.due_text(d)
    env.filters["detail"] = inbox.detail_text
    env.globals["DETAIL_LABEL"] = inbox.DETAIL_LABEL
    env.globals["KIND_TEXT"] = wording.KIND_TEXT
    env.globals["STATUS_LABEL"] = inbox.STATUS_LABEL
    env.globals["PURPOSE_LABEL"] = {k: v[0] for k, v in wording.PURPOSE_TEXT.items()}
    env.globals["REJECTION_CATEGORIES"] = wording.REJECTION_CATEGORIES
    return env


def _safe_next(value: Optional[str]) -> str:
    """Only a path on this site (no ``//host`` or scheme): an open redirect otherwise."""
    value = value or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value:
        return "/"
    return value


def create_app(settings: Optional[Settings] = None, name: str = "klbot_staff") -> Sanic:
    settings = settings or get_settings()
    app = Sanic(name)
    app.config.KEEP_ALIVE_TIMEOUT = 5
    env = _env()
    form_key = (settings.staff_secret or secrets.token_urlsafe(32)).encode("utf-8")
    from bot.channels.rate_limit import storage_url

    # shared by several inbox processes when Redis is configured, like the chat's limits
    # limits keeps only a weak reference to its storage: hold it here, or it is collected
    limiter_storage = storage_from_string(storage_url(settings))
    limiter = MovingWindowRateLimiter(limiter_storage)
    limiter.klbot_storage = limiter_storage  # type: ignore[attr-defined]
    login_limits = parse_many(LOGIN_LIMITS)
    secure = not settings.is_development

    def render(ctx: Optional[Ctx], template: str, code: int = 200, **values: Any) -> HTTPResponse:
        values.setdefault("me", ctx.account if ctx else None)
        values.setdefault("csrf", ctx.session.csrf_token if ctx and ctx.session else "")
        return response.html(env.get_template(template).render(**values), status=code)

    def set_cookie(
        resp: HTTPResponse, name: str, value: str, max_age: Optional[int] = None
    ) -> None:
        resp.cookies[name] = value
        cookie = resp.cookies[name]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/"
        if secure:
            cookie["secure"] = True
        if max_age is not None:
            cookie["max-age"] = max_age

    def drop_cookie(resp: HTTPResponse, name: str) -> None:
        set_cookie(resp, name, "", max_age=0)

    def form_token(purpose: str, pre: str) -> str:
        return hmac.new(form_key, f"{purpose}|{pre}".encode(), hashlib.sha256).hexdigest()

    def pre_token(request: Request) -> str:
        value = request.cookies.get(PRE_COOKIE) or ""
        return value if 20 <= len(value) <= 100 else ""

    def client(request: Request) -> str:
        return hashlib.sha256((request.remote_addr or request.ip or "?").encode()).hexdigest()

    def login_allowed(request: Request) -> bool:
        if not settings.rate_limits_on:
            return True
        key = client(request)
        return all(limiter.hit(item, "staff-login", key) for item in login_limits)

    def forbidden() -> HTTPResponse:
        return response.html(
            env.get_template("error.html").render(
                title="Ikke tillatt",
                text="Skjemaet mangler gyldig nøkkel, eller du er ikke logget inn. "
                "Last siden på nytt og prøv igjen.",
                me=None,
                csrf="",
            ),
            status=403,
        )

    def run(
        fn: Callable[..., HTTPResponse],
        request: Request,
        auth: bool,
        fresh: bool,
        touch: bool,
        kwargs: Dict[str, Any],
    ) -> HTTPResponse:
        try:
            with session_scope() as s:
                ctx = Ctx(s=s, request=request, settings=settings)
                if auth:
                    ctx.session = staff_accounts.session_for(
                        s, request.cookies.get(SESSION_COOKIE), touch=touch
                    )
                    if ctx.session is None:
                        if request.method == "POST":
                            return forbidden()
                        target = quote(_safe_next(request.path), safe="/")
                        return response.redirect(f"/login?next={target}", status=303)
                    if request.method == "POST":
                        given = (request.form.get("csrf_token") if request.form else None) or ""
                        if not hmac.compare_digest(given, ctx.session.csrf_token):
                            return forbidden()
                    if fresh and not ctx.session.fresh():
                        if request.method == "POST":
                            return forbidden()
                        target = quote(request.path, safe="/")
                        return response.redirect(f"/reauth?next={target}", status=303)
                return fn(ctx, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a sentence, never a stack trace
            logger.error("Staff inbox error on %s (%s)", request.method, type(exc).__name__)
            logger.debug("Staff inbox error", exc_info=True)  # noqa: E501
            return response.html(
                env.get_template("error.html").render(
                    title="Noe gikk galt",
                    text="Noe gikk galt hos oss. Prøv igjen om litt.",
                    me=None,
                    csrf="",
                ),
                status=500,
            )

    def route(
        path: str, methods=("GET",), auth: bool = True, fresh: bool = False, touch: bool = True
    ):
        def decorate(fn: Callable[..., HTTPResponse]):
            async def handler(request: Request, **kwargs: Any) -> HTTPResponse:
                return await run_sync(run, fn, request, auth, fresh, touch, kwargs)

            handler.__name__ = fn.__name__
            app.add_route(handler, path, methods=list(methods), name=fn.__name__)
            return fn

        return decorate

    @app.middleware("response")
    async def headers(request: Request, resp: HTTPResponse) -> None:
        for key, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(key, value)

    app.static("/static", str(HERE / "static"), name="static")

    @app.get("/favicon.ico")
    async def favicon(request: Request) -> HTTPResponse:
        return response.redirect("/static/favicon.svg", status=301)

    @app.exception(Exception)
    async def on_error(request: Request, exc: Exception) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        text = {404: "Siden finnes ikke.", 405: "Det går ikke an her."}.get(
            status, "Noe gikk galt hos oss."
        )
        if status >= 500:
            logger.error("Staff inbox error (%s)", type(exc).__name__)
        return response.html(
            env.get_template("error.html").render(title="Feil", text=text, me=None, csrf=""),
            status=status,
        )

    # --- login ----------------------------------------------------------------------

    def login_page(ctx: Ctx, error: Optional[str] = None, status: int = 200) -> HTTPResponse:
        pre = pre_token(ctx.request) or secrets.token_urlsafe(32)
        resp = render(
            None,
            "login.html",
            code=status,
            error=error,
            csrf=form_token("login", pre),
            next=_safe_next(ctx.request.args.get("next") or ctx.form("next")),
        )
        set_cookie(resp, PRE_COOKIE, pre)
        return resp

    @route("/login", auth=False)
    def login_get(ctx: Ctx) -> HTTPResponse:
        return login_page(ctx)

    @route("/login", methods=("POST",), auth=False)
    def login_post(ctx: Ctx) -> HTTPResponse:
        pre = pre_token(ctx.request)
        if not pre or not hmac.compare_digest(ctx.form("csrf_token"), form_token("login", pre)):
            return forbidden()
        if not login_allowed(ctx.request):
            return login_page(ctx, TOO_MANY, status=429)
        pending = staff_accounts.check_password(ctx.s, ctx.form("email"), ctx.form("password"))
        if pending is None:
            return login_page(ctx, WRONG_LOGIN)
        resp = render(
            None, "code.html", csrf=pending.session.csrf_token, next=_safe_next(ctx.form("next"))
        )
        set_cookie(resp, PENDING_COOKIE, pending.token)
        return resp

    @route("/login/code", auth=False)
    def code_get(ctx: Ctx) -> HTTPResponse:
        pending = staff_accounts.session_for(
            ctx.s, ctx.request.cookies.get(PENDING_COOKIE), stage="password"
        )
        if pending is None:
            return response.redirect("/login", status=303)
        return render(
            None,
            "code.html",
            csrf=pending.csrf_token,
            next=_safe_next(ctx.request.args.get("next")),
        )

    @route("/login/code", methods=("POST",), auth=False)
    def code_post(ctx: Ctx) -> HTTPResponse:
        pending = staff_accounts.session_for(
            ctx.s, ctx.request.cookies.get(PENDING_COOKIE), stage="password"
        )
        if pending is None:
            return forbidden()
        if not hmac.compare_digest(ctx.form("csrf_token"), pending.csrf_token):
            return forbidden()
        if not login_allowed(ctx.request):
            return render(None, "code.html", code=429, error=TOO_MANY, csrf=pending.csrf_token)
        full = staff_accounts.check_code(ctx.s, pending, ctx.form("code"))
        if full is None:
            if not staff_accounts.usable(pending.account):
                pending.revoked_at = staff_accounts.utcnow()
            return render(
                None,
                "code.html",
                error=WRONG_CODE,
                csrf=pending.csrf_token,
                next=_safe_next(ctx.form("next")),
            )
        resp = response.redirect(_safe_next(ctx.form("next")), status=303)
        drop_cookie(resp, PENDING_COOKIE)
        set_cookie(resp, SESSION_COOKIE, full.token)
        return resp

    @route("/logout", methods=("POST",))
    def logout(ctx: Ctx) -> HTTPResponse:
        staff_accounts.end_session(ctx.s, ctx.request.cookies.get(SESSION_COOKIE))
        resp = response.redirect("/login", status=303)
        drop_cookie(resp, SESSION_COOKIE)
        return resp

    @route("/reauth")
    def reauth_get(ctx: Ctx) -> HTTPResponse:
        return render(ctx, "reauth.html", next=_safe_next(ctx.request.args.get("next")))

    @route("/reauth", methods=("POST",))
    def reauth_post(ctx: Ctx) -> HTTPResponse:
        if not login_allowed(ctx.request):
            return render(ctx, "reauth.html", code=429, error=TOO_MANY, next="/")
        ok = staff_accounts.reauthenticate(
            ctx.s, ctx.session, ctx.form("password"), ctx.form("code")
        )
        if not ok:
            return render(
                ctx,
                "reauth.html",
                error="Passordet eller koden stemmer ikke.",
                next=_safe_next(ctx.form("next")),
            )
        return response.redirect(_safe_next(ctx.form("next")), status=303)

    # --- enrolment --------------------------------------------------------------------

    def enrol_form(ctx: Ctx, token: str, pre: str) -> str:
        return form_token("enrol:" + hashlib.sha256(token.encode()).hexdigest(), pre)

    def gone(ctx: Ctx) -> HTTPResponse:
        return render(
            None,
            "error.html",
            code=404,
            title="Lenken virker ikke",
            text="Lenken er ugyldig, brukt eller utløpt. Be en administrator om en "
            "ny (klbot staff reset).",
        )

    @route("/enrol/<token>", auth=False)
    def enrol_get(ctx: Ctx, token: str) -> HTTPResponse:
        row = staff_accounts.enrolment(ctx.s, token)
        if row is None:
            return gone(ctx)
        pre = pre_token(ctx.request) or secrets.token_urlsafe(32)
        resp = render(
            None,
            "enrol.html",
            name=row.account.name,
            token=token,
            csrf=enrol_form(ctx, token, pre),
            min_length=staff_accounts.MIN_PASSWORD,
        )
        set_cookie(resp, PRE_COOKIE, pre)
        return resp

    @route("/enrol/<token>", methods=("POST",), auth=False)
    def enrol_post(ctx: Ctx, token: str) -> HTTPResponse:
        pre = pre_token(ctx.request)
        if not pre or not hmac.compare_digest(ctx.form("csrf_token"), enrol_form(ctx, token, pre)):
            return forbidden()
        row = staff_accounts.enrolment(ctx.s, token)
        if row is None:
            return gone(ctx)
        if ctx.form("code") and not ctx.form("password"):
            try:
                codes = staff_accounts.enrol_confirm(ctx.s, token, ctx.form("code"))
            except staff_accounts.StaffError as exc:
                key = staff_accounts.pending_key(ctx.s, token)
                if key is None:
                    return gone(ctx)
                return render(
                    None,
                    "enrol_key.html",
                    error=str(exc),
                    secret=key[0],
                    uri=key[1],
                    qr=qr_svg(key[1]),
                    token=token,
                    csrf=enrol_form(ctx, token, pre),
                )
            return render(None, "enrol_done.html", codes=codes)
        try:
            secret, uri = staff_accounts.enrol_password(
                ctx.s, token, ctx.form("password"), ctx.form("password_confirm")
            )
        except staff_accounts.StaffError as exc:
            return render(
                None,
                "enrol.html",
                code=400,
                error=str(exc),
                name=row.account.name,
                token=token,
                csrf=enrol_form(ctx, token, pre),
                min_length=staff_accounts.MIN_PASSWORD,
            )
        return render(
            None,
            "enrol_key.html",
            secret=secret,
            uri=uri,
            qr=qr_svg(uri),
            token=token,
            csrf=enrol_form(ctx, token, pre),
        )

    # --- the queue and a ticket ---------------------------------------------------------

    @route("/")
    def queue_page(ctx: Ctx) -> HTTPResponse:
        args = ctx.request.args
        tab = args.get("tab") if args.get("tab") in inbox.TABS else "open"
        kind = args.get("kind") if args.get("kind") in REQUEST_KINDS else None
        status = args.get("status") if args.get("status") in inbox.STATUS_LABEL else None
        search = (args.get("q") or "")[:200]
        rows = inbox.queue(ctx.s, tab=tab, me=ctx.account, kind=kind, status=status, search=search)
        return render(
            ctx,
            "queue.html",
            rows=rows,
            tab=tab,
            tabs=inbox.TABS,
            kind=kind,
            status=status,
            q=search,
            kinds=REQUEST_KINDS,
            latest=inbox.latest_id(ctx.s),
        )

    @route("/api/latest", touch=False)
    def latest(ctx: Ctx) -> HTTPResponse:
        return response.json({"latest": inbox.latest_id(ctx.s)})

    def ticket(
        ctx: Ctx,
        ref: str,
        error: Optional[str] = None,
        status: int = 200,
        done: Optional[str] = None,
    ) -> HTTPResponse:
        page = inbox.ticket_page(ctx.s, ref)
        if page is None:
            return render(
                ctx,
                "error.html",
                code=404,
                title="Finnes ikke",
                text="Det finnes ingen sak med den referansen.",
            )
        staff = [a for a in staff_accounts.list_accounts(ctx.s) if staff_accounts.usable(a)]
        return render(
            ctx,
            "request.html",
            staff=staff,
            code=status,
            page=page,
            r=page.request,
            error=error,
            done=DONE_TEXT.get(done or ""),
            open=page.request.status in OPEN_STATUSES,
            categories=wording.REJECTION_CATEGORIES,
        )

    @route("/requests/<ref>")
    def request_page(ctx: Ctx, ref: str) -> HTTPResponse:
        return ticket(ctx, ref, done=ctx.request.args.get("ok"))

    def act(ctx: Ctx, ref: str, action: str) -> HTTPResponse:
        actor = ctx.actor
        try:
            if action == "take":
                inbox.assign(ctx.s, ref, ctx.account, actor=actor)
            elif action == "assign":
                target = ctx.s.get(staff_accounts.StaffAccount, _int(ctx.form("account_id")))
                if target is None or not staff_accounts.usable(target):
                    raise RequestError("Velg en aktiv ansatt.")
                inbox.assign(ctx.s, ref, target, actor=actor)
            elif action == "verify":
                update_status(ctx.s, ref, "verified", actor=actor, note=ctx.form("text") or None)
            elif action == "start":
                update_status(ctx.s, ref, "in_progress", actor=actor)
            elif action == "done":
                current = inbox.get_by_reference(ctx.s, ref)
                if current is not None and current.kind == "erasure":
                    # done only when every store is cleared: the erasure page does that
                    raise RequestError("En sletting lukkes fra slettesiden, når alt er slettet.")
                force = current is not None and current.status == "verified"
                update_status(
                    ctx.s, ref, "done", actor=actor, force=force, note=ctx.form("text") or None
                )
            elif action == "reject":
                category = ctx.form("category") or None
                reason = ctx.form("reason").strip()
                if not reason:
                    raise RequestError("Skriv en begrunnelse.")
                update_status(ctx.s, ref, "rejected", actor=actor, category=category, note=reason)
            elif action == "extend":
                reason = ctx.form("reason").strip()
                if not reason:
                    raise RequestError("Skriv hvorfor fristen forlenges.")
                extend_deadline(ctx.s, ref, reason=reason, actor=actor)
            elif action == "apply":  # the CLI's `klbot requests apply`
                casework.apply_correction(ctx.s, ref, actor=actor, note=ctx.form("text") or None)
            elif action == "mark":  # the CLI's `klbot requests mark`
                covers = (ctx.request.form.getlist("covers") if ctx.request.form else None) or []
                if not covers:
                    raise RequestError("Velg hva som skal stoppes.")
                casework.place_mark(
                    ctx.s, ref, covers=covers, actor=actor, note=ctx.form("text") or None
                )
            elif action == "note":
                inbox.add_note(ctx.s, ref, ctx.form("text"), actor=actor)
            else:
                return render(
                    ctx,
                    "error.html",
                    code=404,
                    title="Finnes ikke",
                    text="Den handlingen finnes ikke.",
                )
        except RequestError as exc:
            ctx.s.rollback()
            return ticket(ctx, ref, error=_norwegian(str(exc)), status=400)
        target = inbox.get_by_reference(ctx.s, ref)
        return response.redirect(f"/requests/{quote(target.reference)}?ok={action}", status=303)

    for action in (
        "take", "assign", "verify", "start", "done", "apply", "mark", "reject", "extend", "note",
    ):  # fmt: skip

        def make(action: str):
            def handler(ctx: Ctx, ref: str) -> HTTPResponse:
                return act(ctx, ref, action)

            handler.__name__ = f"action_{action}"
            return handler

        route(f"/requests/<ref>/{action}", methods=("POST",))(make(action))

    def no_extract(ctx: Ctx) -> HTTPResponse:
        return render(
            ctx,
            "error.html",
            code=404,
            title="Ingen utdrag",
            text="Saken hører ikke til en kjent kunde.",
        )

    @route("/requests/<ref>/extract", fresh=True)
    def extract_page(ctx: Ctx, ref: str) -> HTTPResponse:
        data = _extract(ctx, ref)
        if data is None:
            return no_extract(ctx)
        return render(ctx, "extract.html", data=data, ref=ref.upper())

    @route("/requests/<ref>/extract.json", fresh=True)
    def extract_json(ctx: Ctx, ref: str) -> HTTPResponse:
        data = _extract(ctx, ref)
        if data is None:
            return no_extract(ctx)
        body = json.dumps(data, ensure_ascii=False, indent=2)
        name = f"innsyn-{ref.upper()}.json".replace('"', "")
        return response.text(
            body,
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def erase_page(ctx: Ctx, ref: str, error: Optional[str] = None, code: int = 200):
        page = inbox.ticket_page(ctx.s, ref)
        if page is None or page.request.kind != "erasure" or not page.customer_number:
            return render(
                ctx,
                "error.html",
                code=404,
                title="Ingen sletting",
                text="Saken er ikke en sletteforespørsel fra en kjent kunde.",
            )
        return render(
            ctx,
            "erase.html",
            code=code,
            page=page,
            r=page.request,
            error=error,
            erases=inbox.ERASES,
            keeps=inbox.KEEPS,
        )

    @route("/requests/<ref>/erase", fresh=True)
    def erase_get(ctx: Ctx, ref: str) -> HTTPResponse:
        return erase_page(ctx, ref)

    @route("/requests/<ref>/erase", methods=("POST",), fresh=True)
    def erase_post(ctx: Ctx, ref: str) -> HTTPResponse:
        try:
            inbox.erase_for_ticket(ctx.s, ref, ctx.form("customer_number"), actor=ctx.actor)
        except inbox.ErasureRefused as exc:
            ctx.s.rollback()
            return erase_page(ctx, ref, error=str(exc), code=400)
        except RequestError as exc:
            ctx.s.rollback()
            return erase_page(ctx, ref, error=_norwegian(str(exc)), code=400)
        return response.redirect(f"/requests/{quote(ref.upper())}?ok=erase", status=303)

    @route("/requests/<ref>/letter")
    def letter_page(ctx: Ctx, ref: str) -> HTTPResponse:
        found = inbox.letter(ctx.s, ref)
        if found is None:
            return render(
                ctx,
                "error.html",
                code=404,
                title="Finnes ikke",
                text="Det finnes ingen sak med den referansen.",
            )
        return render(ctx, "letter.html", l=found)

    # --- customers, suppressions, outbox, staff ------------------------------------------

    @route("/customers")
    def customers_page(ctx: Ctx) -> HTTPResponse:
        query = (ctx.request.args.get("q") or "")[:200]
        view = inbox.look_up_customer(ctx.s, query, actor=ctx.actor) if query else None
        return render(ctx, "customer.html", q=query, view=view)

    @route("/customers/<number>/lift-mark", methods=("POST",))
    def lift_mark_post(ctx: Ctx, number: str) -> HTTPResponse:
        """The CLI's `klbot customers lift-mark`: only with the decision's reason."""
        covers = (ctx.request.form.getlist("covers") if ctx.request.form else None) or []
        try:
            casework.lift_mark(
                ctx.s, number, covers=covers, actor=ctx.actor, reason=ctx.form("reason")
            )
        except (RequestError, LookupError) as exc:
            ctx.s.rollback()
            text = (
                "Skriv beslutningen som begrunnelse (minst tre tegn)."
                if "reason" in str(exc)
                else "Kunden har ikke et slikt merke."
            )
            view = inbox.look_up_customer(ctx.s, number, actor=ctx.actor)
            return render(ctx, "customer.html", code=400, q=number, view=view, error=text)
        return response.redirect(f"/customers?q={quote(number)}", status=303)

    @route("/suppressions.csv")
    def suppressions(ctx: Ctx) -> HTTPResponse:
        return response.text(
            inbox.suppressions_csv(ctx.s, actor=ctx.actor),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="sperreliste.csv"'},
        )

    @route("/outbox")
    def outbox_page(ctx: Ctx) -> HTTPResponse:
        from bot.register.outbox import failed_messages

        return render(
            ctx, "outbox.html", failed=failed_messages(ctx.s), done=ctx.request.args.get("ok")
        )

    @route("/outbox/<message_id:int>/retry", methods=("POST",))
    def outbox_retry(ctx: Ctx, message_id: int) -> HTTPResponse:
        try:
            inbox.retry_message(ctx.s, message_id, actor=ctx.actor)
        except RequestError:
            return response.redirect("/outbox", status=303)
        return response.redirect("/outbox?ok=1", status=303)

    def admin_only(ctx: Ctx) -> Optional[HTTPResponse]:
        if ctx.account is None or not ctx.account.is_admin:
            return render(
                ctx,
                "error.html",
                code=403,
                title="Ikke tillatt",
                text="Bare administratorer kan endre ansattkontoer.",
            )
        return None

    @route("/staff")
    def staff_page(ctx: Ctx) -> HTTPResponse:
        return admin_only(ctx) or render(
            ctx,
            "staff.html",
            accounts=staff_accounts.list_accounts(ctx.s),
            roles=staff_accounts.ROLES,
        )

    @route("/staff/<op>", methods=("POST",))
    def staff_post(ctx: Ctx, op: str) -> HTTPResponse:
        refused = admin_only(ctx)
        if refused:
            return refused
        email, actor, link = ctx.form("email"), ctx.actor, None
        try:
            if op == "add":
                _acc, token = staff_accounts.add_account(
                    ctx.s, email, name=ctx.form("name"), role=ctx.form("role"), actor=actor
                )
                link = f"{settings.staff_url}/enrol/{token}"
            elif op == "reset":
                _acc, token = staff_accounts.reset_account(ctx.s, email, actor=actor)
                link = f"{settings.staff_url}/enrol/{token}"
            elif op == "disable":
                if ctx.account.email == staff_accounts.normalize_email(email):
                    raise staff_accounts.StaffError("du kan ikke deaktivere din egen konto")
                staff_accounts.disable_account(ctx.s, email, actor=actor)
            elif op == "unlock":
                staff_accounts.unlock_account(ctx.s, email, actor=actor)
            else:
                return render(
                    ctx, "error.html", code=404, title="Finnes ikke", text="Ukjent handling."
                )
        except staff_accounts.StaffError as exc:
            ctx.s.rollback()
            return render(
                ctx,
                "staff.html",
                code=400,
                error=f"Det gikk ikke: {exc}.",
                accounts=staff_accounts.list_accounts(ctx.s),
                roles=staff_accounts.ROLES,
            )
        return render(
            ctx,
            "staff.html",
            link=link,
            done=True,
            accounts=staff_accounts.list_accounts(ctx.s),
            roles=staff_accounts.ROLES,
        )

    def _extract(ctx: Ctx, ref: str) -> Optional[dict]:
        from bot.register.customers import export_customer

        request = inbox.get_by_reference(ctx.s, ref)
        if (
            request is None
            or request.customer is None
            or request.kind not in ("access", "portability")
        ):
            return None
        inbox.record_view(ctx.s, request.reference, "view_extract", actor=ctx.actor)
        return export_customer(ctx.s, request.customer.customer_number)

    return app


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else -1


def qr_svg(uri: str) -> Markup:
    """The enrolment key as a QR code, inline SVG drawn here (segno): no image fetched, no
    script; the text key stays beside it for apps that cannot scan."""
    import segno

    svg = segno.make(uri, error="m").svg_inline(scale=4, title="QR-kode for nøkkelen")
    return Markup(svg)  # noqa: S704 - our own drawing of our own URI, no customer text


def _norwegian(text: str) -> str:
    """The register's reasons are for the CLI (English); staff in the inbox read Norwegian."""
    if "is done when" in text or "is done only" in text:
        return "Denne saken lukkes med knappen for arbeidet den krever (over), ikke med «Ferdig»."
    if "does not fit the field" in text:
        return "Den nye verdien passer ikke i feltet: spør kunden, eller avslå."
    if "--covers" in text:
        return "Kryss av for hva som skal stoppes."
    if "already been extended" in text:
        return "Fristen er allerede forlenget én gang."
    if "cannot become" in text:
        return "Det steget går ikke fra sakens nåværende status."
    if "needs no extension" in text:
        return "En lukket sak kan ikke forlenges."
    if "unknown rejection category" in text:
        return "Velg en gyldig begrunnelse."
    if "is done when its new value is in the register" in text:
        return (
            "En retting er ferdig når den nye verdien står i registeret: bruk «Rett i registeret»."
        )
    if "is done when its mark is on the customer" in text:
        return "Saken er ferdig når merket står på kunden: velg hva som stoppes, og merk kunden."
    if "no request" in text:
        return "Det finnes ingen sak med den referansen."
    return text if text[:1].isupper() else "Det gikk ikke: " + text
