"""Model kinds by name."""

from __future__ import annotations

from musicrec.errors import InvalidArgumentError
from musicrec.model.kinds.base import ModelKind

KINDS: dict[str, type[ModelKind]] = {}
#: The kind users get when they name none.
DEFAULT_KIND = "style"


def register(cls: type[ModelKind]) -> type[ModelKind]:
    """Class decorator: make a model kind known by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    KINDS[cls.name] = cls
    return cls


def get_kind(name: str) -> ModelKind:
    """The kind called ``name``; a clear error listing the known ones otherwise."""
    from musicrec.model import kinds  # noqa: F401  (loads every kind module once)

    try:
        return KINDS[name]()
    except KeyError:
        raise InvalidArgumentError(
            f"unknown model '{name}'; choose one of {', '.join(kind_names())}"
        ) from None


def kind_names() -> list[str]:
    """Every registered kind, the default first."""
    from musicrec.model import kinds  # noqa: F401

    return sorted(KINDS, key=lambda n: (n != DEFAULT_KIND, n))
