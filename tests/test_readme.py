"""The README's commands stay true: every ``musicrec`` line in its code blocks (and in the
docs pages) parses against the command line as it is, and the README's common uses run
on the real data (a library scan and an import on small real inputs; ``serve`` and
``figures`` are run by tests/test_cli.py and tests/test_clusters.py)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer

from musicrec.cli import app, run
from tests.conftest import FIXTURES, ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def _commands(path: Path) -> list[str]:
    """``musicrec ...`` command lines of a Markdown file's bash blocks (continuations
    joined, comments dropped)."""
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            line = re.sub(r"^[A-Z_]+=\S+ ", "", line)  # an environment setting before it
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("musicrec "):
                    commands.append(part)
    return commands


def _rest(ctx) -> list[str]:
    """What a group's context left for its subcommand."""
    protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
    return [*protected, *ctx.args]


def _parse(argv: list[str]) -> None:
    """Parse ``argv`` as the command line would, down to the command, without running it
    (a usage error raises; typer carries its own copy of click, hence no click types)."""
    command = typer.main.get_command(app)
    ctx = command.make_context("musicrec", list(argv))
    args = _rest(ctx)
    while hasattr(command, "resolve_command"):  # a group: on to its subcommand
        if not args:
            raise UsageErrorInTest(f"'{ctx.info_name}' needs a command")
        name, command, args = command.resolve_command(ctx, args)
        ctx = command.make_context(name, list(args), parent=ctx)
        args = _rest(ctx)


class UsageErrorInTest(Exception):
    def format_message(self) -> str:
        return str(self)


def _usage_error(exc: Exception) -> bool:
    return hasattr(exc, "format_message")


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_every_command_in_the_readme_and_docs_parses(path):
    commands = _commands(path)
    if path == README:
        assert len(commands) >= 11  # the first command and the ten common uses
    for command in commands:
        argv = shlex.split(command.replace("<id>", "0sf12qNH5qcw8qpgymFOqD"))[1:]
        try:
            _parse(argv)
        except Exception as exc:
            if not _usage_error(exc):
                raise
            pytest.fail(f"{path.name}: '{command}' does not parse: {exc.format_message()}")


@pytest.mark.parametrize("argv", [["recommend", "x", "--bogus"], ["library", "scan", "x",
                                  "--nope"], ["nosuch"], ["recommend", "x", "--year"],
                                  ["library"]])
def test_a_wrong_command_does_not_parse(argv):
    """The check above can fail: these are refused."""
    with pytest.raises(Exception) as info:
        _parse(argv)
    assert _usage_error(info.value)


def test_the_readme_is_short():
    """What a newcomer needs; the reference lives in docs/."""
    assert len(README.read_text().splitlines()) <= 120
    for link in re.findall(r"\]\((docs/[^)#]+)", README.read_text()):
        assert (ROOT / link).is_file(), link


def test_links_between_the_docs_pages_resolve():
    for page in DOCS:
        for link in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / link).resolve().exists(), f"{page.name}: {link}"


def test_the_ten_common_uses_run(capsys, tmp_path, monkeypatch, data_dir, model):
    """Each common use of the README, as written, run in a folder with the files it
    names: ``mine.m3u8`` is the playlist the fourth use writes, ``my_tracks.csv`` a small
    table of one's own, ``~/Music`` two real recordings."""
    uses = _commands(README)
    ten = uses[uses.index(next(c for c in uses if c.startswith("musicrec recommend "
                                                                 '"Blinding Lights"'))):]
    assert len(ten) == 10
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    cache = tmp_path / "cache"  # its own, so the library and table it adds stay here
    shutil.copytree(model.path, cache / "models" / "spotify_songs")
    monkeypatch.setenv("MUSICREC_CACHE_DIR", str(cache))
    music = tmp_path / "Music"
    music.mkdir()
    for clip in sorted((data_dir / "audio").glob("*.ogg"))[:3]:
        shutil.copy(clip, music / clip.name)
    shutil.copy(FIXTURES / "my_tracks.csv", tmp_path / "my_tracks.csv")
    for command in ten:
        argv = shlex.split(command.replace("~", str(tmp_path)))[1:]
        if argv[0] in ("serve", "figures"):  # a server, and ten seconds of figures: run
            _parse(argv)                      # by tests/test_cli.py, test_clusters.py
            continue
        code = run(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"{command}\n{err}"
        if "--export" in argv:
            shutil.copy(tmp_path / "mix.m3u8", tmp_path / "mine.m3u8")
        if argv[0] == "recommend" and "--format" not in argv:
            assert out.count("\n") >= 10, out
    assert (tmp_path / "mix.m3u8").read_text().startswith("#EXTM3U")
