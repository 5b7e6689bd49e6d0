"""Who may use the Subsonic API: users with a password, and API keys.

Token authentication (``t = md5(password + s)``, what most clients send) needs the
password itself, so passwords are kept in a file readable by its owner only (mode 0600,
written atomically); API keys are kept only as SHA-256 hashes and shown once, when made.
One user may also come from the environment (``MUSICREC_SUBSONIC_USER`` and
``MUSICREC_SUBSONIC_PASSWORD``). The file is read again when it changes, so users and
keys added or revoked while the server runs take effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from musicrec.errors import DataFileError, InvalidArgumentError
from musicrec.subsonic.responses import (
    CONFLICTING,
    INVALID_KEY,
    WRONG_CREDENTIALS,
    SubsonicError,
    missing,
)

FORMAT = "musicrec-subsonic-users"
ENV_FILE = "MUSICREC_SUBSONIC_USERS"
ENV_USER, ENV_PASSWORD = "MUSICREC_SUBSONIC_USER", "MUSICREC_SUBSONIC_PASSWORD"
KEY_PREFIX = "mr_"
_UNREAD = object()


def users_file() -> Path:
    """Where the Subsonic users are kept (``MUSICREC_SUBSONIC_USERS`` overrides)."""
    given = os.environ.get(ENV_FILE)
    if given:
        return Path(given).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("musicrec")) / "subsonic-users.json"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class UserFile:
    """The users file: read, change and write it back (atomically, mode 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else users_file()

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise DataFileError(f"{self.path} cannot be read as the Subsonic users file "
                                f"({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataFileError(f"{self.path} is not a musicrec Subsonic users file")
        return dict(data.get("users") or {})

    def write(self, users: Mapping[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump({"format": FORMAT, "users": dict(users)}, out, indent=1)
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def set_password(self, name: str, password: str) -> bool:
        """Add ``name`` or change its password; True when the user is new."""
        if not name or not name.isprintable() or len(name) > 64:
            raise InvalidArgumentError("a user name is 1-64 printable characters")
        if len(password) < 8:
            raise InvalidArgumentError("choose a password of at least 8 characters")
        users = self.read()
        new = name not in users
        users.setdefault(name, {"api_keys": []})["password"] = password
        self.write(users)
        return new

    def remove(self, name: str) -> None:
        users = self.read()
        if name not in users:
            raise InvalidArgumentError(f"no Subsonic user called '{name}'")
        del users[name]
        self.write(users)

    def new_key(self, name: str, label: str = "") -> tuple[str, str]:
        """A new API key for ``name``: (its id, the key, shown this once)."""
        users = self.read()
        if name not in users:
            raise InvalidArgumentError(f"no Subsonic user called '{name}'; add one with "
                                       "musicrec subsonic user add NAME")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = secrets.token_hex(4)
        users[name].setdefault("api_keys", []).append(
            {"id": key_id, "sha256": _key_hash(key), "label": label,
             "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        self.write(users)
        return key_id, key

    def revoke(self, key_id: str) -> str:
        """Revoke the key with this id; returns its user."""
        users = self.read()
        for name, user in users.items():
            keys = user.get("api_keys", [])
            kept = [k for k in keys if k.get("id") != key_id]
            if len(kept) != len(keys):
                user["api_keys"] = kept
                self.write(users)
                return name
        raise InvalidArgumentError(f"no API key with the id '{key_id}'")


class Authenticator:
    """Checks a request's credentials (password, token and salt, or API key)."""

    def __init__(self, file: UserFile | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.file = file or UserFile()
        env = os.environ if environ is None else environ
        self._env_user = (env.get(ENV_USER), env.get(ENV_PASSWORD))
        self._lock = threading.Lock()
        self._seen: object = _UNREAD
        self._users: dict[str, dict[str, Any]] = {}

    def users(self) -> dict[str, dict[str, Any]]:
        """The users, the file read again when it changed."""
        try:
            stat = self.file.path.stat()
            seen = (stat.st_mtime, stat.st_size)
        except FileNotFoundError:
            seen = None
        with self._lock:
            if seen != self._seen:
                users = self.file.read() if seen is not None else {}
                name, password = self._env_user
                if name and password:
                    users.setdefault(name, {"api_keys": []})["password"] = password
                self._users, self._seen = users, seen
            return self._users

    def any_user(self) -> bool:
        return bool(self.users())

    def authenticate(self, params: Mapping[str, str]) -> str:
        """The user the request's parameters prove, or a :class:`SubsonicError`."""
        users = self.users()
        if not users:
            raise SubsonicError(WRONG_CREDENTIALS, "no Subsonic users are set up on this "
                                "server: run 'musicrec subsonic user add NAME'")
        api_key, user = params.get("apiKey"), params.get("u")
        if api_key is not None:
            if user is not None or "t" in params or "p" in params:
                raise SubsonicError(CONFLICTING,
                                    "Multiple conflicting authentication mechanisms provided")
            digest = _key_hash(api_key)
            for name, entry in users.items():
                if any(hmac.compare_digest(digest, k.get("sha256", ""))
                       for k in entry.get("api_keys", [])):
                    return name
            raise SubsonicError(INVALID_KEY, "Invalid API key")
        if user is None:
            raise missing("u")
        password = (users.get(user) or {}).get("password")
        token, salt, given = params.get("t"), params.get("s"), params.get("p")
        if token is not None:
            if salt is None:
                raise missing("s")
            if given is not None:
                raise SubsonicError(CONFLICTING,
                                    "Multiple conflicting authentication mechanisms provided")
            expected = hashlib.md5((password or "").encode() + salt.encode()).hexdigest()
            if password is not None and hmac.compare_digest(expected, token.lower()):
                return user
        elif given is not None:
            if given.startswith("enc:"):
                try:
                    given = bytes.fromhex(given[4:]).decode()
                except ValueError:
                    given = None
            if password is not None and given is not None and hmac.compare_digest(
                    given.encode(), password.encode()):
                return user
        else:
            raise missing("t")
        raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password")
