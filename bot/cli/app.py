"""`klbot`: the staff and operations CLI (Typer + Rich; --json on every listing)."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.table import Table

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
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
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
        patterns = [p for c in report.conversation_contacts for p in _contact_patterns(c)]
        erased_conversations = conversations.erase_conversations(mentioning=patterns).events
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


def _contact_patterns(contact: str) -> List[str]:
    from bot.stores.conversations import phone_patterns

    return [contact] if "@" in contact else phone_patterns(contact)


def _request_row(r: Any) -> dict:
    return {
        "id": r.id,
        "reference": r.reference,
        "kind": r.kind,
        "status": r.status,
        "channel": r.channel,
        "verified": r.verified,
        "verification_method": r.verification_method,
        "customer_number": r.customer.customer_number if r.customer is not None else None,
        "created_at": _iso(r.created_at),
        "due_at": _iso(r.due_at),
        "extended": r.extended_at is not None,
        "details": r.details or {},
    }


REQUEST_COLUMNS = [
    "reference",
    "kind",
    "status",
    "channel",
    "verified",
    "customer_number",
    "due_at",
]


@requests_app.command("list")
def requests_list(
    open_only: bool = typer.Option(False, "--open", help="only open requests"),
    overdue: bool = typer.Option(False, "--overdue", help="only open requests past due"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every request, opt-outs included."""
    from bot.register.db import session_scope
    from bot.register.requests import list_requests

    with session_scope() as s:
        rows = [_request_row(r) for r in list_requests(s, open_only=open_only, overdue=overdue)]
    _emit(rows, as_json, REQUEST_COLUMNS, "Requests")


@requests_app.command("show")
def requests_show(ref: str) -> None:
    """One request, as JSON."""
    from bot.register.db import session_scope
    from bot.register.requests import get_by_reference

    with session_scope() as s:
        request = get_by_reference(s, ref)
        if request is None:
            _fail(f"No request {ref}.")
        row = _request_row(request)
    typer.echo(json.dumps(row, ensure_ascii=False, indent=2))


@requests_app.command("update")
def requests_update(
    ref: str,
    status: str = typer.Option(..., "--status"),
    note: str = typer.Option(..., "--note"),
    actor: str = typer.Option(os.environ.get("USER", "staff"), "--actor"),
) -> None:
    from bot.register.db import session_scope
    from bot.register.requests import RequestError, update_status

    try:
        with session_scope() as s:
            request = update_status(s, ref, status, note=note, actor=actor)
            typer.echo(f"{request.reference} is now {request.status}.")
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

    try:
        with session_scope() as s:
            request = extend_deadline(s, ref, reason=reason, actor=actor)
            typer.echo(f"{request.reference} is now due {request.due_at.date().isoformat()}.")
    except RequestError as exc:
        _fail(str(exc))


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
                "created_at": _iso(m.created_at),
            }
            for m in list_outbox(s)
        ]
    _emit(rows, as_json, ["id", "channel", "to", "status", "created_at"], "Outbox")


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
