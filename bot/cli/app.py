"""`klbot`: the staff and operations CLI (Typer + Rich; --json on every listing)."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.dev import app as dev_app
from bot.cli.safe_text import cell, inert
from bot.cli.staff import app as staff_app
from bot.cli.telegram import app as telegram_app

EXAMPLES = "\n\n".join(
    [
        "Examples:",
        "klbot requests list --open  (the work queue, nearest deadline first)",
        "klbot requests list --kind erasure  (or --status done, --customer 10001)",
        "klbot requests show PV-K87Q3V  (one request and its whole history)",
        "klbot outbox list  (what was sent or recorded: the codes, in development)",
        "klbot dev sms --from +4791234567 STOPP  (a signed SMS to the local assistant)",
        "klbot where  (the register and conversation store klbot uses: the servers' "
        "KLBOT_DATABASE_URL and KLBOT_TRACKER_STORE_URL, from the environment or .env)",
    ]
)

app = typer.Typer(
    help="KL Miljøvarme's privacy assistant: staff and operations.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The register database.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers: import, export, erase.", no_args_is_help=True)
requests_app = typer.Typer(help="Rights requests (tickets).", no_args_is_help=True)
suppressions_app = typer.Typer(help="Marketing suppression list.", no_args_is_help=True)
outbox_app = typer.Typer(help="Notifications sent or recorded.", no_args_is_help=True)
retention_app = typer.Typer(
    help="Retention: delete what has outlived its time.", no_args_is_help=True
)
for name, sub in [
    ("db", db_app),
    ("customers", customers_app),
    ("requests", requests_app),
    ("suppressions", suppressions_app),
    ("outbox", outbox_app),
    ("retention", retention_app),
    ("telegram", telegram_app),
    ("staff", staff_app),
    ("dev", dev_app),
]:
    app.add_typer(sub, name=name)

console = Console()
logger = logging.getLogger("klbot")

# commands that need no register, or create it
_NO_REGISTER_NEEDED = {"db", "where", "dev", "telegram"}


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Never works on a register the servers do not use: a SQLite file that does not exist
    is not created here (only `klbot db upgrade` creates one)."""
    if ctx.invoked_subcommand in _NO_REGISTER_NEEDED:
        return
    from bot.register.db import describe_database, missing_sqlite_file

    if missing_sqlite_file():
        _fail(
            f"No register at {describe_database()}. Give klbot the servers' "
            "KLBOT_DATABASE_URL and KLBOT_TRACKER_STORE_URL (environment or .env), or "
            "create this one with `klbot db upgrade`.",
            2,
        )
    note = _register_note()
    if note:
        typer.echo(note, err=True)


def _origin(name: str) -> str:
    """Where a setting comes from, for people."""
    from bot.config import PROJECT_ROOT, setting_source

    source = setting_source(name)
    if source is None:
        return f"the default of the checkout {PROJECT_ROOT}"
    return f"{name} from {source}" if source == "the environment" else f"{name} in {source}"


def _register_note() -> Optional[str]:
    """Which register this is, when the shell does not show it: the URL comes from .env, or
    klbot runs outside the checkout whose default register it uses (stderr: --json stays
    clean). None when KLBOT_DATABASE_URL is in this shell's environment."""
    from bot.config import PROJECT_ROOT, setting_source
    from bot.register.db import describe_database

    source = setting_source("KLBOT_DATABASE_URL")
    if source == "the environment":
        return None
    if source is None and Path.cwd().resolve().is_relative_to(PROJECT_ROOT):
        return None
    return f"Register: {describe_database()} ({_origin('KLBOT_DATABASE_URL')})"


@app.command("where")
def where() -> None:
    """Which register and conversation store klbot uses, and where its settings come from."""
    from bot.config import PROJECT_ROOT, load_settings
    from bot.register.db import describe_database, missing_sqlite_file

    settings = load_settings()
    env_file = PROJECT_ROOT / ".env"
    register = describe_database()
    missing = " (does not exist yet)" if missing_sqlite_file() else ""
    typer.echo(f"Register: {register}{missing}; {_origin('KLBOT_DATABASE_URL')}")
    conversations = describe_database(settings.tracker_store_url)
    typer.echo(f"Conversations: {conversations}; {_origin('KLBOT_TRACKER_STORE_URL')}")
    typer.echo("Settings: environment" + (f" and {env_file}" if env_file.exists() else ""))


def _iso(value: Any) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(code)


def _emit(rows: List[dict], as_json: bool, columns: List[str], title: str) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))  # customer text: never markup
    console.print(table)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (idempotent)."""
    from bot.register.db import describe_database, upgrade

    upgrade()
    typer.echo(f"Database {describe_database()} is up to date.")


@customers_app.command("import")
def customers_import(
    file: Path = typer.Argument(..., exists=True, readable=True),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="only into a register that has never had a customer (demo)"
    ),
) -> None:
    """Upsert customers from a CSV file, in one transaction (a bad row changes nothing).

    Erased customers are skipped; marketing the customer withdrew or that is on the
    suppression list stays off; both are reported."""
    from bot.register.customers import CsvImportError, import_csv
    from bot.register.db import session_scope

    try:
        with session_scope() as s:
            result = import_csv(s, file, if_empty=if_empty)
    except CsvImportError as exc:
        _fail(f"Import aborted, nothing written: {file.name} {exc}")
    if result.skipped_not_empty:
        typer.echo("The register already has customers: nothing imported (--if-empty).")
        return
    typer.echo(f"Imported: {result.created} new, {result.updated} updated.")
    if result.skipped_erased:
        typer.echo(
            f"Skipped {len(result.skipped_erased)} erased customer(s), never re-imported: "
            + ", ".join(result.skipped_erased)
        )
    for number, channel, why in result.kept_off:
        typer.echo(f"Kept marketing {channel} off for {number}: {why}.")


def get_by_reference_checked(s: Any, reference: str, number: str) -> str:
    """The ticket's reference, when it is this customer's (RequestError otherwise)."""
    from bot.register.requests import RequestError, get_by_reference

    ticket = get_by_reference(s, reference)
    if ticket is None or ticket.customer_number != str(number):
        raise RequestError(f"{reference} is not a request of customer {number}")
    return ticket.reference


@customers_app.command("export")
def customers_export(
    number: str,
    format: str = typer.Option("json", "--format", help="json or csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="file (mode 0600)"),
    request: Optional[str] = typer.Option(
        None, "--request", help="the access/portability ticket this extract answers"
    ),
    via: str = typer.Option(
        "post", "--via", help="with --request: post, email, handed or secure_link"
    ),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """The access extract / portability package: all data held, with the policy's facts.
    With --request, the ticket records how the extract goes to the customer."""
    from bot.register.casework import record_delivery
    from bot.register.customers import export_customer
    from bot.register.db import session_scope
    from bot.register.requests import RequestError

    if format not in ("json", "csv"):
        _fail("--format must be json or csv")
    try:
        with session_scope() as s:
            data = export_customer(s, number)
            if request:
                ticket = get_by_reference_checked(s, request, number)
                record_delivery(s, ticket, via=via, format=format, actor=actor)
    except LookupError:
        _fail(f"No customer with number {number}.")
    except RequestError as exc:
        _fail(f"Nothing exported: {exc}.")
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["section", "field", "value"])
        for section, value in data.items():
            if isinstance(value, dict):
                for key, item in value.items():
                    writer.writerow([section, key, json.dumps(item, ensure_ascii=False)])
            else:
                writer.writerow([section, "", json.dumps(value, ensure_ascii=False)])
        text = buffer.getvalue()
    elif format == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2)
    else:
        _fail("--format must be json or csv")
    if output:
        _write_private(output, text)
        typer.echo(f"Written to {output} (owner-only).")
    else:
        typer.echo(text)


@customers_app.command("erase")
def customers_erase(
    number: str,
    reason: str = typer.Option("erasure request", "--reason"),
    request: Optional[str] = typer.Option(
        None, "--request", help="the erasure ticket this fulfils (default: the verified ones)"
    ),
    force: bool = typer.Option(
        False, "--force", help="erase although other requests of the customer are open"
    ),
    yes: bool = typer.Option(False, "--yes", help="do not ask before erasing"),
) -> None:
    """Erase a customer from every store the settings name (register, tickets, tracker
    store, outbox), then close the erasure ticket and queue the receipt (what was erased,
    what is kept and why). Safe to run twice."""
    from bot.config import load_settings
    from bot.register.db import describe_database
    from bot.register.erasure import ErasureRefused, erase
    from bot.register.service_stores import describe_store

    tracker = load_settings().tracker_store_url
    typer.echo(f"Register: {describe_database()}")
    typer.echo(f"Tracker store: {describe_store(tracker)}")
    if not yes and not typer.confirm(f"Erase customer {number} from both?"):
        _fail("Nothing erased.")
    try:
        result = erase(
            number,
            actor=_actor(),
            reason=reason,
            request_reference=request,
            force=force,
            tracker_url=tracker,
        )
    except LookupError:
        _fail(f"No customer with number {number}.")
    except ErasureRefused as exc:
        _fail(f"Nothing erased: {exc}.")
    if result.already_erased:
        typer.echo(
            f"Customer {number} was erased already; conversations found again and erased: "
            f"{result.conversations}."
        )
        return
    typer.echo(f"Customer {number} erased: " + "; ".join(result.erased) + ".")
    typer.echo(
        f"Conversations erased: {result.conversations} ({result.conversation_events} events)."
    )
    for what, why in result.kept.items():
        typer.echo(f"Kept {what}: {why}.")
    for ref in result.closed_requests:
        typer.echo(f"Closed {ref} as done; the receipt says what was erased and kept.")
    if result.closed_requests and not result.receipt_to:
        typer.echo("No contact point for the receipt: send it yourself.")
    for ref in result.open_unverified:
        typer.secho(
            f"{ref} is an unverified erasure request: left open. Verify the identity, then "
            f"close it with `klbot requests update {ref} --status ...`.",
            fg="yellow",
        )
    for ref in result.other_open:
        typer.secho(
            f"{ref} is still open (--force): answer it without contact details.", fg="yellow"
        )


@customers_app.command("lift-mark")
def customers_lift_mark(
    number: str,
    covers: str = typer.Option("all", "--covers", help="marketing, surveys, analyses or all"),
    reason: str = typer.Option(..., "--reason", help="the decision (e.g. Art. 18(1)(a) checked)"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Lift a restriction or objection mark: only with the decision's reason (recorded)."""
    from bot.register.casework import lift_mark
    from bot.register.db import session_scope
    from bot.register.requests import RequestError

    try:
        with session_scope() as s:
            lifted = lift_mark(s, number, covers=[covers], actor=actor, reason=reason)
    except LookupError:
        _fail(f"No customer with number {number}.")
    except RequestError as exc:
        _fail(f"Nothing lifted: {exc}.")
    typer.echo(f"Lifted for {lifted.customer_number}: {', '.join(lifted.lifted)} (recorded).")


@customers_app.command("list")
def customers_list(
    purpose: str = typer.Option(..., "--purpose", help="marketing, surveys or analyses"),
    channel: Optional[str] = typer.Option(None, "--channel", help="marketing: sms, email, post"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The customers a list for this purpose may hold: restrictions and objections that
    cover it leave a customer out; marketing also needs the permission and no opt-out."""
    from bot.register.casework import customers_for_purpose
    from bot.register.contacts import registered_address
    from bot.register.db import session_scope
    from bot.register.requests import RequestError

    if channel and channel not in ("sms", "email", "post"):
        _fail("--channel must be sms, email or post")
    try:
        with session_scope() as s:
            rows = [
                {
                    "customer_number": c.customer_number,
                    "name": c.name,
                    "phone": c.phone,
                    "email": c.email,
                    "address": registered_address(c, "post"),
                }
                for c in customers_for_purpose(s, purpose, channel)
            ]
    except RequestError as exc:
        _fail(str(exc))
    if not as_json:
        rows = [{k: inert(v) for k, v in row.items()} for row in rows]
    _emit(rows, as_json, ["customer_number", "name", "phone", "email"], f"Customers ({purpose})")


@customers_app.command("consent")
def customers_consent(
    number: str,
    channel: str = typer.Option(..., "--channel", help="sms, email or post"),
    grant: bool = typer.Option(
        ..., "--grant/--withdraw", help="turn marketing on the channel on or off"
    ),
    reason: str = typer.Option(..., "--reason", help="why (e.g. the signed form of 3 May)"),
) -> None:
    """Record a customer's consent given or withdrawn outside the assistant (staff, with a
    reason). Withdrawing also puts the registered contact point on the suppression list."""
    from bot.register.customers import ConsentError, staff_consent
    from bot.register.db import session_scope

    if channel not in ("sms", "email", "post"):
        _fail("--channel must be sms, email or post")
    if len((reason or "").strip()) < 3:
        _fail("--reason must say why (it is kept in the consent ledger)")
    try:
        with session_scope() as s:
            staff_consent(s, number, channel, grant, actor=_actor(), reason=reason.strip())
    except LookupError:
        _fail(f"No customer with number {number}.")
    except ConsentError as exc:
        _fail(str(exc))
    state = "on" if grant else "off"
    typer.echo(f"Marketing {channel} for {number} is now {state} (recorded with the reason).")


def _actor() -> str:
    return f"staff:{os.environ.get('USER', 'unknown')}"


@customers_app.command("unlock")
def customers_unlock(
    number: str,
    reason: str = typer.Option("lock-out lifted by staff", "--reason"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Lift a lock-out after too many wrong one-time codes (audited)."""
    from bot.register.identity import unlock_customer

    try:
        cleared = unlock_customer(number, actor=actor, reason=reason)
    except LookupError:
        _fail(f"No customer with number {number}.")
    typer.echo(f"Customer {number} unlocked ({cleared} wrong codes cleared).")


def _request_row(r: Any) -> dict:
    from bot.register.requests import request_row

    return request_row(r)


def _request_table(rows: List[dict], title: str) -> Table:
    """Fits an 80-column terminal: reference, kind, status, due date with days left, the
    attempts, verified and the customer number."""
    from bot.register.wording import date_text, due_text

    table = Table(
        title=title,
        box=None,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold underline",
        title_justify="left",
    )
    table.add_column("Reference", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Due / closed", no_wrap=True)
    table.add_column("Ver", no_wrap=True)
    table.add_column("×", justify="right", no_wrap=True)
    table.add_column("Cust", overflow="fold")
    for row in rows:
        if row["closed_at"]:
            due = f"closed {date_text(_parse(row['closed_at']))}"
        else:
            due = due_text(_parse(row["due_at"]), short=True)
            if row.get("overdue"):
                due = f"[red]{due}[/red]"
            if row.get("extended"):
                due += "*"
        table.add_row(
            row["reference"],
            row["kind"],
            row["status"],
            due,
            "yes" if row["verified"] else "no",
            str(row.get("attempts") or 1),
            row["customer_number"] or "",
        )
    return table


def _parse(value: Optional[str]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


@requests_app.command("list")
def requests_list(
    open_only: bool = typer.Option(False, "--open", help="only open requests"),
    overdue: bool = typer.Option(False, "--overdue", help="only open requests past due"),
    kind: Optional[str] = typer.Option(None, "--kind", help="e.g. erasure, access, opt_out"),
    status: Optional[str] = typer.Option(None, "--status", help="e.g. received, done"),
    customer: Optional[str] = typer.Option(None, "--customer", help="a customer number"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every request, opt-outs included (* after a due date: extended).

    Example: klbot requests list --open --kind erasure
    """
    from bot.register.db import session_scope
    from bot.register.models import REQUEST_KINDS, STATUSES
    from bot.register.requests import list_requests

    if kind and kind not in REQUEST_KINDS:
        _fail(f"Unknown kind {kind!r}: one of {', '.join(REQUEST_KINDS)}.")
    if status and status not in STATUSES:
        _fail(f"Unknown status {status!r}: one of {', '.join(STATUSES)}.")
    with session_scope() as s:
        found = list_requests(
            s,
            open_only=open_only,
            overdue=overdue,
            kind=kind,
            status=status,
            customer_number=customer,
        )
        rows = [_request_row(r) for r in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console.print(_request_table(rows, f"Requests ({len(rows)})"))


@requests_app.command("show")
def requests_show(ref: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One request with its whole history (the audit trail)."""
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, get_by_reference, history
    from bot.register.wording import KIND_TEXT, REJECTION_CATEGORIES, date_text, due_text

    with session_scope() as s:
        request = get_by_reference(s, ref)
        if request is None:
            _fail(f"No request {ref}.")
        row = _request_row(request)
        try:
            trail = [
                {
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "reason": e.reason,
                    "changes": e.changes,
                }
                for e in history(s, request.reference)
            ]
        except RequestError as exc:  # pragma: no cover - found a moment ago
            _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**row, "history": trail}, ensure_ascii=False, indent=2))
        return
    due = due_text(_parse(row["due_at"]))
    lines = [
        f"{row['reference']}  {row['kind']} ({KIND_TEXT.get(row['kind'], row['kind'])})",
        f"Status:    {row['status']}" + (" (overdue)" if row["overdue"] else ""),
        f"Received:  {date_text(_parse(row['created_at']))} via {row['channel']}",
        f"Due:       {due}" + (" (extended)" if row["extended"] else ""),
    ]
    if row["extension_reason"]:
        lines.append(f"Extended:  {row['extension_reason']}")
    if row["closed_at"]:
        lines.append(f"Closed:    {date_text(_parse(row['closed_at']))}")
    if row["rejection_category"]:
        category = row["rejection_category"]
        lines.append(f"Rejected:  {category} ({REJECTION_CATEGORIES.get(category, '')})")
    verified = f"yes ({row['verification_method']})" if row["verified"] else "no"
    lines += [
        f"Verified:  {verified}",
        f"Customer:  {row['customer_number'] or '-'}",
        f"Attempts:  {row['attempts']}",
        f"Reply via: {row['reply_channel'] or '-'}",
    ]
    details = {k: v for k, v in (row["details"] or {}).items() if k != "notes"}
    for key, value in details.items():
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append("History:")
    for entry in trail:
        when = _parse(entry["at"])
        stamp = when.astimezone().strftime("%d.%m.%Y %H:%M") if when else ""
        what = entry["action"]
        changes = entry["changes"] or {}
        if what == "status" and isinstance(changes.get("status"), list):
            what = "status " + " -> ".join(changes["status"])
            if changes.get("forced"):
                what += f" ({changes['forced']})"
            if changes.get("customer_notified"):
                what += f"; customer told by {changes['customer_notified']}"
        elif what == "attempt":
            what = f"asked again (attempt {changes.get('attempts')}, {changes.get('channel')})"
        elif what == "create":
            what = f"created ({changes.get('status')})"
        elif what == "extend" and isinstance(changes.get("due_at"), list):
            what = f"due date extended to {date_text(_parse(changes['due_at'][1]))}"
            if changes.get("customer_notified"):
                what += f"; customer told by {changes['customer_notified']}"
        reason = f": {entry['reason']}" if entry["reason"] and entry["action"] != "attempt" else ""
        lines.append(f"  {stamp}  {entry['actor']}  {what}{reason}")
    width = max(40, min(shutil.get_terminal_size((100, 24)).columns, 120))
    wrapped = [  # customer-written text included: made inert for the terminal
        textwrap.fill(inert(line), width, subsequent_indent=" " * 20 if line[:2] == "  " else "  ")
        for line in lines
    ]
    typer.echo("\n".join(wrapped))


@requests_app.command("update")
def requests_update(
    ref: str,
    status: str = typer.Option(..., "--status", help="verified, in_progress, done, rejected"),
    note: Optional[str] = typer.Option(None, "--note", help="default: what the step means"),
    force: bool = typer.Option(
        False, "--force", help="verified -> done without in_progress (audited)"
    ),
    category: Optional[str] = typer.Option(
        None,
        "--category",
        help="why rejected: identity, no_data, legal_obligation, unfounded, withdrawn, "
        "duplicate, other (default)",
    ),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Move a ticket on; closing it (done/rejected) tells the customer, by reference only."""
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, update_status

    try:
        with session_scope() as s:
            request = update_status(
                s, ref, status, note=note, actor=actor, force=force, category=category
            )
            told = request.reply_channel if request.status in ("done", "rejected") else None
            typer.echo(f"{request.reference} is now {request.status}.")
            if told:
                typer.echo(f"The customer is told by {told} (reference only).")
            elif request.status in ("done", "rejected"):
                typer.echo("No contact point to tell the customer: answer them yourself.")
    except RequestError as exc:
        _fail(str(exc))


@requests_app.command("apply")
def requests_apply(
    ref: str,
    yes: bool = typer.Option(False, "--yes", help="do not ask before changing the register"),
    note: Optional[str] = typer.Option(None, "--note"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Apply a verified correction's new value to the register and close the ticket as
    done; opt-outs follow a corrected contact point; the customer is told what changed."""
    from bot.register.casework import apply_correction
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, get_by_reference

    if not yes:
        with session_scope() as s:
            request = get_by_reference(s, ref)
            if request is None:
                _fail(f"No request {ref}.")
            details = request.details or {}
            field, value = details.get("field"), details.get("new_value")
            number = request.customer_number or "-"
        typer.echo(f"{request.reference}: set {field} of customer {number} to {inert(value)}")
        if not typer.confirm("Change the register?"):
            _fail("Nothing changed.")
    try:
        with session_scope() as s:
            applied = apply_correction(s, ref, actor=actor, note=note)
    except RequestError as exc:
        _fail(f"Nothing changed: {exc}.")
    typer.echo(
        f"{applied.reference}: {applied.field} of customer {applied.customer_number} "
        "corrected; the ticket is done."
    )
    if applied.suppression_followed:
        typer.echo("The opt-out of the old contact point now covers the new one.")
    if applied.customer_notified:
        typer.echo(f"The customer is told by {applied.customer_notified} what changed.")
    else:
        typer.echo("No contact point to tell the customer: answer them yourself.")


@requests_app.command("mark")
def requests_mark(
    ref: str,
    covers: str = typer.Option(
        ..., "--covers", help="what stops: marketing, surveys, analyses (comma-separated) or all"
    ),
    note: Optional[str] = typer.Option(None, "--note"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """A verified restriction or objection takes effect: a mark on the customer that the
    marketing, survey and analysis exports honour; the ticket is done, the customer told."""
    from bot.register.casework import place_mark
    from bot.register.db import session_scope
    from bot.register.requests import RequestError

    try:
        with session_scope() as s:
            marked = place_mark(s, ref, covers=[covers], actor=actor, note=note)
    except RequestError as exc:
        _fail(f"Nothing marked: {exc}.")
    typer.echo(
        f"{marked.reference}: customer {marked.customer_number} marked ({marked.kind}: "
        f"{', '.join(marked.covers)}); the ticket is done."
    )
    if marked.customer_notified:
        typer.echo(f"The customer is told by {marked.customer_notified}.")
    else:
        typer.echo("No contact point to tell the customer: answer them yourself.")


@requests_app.command("extend")
def requests_extend(
    ref: str,
    reason: str = typer.Option(..., "--reason"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Extend the deadline by two months (GDPR Art. 12(3)); the customer is told the new
    date and the reason on the request's channel."""
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, extend_request
    from bot.register.wording import due_text

    try:
        with session_scope() as s:
            extended = extend_request(s, ref, reason=reason, actor=actor)
    except RequestError as exc:
        _fail(str(exc))
    typer.echo(f"{extended.reference} is now due {due_text(extended.due_at)}.")
    if extended.customer_notified:
        typer.echo(f"The customer is told by {extended.customer_notified} (new date, reason).")
    else:
        typer.echo("No contact point to tell the customer: tell them yourself, with the reason.")


@requests_app.command("remind")
def requests_remind(
    dry_run: bool = typer.Option(False, "--dry-run", help="print the digest, queue nothing"),
) -> None:
    """One digest to staff of tickets due within 7 days or overdue; run it as often as you
    like (the same state is sent once)."""
    from bot.register.db import session_scope
    from bot.register.staff import remind

    with session_scope() as s:
        digest = remind(s, dry_run=dry_run)
    if digest.empty:
        typer.echo("Nothing due within 7 days and nothing overdue.")
        return
    typer.echo(digest.body)
    if digest.sent:
        typer.echo(
            f"Digest queued for staff ({len(digest.overdue)} overdue, "
            f"{len(digest.due_soon)} due soon)."
        )
    elif digest.reason == "no staff contact":
        _fail("Not sent: set KLBOT_STAFF_EMAIL or KLBOT_STAFF_PHONE.")
    else:
        typer.echo(f"Not sent again: {digest.reason}.")


@suppressions_app.command("export")
def suppressions_export(
    channel: Optional[str] = typer.Option(None, "--channel", help="sms, email or post"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The contact points that must get no marketing: opt-outs, and the customers whose
    restriction or objection covers marketing."""
    from bot.register.db import session_scope
    from bot.register.suppressions import export_rows

    if channel and channel not in ("sms", "email", "post"):
        _fail("--channel must be sms, email or post")
    with session_scope() as s:
        rows = export_rows(s, channel)
    if not as_json:
        rows = [{k: inert(v) for k, v in row.items()} for row in rows]
    _emit(rows, as_json, ["channel", "address", "reason", "created_at"], "Suppressions")


@outbox_app.command("list")
def outbox_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every notification with its text (in development the codes are read here)."""
    from bot.register.db import session_scope
    from bot.register.outbox import list_outbox

    with session_scope() as s:
        rows = [
            {
                "id": m.id,
                "channel": m.channel,
                "to": m.to,
                "body": m.body,
                "status": m.status,
                "error": m.error,
                "attempts": m.attempts,
                "created_at": _iso(m.created_at),
            }
            for m in list_outbox(s)
        ]
    _emit(rows, as_json, ["id", "channel", "to", "status", "body", "created_at"], "Outbox")


@outbox_app.command("deliver")
def outbox_deliver(
    loop: bool = typer.Option(False, "--loop", help="keep delivering until interrupted"),
    interval: float = typer.Option(2.0, "--interval", help="seconds between rounds (--loop)"),
) -> None:
    """Deliver the queued notifications (SMS by Twilio, e-mail by SMTP), with retries."""
    import time

    from bot.notify import deliver_pending
    from bot.register.outbox import delivers

    if not delivers():
        typer.echo("KLBOT_NOTIFIER=outbox: nothing is delivered (development).")
        return
    while True:
        counts = deliver_pending()
        if counts or not loop:
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            typer.echo(f"Delivered: {summary or 'nothing due'}.")
        if not loop:
            failed = counts.get("failed", 0)
            if failed:
                raise typer.Exit(1)
            return
        time.sleep(interval)


@retention_app.command("purge")
def retention_purge(dry_run: bool = typer.Option(False, "--dry-run")) -> None:
    """Delete what has outlived its time; prints counts, never contents."""
    from bot.register.db import session_scope
    from bot.register.retention import purge

    with session_scope() as s:
        counts = purge(s, dry_run=dry_run)
        if dry_run:
            s.rollback()
    try:
        from bot.config import get_settings
        from bot.stores import conversations

        result = conversations.purge_old_conversations(
            get_settings().conversation_retention_days, dry_run=dry_run
        )
        counts["conversations"] = result.conversations
    except Exception as exc:  # noqa: BLE001
        typer.secho(f"Conversations not purged ({type(exc).__name__}).", fg="yellow", err=True)
    verb = "Would delete" if dry_run else "Deleted"
    for what, count in counts.items():
        typer.echo(f"{verb} {count} {what}.")


def _database_problem(exc: BaseException) -> Optional[str]:
    """A plain sentence for a database that is missing, empty or not migrated; None when the
    error is something else."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.register.db import describe_database

    where = describe_database()
    if isinstance(exc, (OperationalError, ProgrammingError)):
        text = str(getattr(exc, "orig", exc)).lower()
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            return (
                f"The database {where} is empty or not migrated. Run `klbot db upgrade` "
                "(and `klbot customers import FILE.csv`)."
            )
        return f"Cannot use the database {where} ({type(exc).__name__}). Is it running?"
    return None


def main() -> None:
    from bot.logging_setup import install_pii_filter

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    install_pii_filter()
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - a sentence for staff instead of a traceback
        message = _database_problem(exc)
        if message is None:
            # staff get a sentence, never a traceback (which could quote personal data);
            # KLBOT_DEBUG=1 shows it to a developer
            if os.environ.get("KLBOT_DEBUG"):
                raise
            typer.secho(
                f"klbot stopped: an unexpected error ({type(exc).__name__}). Nothing more "
                "was done; run it again with KLBOT_DEBUG=1 to see the details.",
                fg="red",
                err=True,
            )
            sys.exit(1)
        typer.secho(message, fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
