"""tasks.py: the two set-up commands (only what runs without installing anything)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lab_as_root_adds_allow_root_once(tasks):
    cmd = tasks.lab_command(["--port=9999"], as_root=True)
    assert cmd[1:] == ["lab", "notebooks/00_start_here.ipynb", "--port=9999", "--allow-root"]
    assert tasks.lab_command(["--allow-root"], as_root=True).count("--allow-root") == 1
    assert "--allow-root" not in tasks.lab_command([], as_root=False)


def test_lab_says_so_when_running_as_root(tasks, monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(tasks, "install", lambda: None)
    monkeypatch.setattr(tasks, "running_as_root", lambda: True)
    monkeypatch.setattr(tasks.os, "execve", lambda path, argv, env: seen.update(argv=argv))
    tasks.lab([])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "--allow-root" in out and "root" in out
    assert seen["argv"][-1] == "--allow-root"


def test_the_test_command_runs_each_file_on_one_of_two_workers_unless_told_otherwise(tasks, monkeypatch):
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 2)
    assert tasks.worker_args([]) == ["-n", "2", "--dist", "loadfile"]
    assert tasks.worker_args(["-k", "serving"]) == ["-n", "2", "--dist", "loadfile"]
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 64)  # never more than two: each worker compiles its own XLA programs
    assert tasks.worker_args([])[:2] == ["-n", "2"]
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: None)
    assert tasks.worker_args([])[:2] == ["-n", "1"]
    for chosen in (["-n", "0"], ["-n4"], ["--numprocesses=3"], ["-p", "no:xdist"], ["--dist", "load"]):
        assert tasks.worker_args(chosen) == [], chosen
