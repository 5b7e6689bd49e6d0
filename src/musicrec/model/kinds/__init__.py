"""Model kinds, one module each; every module in this package is loaded and registers
its kind (so adding a kind touches one new file)."""

import importlib
import pkgutil

from musicrec.model.kinds.base import ModelKind
from musicrec.model.kinds.registry import DEFAULT_KIND, KINDS, get_kind, kind_names, register

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "registry"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DEFAULT_KIND", "KINDS", "ModelKind", "get_kind", "kind_names", "register"]
