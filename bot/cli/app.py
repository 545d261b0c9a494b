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

from bot.cli.safe_text import cell, plain
from bot.cli.staff import app as staff_app
from bot.cli.telegram import app as telegram_app

app = typer.Typer(
    help="KL Miljøvarme's privacy assistant: staff and operations.", no_args_is_help=True
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
]:
    app.add_typer(sub, name=name)

console = Console()
logger = logging.getLogger("klbot")


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


@customers_app.command("export")
def customers_export(
    number: str,
    format: str = typer.Option("json", "--format", help="json or csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="file (mode 0600)"),
) -> None:
    """The access extract / portability package: all data held, with the policy's facts."""
    from bot.register.customers import export_customer
    from bot.register.db import session_scope

    try:
        with session_scope() as s:
            data = export_customer(s, number)
    except LookupError:
        _fail(f"No customer with number {number}.")
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
) -> None:
    """Erase a customer: delete what may go, keep what the law requires (and say why), and
    close the erasure ticket it fulfils."""
    from bot.register.customers import erase_customer
    from bot.register.db import session_scope
    from bot.register.requests import RequestError
    from bot.stores import conversations

    try:
        with session_scope() as s:
            report = erase_customer(
                s, number, actor=_actor(), reason=reason, request_reference=request
            )
    except LookupError:
        _fail(f"No customer with number {number}.")
    except RequestError as exc:
        _fail(f"Nothing erased: {exc}.")
    erased_conversations = 0
    try:
        erased_conversations = conversations.erase_conversations(
            mentioning=list(report.conversation_contacts)
        ).events
    except Exception as exc:  # noqa: BLE001 - the register part is done; say what failed
        typer.secho(f"Conversations not erased ({type(exc).__name__}).", fg="yellow", err=True)
    typer.echo(f"Customer {number} erased: " + "; ".join(report.erased) + ".")
    typer.echo(f"Conversation events erased: {erased_conversations}.")
    for what, why in report.kept.items():
        typer.echo(f"Kept {what}: {why}.")
    for ref in report.closed_requests:
        typer.echo(f"Closed {ref} as done (what was kept and why is noted on the ticket).")
    for ref in report.open_unverified:
        typer.secho(
            f"{ref} is an unverified erasure request: left open. Verify the identity, then "
            f"close it with `klbot requests update {ref} --status ...`.",
            fg="yellow",
        )


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
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every request, opt-outs included (* after a due date: extended)."""
    from bot.register.db import session_scope
    from bot.register.requests import list_requests

    with session_scope() as s:
        rows = [_request_row(r) for r in list_requests(s, open_only=open_only, overdue=overdue)]
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
        reason = f": {entry['reason']}" if entry["reason"] and entry["action"] != "attempt" else ""
        lines.append(f"  {stamp}  {entry['actor']}  {what}{reason}")
    width = max(40, min(shutil.get_terminal_size((100, 24)).columns, 120))
    wrapped = [  # what a customer wrote is printed without control characters
        textwrap.fill(plain(line), width, subsequent_indent=" " * 20 if line[:2] == "  " else "  ")
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


@requests_app.command("extend")
def requests_extend(
    ref: str,
    reason: str = typer.Option(..., "--reason"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    """Extend the deadline by two months (GDPR Art. 12(3)); tell the customer why."""
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, extend_deadline
    from bot.register.wording import due_text

    try:
        with session_scope() as s:
            request = extend_deadline(s, ref, reason=reason, actor=actor)
            typer.echo(f"{request.reference} is now due {due_text(request.due_at)}.")
    except RequestError as exc:
        _fail(str(exc))


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
    """The contact points that must get no marketing."""
    from bot.register.db import session_scope
    from bot.register.suppressions import list_suppressions

    if channel and channel not in ("sms", "email", "post"):
        _fail("--channel must be sms, email or post")
    with session_scope() as s:
        rows = [
            {"channel": x.channel, "address": x.address, "created_at": _iso(x.created_at)}
            for x in list_suppressions(s, channel)
        ]
    _emit(rows, as_json, ["channel", "address", "created_at"], "Suppressions")


@outbox_app.command("list")
def outbox_list(as_json: bool = typer.Option(False, "--json")) -> None:
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
    _emit(rows, as_json, ["id", "channel", "to", "status", "error", "created_at"], "Outbox")


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
            raise
        typer.secho(message, fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
