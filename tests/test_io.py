"""Staged writes: a dataset and its model are swapped in together or not at all, whatever
moment an interrupt lands on (each rename of the swap is made to fail in turn)."""

from __future__ import annotations

import os

import pytest

from musicrec import io


def _folder(path, text: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "file.txt").write_text(text)


def _state(root) -> dict:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("had_old", [True, False])
@pytest.mark.parametrize("lands", ["before", "after"])  # the rename it interrupts is done
def test_an_interrupt_at_any_rename_of_the_swap_changes_nothing(tmp_path, monkeypatch,
                                                                  had_old, lands):
    dataset, model = tmp_path / "datasets" / "mine", tmp_path / "models" / "mine"
    if had_old:
        _folder(dataset, "old dataset")
        _folder(model, "old model")
    before = _state(tmp_path)
    real_rename = os.rename
    renames = 4 if had_old else 2  # per directory: old out (if any), new in
    for fail_at in range(1, renames + 1):
        calls = []

        def rename(src, dst, fail_at=fail_at, calls=calls):
            calls.append((src, dst))
            if len(calls) != fail_at:
                return real_rename(src, dst)
            if lands == "after":
                real_rename(src, dst)
            raise KeyboardInterrupt

        monkeypatch.setattr(io.os, "rename", rename)
        with pytest.raises(KeyboardInterrupt), io.staged_directories(dataset, model) as (
                new_dataset, new_model):
            _folder(new_dataset, "new dataset")
            _folder(new_model, "new model")
        monkeypatch.setattr(io.os, "rename", real_rename)
        assert _state(tmp_path) == before, fail_at
        assert not [p for p in tmp_path.rglob(".*")], fail_at  # no staging or old copy
    with io.staged_directories(dataset, model) as (new_dataset, new_model):
        _folder(new_dataset, "new dataset")
        _folder(new_model, "new model")
    assert _state(tmp_path) == {"datasets/mine/file.txt": "new dataset",
                                "models/mine/file.txt": "new model"}
    assert not [p for p in tmp_path.rglob(".*")]


def test_a_failure_while_staging_leaves_the_old_folders(tmp_path):
    dataset, model = tmp_path / "d", tmp_path / "m"
    _folder(dataset, "old")
    with pytest.raises(ValueError), io.staged_directories(dataset, model) as (staged, _):
        _folder(staged, "new")
        raise ValueError("the build failed")
    assert _state(tmp_path) == {"d/file.txt": "old"}
    assert not [p for p in tmp_path.rglob(".*")]
