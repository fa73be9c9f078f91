"""Output files of ``gaussproof sheet -o`` and ``gaussproof plot/fit ... -o/--plot`` (derivations/output_file.py).

A device node or FIFO is refused with one line naming the path and exit code 2, before any work, and is never
replaced, written or opened (so nothing hangs); an existing regular file keeps its permission bits, a new one
gets 0o666 less the umask; a symlink is written through to its target.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from derivations import cli_sheet, output_file
from derivations import sheet as sheets
from derivations.cli import main
from numeric import plots

REFUSAL = "not a regular file; give a path to a regular file"
SHEET = ["sheet", "--only", "loglik-univariate", "--format", "md", "-o"]
PLOT = ["plot", "density", "-o"]


@pytest.fixture(autouse=True)
def replace_only_regular_files(monkeypatch):
    """Guard the machine: os.replace onto anything but a regular file (or nothing) fails the test instead of
    replacing, say, /dev/null (which root could)."""
    real_replace = os.replace

    def guarded(source, destination):
        if os.path.lexists(destination):
            mode = os.stat(destination).st_mode
            assert stat.S_ISREG(mode), f"os.replace onto {destination}, which is not a regular file"
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", guarded)


@pytest.fixture
def umask():
    """Set the process umask for a test, and restore it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda value: os.umask(value)
    os.umask(saved)


@pytest.fixture
def fifo(tmp_path):
    """A FIFO with a non-blocking reader held open: a writer that opened it would not hang, and whatever it
    wrote could be read back."""
    path = tmp_path / "fifo.md"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    yield path
    os.close(reader)


def _work_forbidden(monkeypatch):
    """Make building a sheet or drawing a figure fail the test: a refused path must be refused first."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr(sheets, "build_sheet", forbidden)
    monkeypatch.setattr(plots, "density_figure", forbidden)


def _device_identity(path: str) -> tuple[int, int, int]:
    status = os.lstat(path)
    return stat.S_IFMT(status.st_mode), status.st_rdev, status.st_ino


# ---- devices and FIFOs -------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [SHEET, PLOT, ["fit", "--example", "--plot"]], ids=["sheet", "plot", "fit"])
@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_device_is_refused_and_left_alone(command, device, capsys, monkeypatch):
    _work_forbidden(monkeypatch)
    before = _device_identity(device)
    assert main([*command, device]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"gaussproof: error: cannot write {device}: {REFUSAL}\n"
    assert captured.out == ""
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert _device_identity(device) == before


@pytest.mark.parametrize("command", [SHEET, PLOT], ids=["sheet", "plot"])
def test_a_fifo_is_refused_not_opened_or_replaced(command, fifo, capsys, monkeypatch):
    _work_forbidden(monkeypatch)
    assert main([*command, str(fifo)]) == 2
    assert capsys.readouterr().err == f"gaussproof: error: cannot write {fifo}: {REFUSAL}\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in fifo.parent.iterdir()) == ["fifo.md"]  # no temporary file left


@pytest.mark.parametrize("command", [SHEET, PLOT], ids=["sheet", "plot"])
def test_a_symlink_to_a_device_is_refused_saying_where_it_points(command, tmp_path, capsys, monkeypatch):
    _work_forbidden(monkeypatch)
    link = tmp_path / "out.png"
    link.symlink_to("/dev/null")
    assert main([*command, str(link)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"gaussproof: error: cannot write {link}: {REFUSAL} ({link} resolves to /dev/null)"
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_refused_by_the_library_writers_too(fifo):
    with pytest.raises(sheets.SheetError, match=f"^cannot write {fifo}: {REFUSAL}$"):
        sheets.write_atomically(fifo, b"text")
    with pytest.raises(ValueError, match=f"^cannot write {fifo}: {REFUSAL}$"):
        plots.save(plots._pyplot().figure(), fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_loop_is_one_line(tmp_path, capsys):
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    assert main([*SHEET, str(loop)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gaussproof: error: cannot write {loop}: ") and err.count("\n") == 1


# ---- permission bits ---------------------------------------------------------------------------------------
def _write_sheet(path: Path) -> None:
    sheets.write_atomically(path, b"# sheet\n")


def _write_plot(path: Path) -> None:
    plots.save(plots._pyplot().figure(figsize=(1, 1)), path)


WRITERS = [pytest.param(_write_sheet, "sheet.md", id="sheet"), pytest.param(_write_plot, "figure.png", id="plot")]


@pytest.mark.parametrize("writer, name", WRITERS)
@pytest.mark.parametrize("mode", [0o640, 0o600, 0o604, 0o755, 0o444], ids=oct)
def test_an_existing_file_keeps_its_mode(writer, name, mode, tmp_path, umask):
    umask(0o022)
    target = tmp_path / name
    target.write_bytes(b"old contents")
    target.chmod(mode)
    writer(target)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes() != b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("writer, name", WRITERS)
def test_setuid_and_setgid_bits_are_not_kept(writer, name, tmp_path):
    target = tmp_path / name
    target.write_bytes(b"old")
    target.chmod(0o6750)
    writer(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


@pytest.mark.parametrize("writer, name", WRITERS)
@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002], ids=oct)
def test_a_new_file_gets_0o666_less_the_umask(writer, name, mask, tmp_path, umask):
    umask(mask)
    target = tmp_path / name
    writer(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_the_cli_keeps_the_mode_of_an_existing_sheet_and_plot(tmp_path, capsys):
    for command, name in ((SHEET, "sheet.md"), (PLOT, "figure.png")):
        target = tmp_path / name
        target.write_text("old")
        target.chmod(0o640)
        assert main([*command, str(target)]) == 0
        assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_bytes() != b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png", "sheet.md"]


# ---- symlinks to regular files -----------------------------------------------------------------------------
@pytest.mark.parametrize("writer, name", WRITERS)
def test_a_symlink_is_written_through_and_kept(writer, name, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / name
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / name
    link.symlink_to(target)
    writer(link)
    assert link.is_symlink() and link.resolve() == target
    assert target.read_bytes() != b"old" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == [name]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "sheet.md"
    link.symlink_to(tmp_path / "made.md")
    sheets.write_atomically(link, b"# sheet\n")
    assert link.is_symlink() and (tmp_path / "made.md").read_bytes() == b"# sheet\n"


def test_check_target_resolves_symlinks(tmp_path):
    target = tmp_path / "a.md"
    (tmp_path / "b.md").symlink_to(target)
    assert output_file.check_target(tmp_path / "b.md") == target.resolve()
    assert output_file.check_target(target) == target.resolve()


# ---- other refusals stay one line --------------------------------------------------------------------------
@pytest.mark.parametrize("where, message", [
    ("missing/sheet.md", "directory missing does not exist"),
    ("a-file/sheet.md", "a-file is not a directory"),
    ("a-dir", "it is a directory"),
])
def test_bad_directories_are_one_line(where, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("keep")
    (tmp_path / "a-dir").mkdir()
    with pytest.raises(output_file.OutputFileError, match=f"^cannot write {where}: {message}$"):
        output_file.check_target(where)


def test_the_sheet_path_is_checked_before_its_format_is_guessed(capsys):
    """/dev/null has no extension: the message is about the device, not about the format."""
    assert cli_sheet.run(cli_sheet_args(output="/dev/null")) == 2
    assert capsys.readouterr().err == f"gaussproof: error: cannot write /dev/null: {REFUSAL}\n"


def cli_sheet_args(**overrides):
    import argparse

    return argparse.Namespace(**{"format": None, "output": None, "only": ["loglik-univariate"],
                                 "with_steps": False, **overrides})
