"""One request vocabulary: the CLI and REST accept the same names and ranges; rerank
steps and model kinds plug in from a test file alone; no cycle between packages."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import typer

from musicrec import InvalidArgumentError, Recommender, RecommendRequest, Seed
from musicrec.api.app import create_app
from musicrec.api.schemas import RecommendIn
from musicrec.cli import app
from musicrec.recommend.request import DEFAULTS, LIMITS, MAX_SEEDS
from musicrec.recommend.rerank import Candidates
from tests.api_server import running
from tests.test_cli import cli

SRC = Path(__file__).resolve().parents[1] / "src" / "musicrec"
KNOBS = [*LIMITS, "same_cluster"]


@pytest.fixture(scope="module")
def http(rec):
    with running(create_app(rec)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def _outside(name: str) -> tuple:
    low, high = LIMITS[name]
    step = 1 if isinstance(DEFAULTS[name], int) and name != "diversity" else 0.5
    return low - step, high + step


def test_the_front_ends_share_names_and_defaults():
    command = typer.main.get_command(app).commands["recommend"]
    options = {o for p in command.params for o in getattr(p, "opts", [])}
    rest = RecommendIn.model_fields
    for name in KNOBS:
        assert f"--{name.replace('_', '-')}" in options, name
        assert name in rest, name
    defaults = {p.name: p.default for p in command.params}
    for name, value in DEFAULTS.items():
        assert defaults[name] == value and rest[name].default == value, name


@pytest.mark.parametrize("name", list(LIMITS))
def test_cli_and_rest_accept_and_refuse_the_same_values(capsys, http, name):
    low, high = LIMITS[name]
    for value, ok in ((low, True), (high, True), *((v, False) for v in _outside(name))):
        value = int(value) if name != "diversity" else value
        code, _, err = cli(capsys, "recommend", "bad guy", f"--{name.replace('_', '-')}",
                           str(value), "--format", "json")
        response = http.post("/recommend", json={"seeds": ["bad guy"], name: value})
        assert (code == 0) == ok == (response.status_code == 200), (name, value, err)
        if not ok:
            assert name in err and name in response.json()["error"]


def test_same_cluster_in_both(capsys, http):
    code, out, _ = cli(capsys, "recommend", "bad guy", "--same-cluster", "--format", "json")
    body = http.post("/recommend", json={"seeds": ["bad guy"], "same_cluster": True}).json()
    assert code == 0
    assert [r["track_id"] for r in json.loads(out)] == [r["track_id"] for r in body["results"]]


def test_request_checks_itself():
    request = RecommendRequest("bad guy")
    assert request.seeds == (Seed("bad guy"),) and request.k == DEFAULTS["k"]
    assert RecommendRequest(["a"], artist_cap=0).cap is None
    with pytest.raises(InvalidArgumentError, match="at least one seed"):
        RecommendRequest([])
    with pytest.raises(InvalidArgumentError, match=f"at most {MAX_SEEDS} seeds"):
        RecommendRequest(["a"] * (MAX_SEEDS + 1))
    with pytest.raises(InvalidArgumentError, match="k must be a whole number"):
        RecommendRequest(["a"], k=True)
    with pytest.raises(InvalidArgumentError, match="weight"):
        Seed("a", 101)


class ShortTitlesFirst:
    """A toy rerank step: among the preferred candidates, shorter titles first."""

    def __init__(self, rec):
        self.names = rec.catalog.column("name")

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        p = candidates.preferred
        lengths = [len(self.names[r] or "") for r in candidates.rows[:p]]
        order = np.argsort(lengths, kind="stable")
        return candidates.take(np.r_[order, np.arange(p, len(candidates))], p)


def test_a_toy_rerank_step_plugs_in_from_this_file(model, rec):
    toy = Recommender(model, extra_steps=[ShortTitlesFirst(rec)])
    plain = rec.recommend("bad guy", k=10)
    ours = toy.recommend("bad guy", k=10)
    lengths = [len(r.name) for r in ours.results]
    assert lengths == sorted(lengths)
    # the same candidates survive the standard steps; only their order changed
    assert {r.track_id for r in ours.results} <= {
        r.track_id for r in rec.recommend("bad guy", k=100).results}
    assert [r.track_id for r in ours.results] != [r.track_id for r in plain.results]


def test_a_toy_model_kind_plugs_in_from_this_file(tmp_path):
    from musicrec import Catalog, build_model, load_model
    from musicrec.data.importers.kaggle import read_kaggle_tracks
    from musicrec.features.space import FeatureSpace
    from musicrec.model.kinds import KINDS, ModelKind, register
    from tests.conftest import FIXTURES

    @register
    class EnergyOnly(ModelKind):
        name = "toy-energy"
        summary = "energy and valence only"

        def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
                transfer=None, progress):
            return FeatureSpace(["energy", "valence"]).fit(catalog.tracks, fit_rows=fit_rows)

    try:
        catalog = Catalog.from_import(read_kaggle_tracks(FIXTURES / "kaggle_data.csv"))
        built = build_model(catalog, tmp_path / "m", "toy-energy")
        assert load_model(built.path).kind == "toy-energy"
        assert built.space.features_ == ["energy", "valence"] and built.vectors.shape[1] == 2
    finally:
        KINDS.pop("toy-energy")


def _package_graph() -> dict[str, set[str]]:
    """Which musicrec package (or top-level module) imports which, anywhere in a file."""
    def node(module: str) -> str | None:
        parts = module.split(".")
        return None if parts[0] != "musicrec" else (parts[1] if len(parts) > 1 else "musicrec")

    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        source = node(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for item in ast.walk(ast.parse(path.read_text())):
            targets = ([item.module] if isinstance(item, ast.ImportFrom) and item.module else
                       [a.name for a in item.names] if isinstance(item, ast.Import) else [])
            for target in targets:
                if (found := node(target)) and found != source:
                    graph.setdefault(source, set()).add(found)
    return graph


def test_no_cycle_between_packages():
    graph = _package_graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = [(a, b) for a in graph for b in graph[a] if a in reachable(b)]
    assert cycles == []
    # the layers: nothing below the front ends imports them
    for low in ("data", "features", "index", "model", "recommend", "evaluation", "spotify"):
        assert not graph.get(low, set()) & {"cli", "api", "workspace", "analysis"}, low


def test_the_workspace_is_split_by_concern():
    """Each front end's call lands in a module named for what it does (datasets, models,
    imports, listening, libraries, descriptions), none of them a catch-all again."""
    workspace = SRC / "workspace"
    modules = {p.stem for p in workspace.glob("*.py")} - {"__init__"}
    assert modules == {"datasets", "models", "imports", "listening", "libraries",
                       "descriptions"}
    for path in workspace.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 300, path.name
    for front in ("cli", "api"):
        for path in (SRC / front).rglob("*.py"):
            for item in ast.walk(ast.parse(path.read_text())):
                if isinstance(item, ast.ImportFrom) and item.module == "musicrec.workspace":
                    pytest.fail(f"{path.name} imports from the workspace package, not from "
                                f"the module for what it does: {[a.name for a in item.names]}")
