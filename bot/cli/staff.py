"""`klbot staff`: the inbox's personal accounts (add, list, disable, reset, unlock).

Every command is one call of ``bot.register.staff_accounts``, the same one the inbox's
admin page makes. The enrolment link is printed once; the register keeps only its hash.
"""

from __future__ import annotations

import json
import os

import typer

app = typer.Typer(help="Staff accounts of the inbox.", no_args_is_help=True)


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'staff')}"


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(code)


def enrolment_link(token: str) -> str:
    from bot.config import get_settings

    return f"{get_settings().staff_url}/enrol/{token}"


@app.command("add")
def staff_add(
    email: str,
    name: str = typer.Option(..., "--name", help="the person's full name"),
    role: str = typer.Option("handler", "--role", help="admin or handler"),
) -> None:
    """Create an account and print its one-time enrolment link (valid 24 hours)."""
    from bot.register.db import session_scope
    from bot.register.staff_accounts import StaffError, add_account

    try:
        with session_scope() as s:
            _account, token = add_account(s, email, name=name, role=role, actor=_actor())
    except StaffError as exc:
        _fail(f"Ikke opprettet: {exc}.")
    typer.echo(f"Konto opprettet ({role}). Innmeldingslenke, gyldig i 24 timer, til én bruk:")
    typer.echo(enrolment_link(token))


@app.command("list")
def staff_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every account: e-mail, name, role, state, last login."""
    from rich.console import Console
    from rich.table import Table

    from bot.cli.safe_text import cell
    from bot.register.db import session_scope
    from bot.register.staff_accounts import list_accounts

    with session_scope() as s:
        rows = [
            {
                "email": a.email,
                "name": a.name,
                "role": a.role,
                "state": a.state,
                "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
            }
            for a in list_accounts(s)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Ansatte ({len(rows)})", box=None, title_justify="left")
    for column in ("email", "name", "role", "state", "last_login_at"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row[c] or "") for c in row))
    Console().print(table)


@app.command("disable")
def staff_disable(email: str) -> None:
    """Disable an account: its sessions end at once and its links stop working."""
    from bot.register.db import session_scope
    from bot.register.staff_accounts import StaffError, disable_account

    try:
        with session_scope() as s:
            disable_account(s, email, actor=_actor())
    except StaffError as exc:
        _fail(f"{exc}.")
    typer.echo("Kontoen er deaktivert og innloggingene avsluttet.")


@app.command("reset")
def staff_reset(email: str) -> None:
    """New password and authenticator: clears both, ends the sessions, prints a new link."""
    from bot.register.db import session_scope
    from bot.register.staff_accounts import StaffError, reset_account

    try:
        with session_scope() as s:
            _account, token = reset_account(s, email, actor=_actor())
    except StaffError as exc:
        _fail(f"{exc}.")
    typer.echo("Kontoen er nullstilt. Ny innmeldingslenke, gyldig i 24 timer:")
    typer.echo(enrolment_link(token))


@app.command("unlock")
def staff_unlock(email: str) -> None:
    """Lift the lock after 10 failed logins (audited)."""
    from bot.register.db import session_scope
    from bot.register.staff_accounts import StaffError, unlock_account

    try:
        with session_scope() as s:
            unlock_account(s, email, actor=_actor())
    except StaffError as exc:
        _fail(f"{exc}.")
    typer.echo("Kontoen er låst opp.")
