"""``musicrec subsonic``: who may use the Subsonic API that ``musicrec serve`` offers
under /rest/ (users, passwords, API keys), and what they played."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import CacheDir, stderr

subsonic_app = typer.Typer(help="Users and API keys of the Subsonic API that 'musicrec "
                           "serve' offers under /rest/ for music clients.",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(subsonic_app, name="subsonic")
user_app = typer.Typer(help="Add, remove and list Subsonic users.", no_args_is_help=True,
                       rich_markup_mode=None)
key_app = typer.Typer(help="Make and revoke API keys (the apiKey login of OpenSubsonic).",
                      no_args_is_help=True, rich_markup_mode=None)
subsonic_app.add_typer(user_app, name="user")
subsonic_app.add_typer(key_app, name="key")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise typer.BadParameter("the two passwords differ")
    return first


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name a client logs in with.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input "
        "(default: ask for it, hidden).")] = False,
) -> None:
    """Add a user, or change a user's password. Passwords are kept in a file only you
    can read (token logins need them), never shown."""
    from musicrec.subsonic.users import UserFile

    users = UserFile()
    new = users.set_password(name, _password(password_stdin))
    stderr().print(f"{'Added' if new else 'Changed the password of'} '{name}' "
                   f"({users.path}, readable by you only)")


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="The user to remove.")]) -> None:
    """Remove a user and their API keys."""
    from musicrec.subsonic.users import UserFile

    UserFile().remove(name)
    stderr().print(f"Removed '{name}'")


@user_app.command("list")
def user_list() -> None:
    """The users and their API keys (ids and labels; keys themselves are not kept)."""
    from musicrec.subsonic.users import ENV_USER, UserFile

    users = UserFile().read()
    import os

    if os.environ.get(ENV_USER):
        typer.echo(f"{os.environ[ENV_USER]}  (from {ENV_USER})")
    for name, user in users.items():
        keys = user.get("api_keys", [])
        typer.echo(f"{name}  {len(keys)} API key(s)")
        for key in keys:
            typer.echo(f"  key {key['id']}  made {key.get('created', '?')}"
                  + (f"  {key['label']}" if key.get("label") else ""))
    if not users and not os.environ.get(ENV_USER):
        stderr().print("No Subsonic users yet: musicrec subsonic user add NAME")


@key_app.command("add")
def key_add(
    name: Annotated[str, typer.Argument(help="The user the key logs in as.")],
    label: Annotated[str, typer.Option(help="What the key is for (a client's name).")] = "",
) -> None:
    """Make an API key for a user; it is printed once, on standard output."""
    from musicrec.subsonic.users import UserFile

    key_id, key = UserFile().new_key(name, label)
    stderr().print(f"API key {key_id} for '{name}' (shown this once; revoke it with "
                   f"musicrec subsonic key revoke {key_id}):")
    typer.echo(key)


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see 'user "
                                                      "list').")]) -> None:
    """Revoke an API key: clients using it are refused at once."""
    from musicrec.subsonic.users import UserFile

    user = UserFile().revoke(key_id)
    stderr().print(f"Revoked API key {key_id} of '{user}'")


@subsonic_app.command("plays")
def plays(
    user: Annotated[str | None, typer.Argument(help="Only this user's plays.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    cache_dir: CacheDir = None,
) -> None:
    """What clients scrobbled, newest first (kept as the listening data 'subsonic')."""
    import time

    from musicrec.subsonic.store import SubsonicStore, state_path

    path = state_path(cache_dir)
    if not path.is_file():
        stderr().print("No plays yet: a Subsonic client scrobbles to 'musicrec serve'")
        return
    for play in SubsonicStore(path).plays(user, limit=limit):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(play.time))
        typer.echo(f"{when}  {play.user}  {play.title or play.track_id} - {play.artist or '?'}"
              f"  ({play.folder})")
