"""``wfplan users``, ``wfplan tokens`` and ``wfplan audit``: the service's accounts.

- ``wfplan users add NAME --role ROLE [--password]`` and ``wfplan users list``;
- ``wfplan tokens create NAME [--expires DAYS]`` (prints the token once),
  ``wfplan tokens list`` and ``wfplan tokens revoke PREFIX``;
- ``wfplan audit``: the newest rows of the append-only audit log.

The rules are in :mod:`wfplan.dataset.accounts`; every change is audited there.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from wfplan.cli.common import EXIT_CODES, DbOption, WaitOption, guard, out
from wfplan.cli.display import Column, missing, print_table

users_app = typer.Typer(
    help="Accounts of the service ('wfplan serve'): each user has one role, national, "
    "region:CODE, icb:CODE, org:CODE or public.\n\n" + EXIT_CODES,
    no_args_is_help=True, pretty_exceptions_enable=False)
tokens_app = typer.Typer(
    help="API tokens of the service's users: random, stored only as a hash, shown once.\n\n"
    + EXIT_CODES, no_args_is_help=True, pretty_exceptions_enable=False)


def _when(value: object) -> str:
    return "" if missing(value) else f"{pd.Timestamp(str(value)):%Y-%m-%d %H:%M}"


@users_app.command("add", epilog=EXIT_CODES)
def users_add(
    name: Annotated[str, typer.Argument(help="User name")],
    role: Annotated[str, typer.Option(help="national, region:CODE, icb:CODE, org:CODE or public")],
    password: Annotated[bool, typer.Option(
        "--password", help="Ask for a password (for the dashboard's log-in; stored as an "
        "argon2 hash)")] = False,
    db: DbOption = None, wait: WaitOption = None,
) -> None:
    """Add a user with a role; the change is written to the audit log."""
    from wfplan.dataset.accounts import add_user
    from wfplan.dataset.store import open_store

    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password \
        else None

    def work() -> str:
        with open_store(db) as store:
            return str(add_user(store, name, role, password=secret).role)

    shown = guard(work)
    out.print(f"added user {name!r} with role {shown}", highlight=False, markup=False)


@users_app.command("list", epilog=EXIT_CODES)
def users_list(db: DbOption = None, wait: WaitOption = None) -> None:
    """List the users: role, whether each has a password, when made, live tokens."""
    from wfplan.dataset.accounts import list_users
    from wfplan.dataset.store import open_store

    def work() -> pd.DataFrame:
        with open_store(db) as store:
            return list_users(store)

    frame = guard(work)
    if frame.empty:
        out.print("no users yet: add one with 'wfplan users add NAME --role national'")
        return
    rows = [[str(r["name"]), str(r["role"]), "yes" if r["has_password"] else "no",
             _when(r["created_at"]), str(int(r["live_tokens"]))]
            for r in frame.to_dict("records")]
    print_table(out, "Users", [Column("User", key=True), Column("Role"), Column("Password"),
                               Column("Created (UTC)"), Column("Live tokens", right=True)], rows)


@tokens_app.command("create", epilog=EXIT_CODES)
def tokens_create(
    name: Annotated[str, typer.Argument(help="User the token is for")],
    expires: Annotated[int | None, typer.Option(
        "--expires", metavar="DAYS", help="Days until the token expires (default: never)")] = None,
    db: DbOption = None, wait: WaitOption = None,
) -> None:
    """Make an API token for a user and print it, once: it is stored only as a hash."""
    from wfplan.dataset.accounts import create_token
    from wfplan.dataset.store import open_store

    def work() -> str:
        with open_store(db) as store:
            return create_token(store, name, days=expires)

    token = guard(work)
    typer.echo(token)
    typer.echo(f"token {token.split('_')[1]} for {name}: shown once; send it as "
               "'Authorization: Bearer TOKEN'", err=True)


@tokens_app.command("list", epilog=EXIT_CODES)
def tokens_list(db: DbOption = None, wait: WaitOption = None) -> None:
    """List tokens by prefix: user, created, expires, revoked (never the token itself)."""
    from wfplan.dataset.accounts import list_tokens
    from wfplan.dataset.store import open_store

    def work() -> pd.DataFrame:
        with open_store(db) as store:
            return list_tokens(store)

    frame = guard(work)
    rows = [[str(r["prefix"]), str(r["user_name"]), _when(r["created_at"]),
             _when(r["expires_at"]) or "never", _when(r["revoked_at"])]
            for r in frame.to_dict("records")]
    print_table(out, "Tokens", [Column("Prefix", key=True), Column("User"),
                                Column("Created (UTC)"), Column("Expires (UTC)"),
                                Column("Revoked (UTC)")], rows)


@tokens_app.command("revoke", epilog=EXIT_CODES)
def tokens_revoke(
    prefix: Annotated[str, typer.Argument(help="The token's prefix (or the token)")],
    db: DbOption = None, wait: WaitOption = None,
) -> None:
    """Revoke a token: it stops working at once; the change is audited."""
    from wfplan.dataset.accounts import revoke_token
    from wfplan.dataset.store import open_store

    def work() -> str:
        with open_store(db) as store:
            return revoke_token(store, prefix)

    owner = guard(work)
    out.print(f"revoked token {prefix.split('_')[1] if '_' in prefix else prefix} of {owner}",
              highlight=False, markup=False)


def audit_command(
    limit: Annotated[int, typer.Option(min=1, help="Rows to show, the newest")] = 100,
    actor: Annotated[str | None, typer.Option(help="Only this user's rows")] = None,
    action: Annotated[str | None, typer.Option(
        help="Only this action, e.g. token.create, metrics.read, upload")] = None,
    db: DbOption = None, wait: WaitOption = None,
) -> None:
    """List the audit log: who did what, in which scope, when (append-only)."""
    from wfplan.dataset.accounts import audit_log
    from wfplan.dataset.store import open_store

    def work() -> pd.DataFrame:
        with open_store(db) as store:
            return audit_log(store, limit, actor, action)

    frame = guard(work)
    rows = [[str(r["audit_id"]), _when(r["recorded_at"]), str(r["actor"]), str(r["action"]),
             "" if missing(r["scope"]) else str(r["scope"]),
             "" if missing(r["detail"]) else str(r["detail"])]
            for r in frame.to_dict("records")]
    print_table(out, "Audit log", [Column("Id", right=True), Column("When (UTC)"),
                                   Column("Who"), Column("What"), Column("Scope"),
                                   Column("Detail", wrap=True)], rows)
