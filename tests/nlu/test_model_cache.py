"""The model cache (bot/nlp/model_cache.py): keyed by what training reads, safe when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp import model_cache


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "bot" / "nlp").mkdir(parents=True)
    (root / "data" / "nlu" / "a.yml").write_text("nlu: []\n")
    (root / "domain.yml").write_text("version: '3.1'\n")
    (root / "config.yml").write_text("pipeline: []\n")
    (root / "bot" / "nlp" / "tokenizer.py").write_text("x = 1\n")
    return root


def test_key_changes_with_every_input(project: Path):
    before = model_cache.key(project)
    assert model_cache.key(project) == before
    for path in ("data/nlu/a.yml", "domain.yml", "config.yml", "bot/nlp/tokenizer.py"):
        target = project / path
        original = target.read_text()
        target.write_text(original + "# changed\n")
        assert model_cache.key(project) != before, path
        target.write_text(original)
    (project / "data" / "nlu" / "b.yml").write_text("nlu: []\n")
    assert model_cache.key(project) != before, "a new data file"


def test_key_ignores_files_training_does_not_read(project: Path):
    before = model_cache.key(project)
    (project / "README.md").write_text("docs\n")
    (project / "data" / "notes.txt").write_text("not yml\n")
    assert model_cache.key(project) == before


def test_save_then_restore_round_trip(project: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(model_cache.ENV, str(tmp_path / "cache"))
    model = project / "models" / "klbot.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"model bytes")
    assert model_cache.save(model, project)
    model.unlink()
    assert model_cache.restore(model, project)
    assert model.read_bytes() == b"model bytes"
    # a change to the data means a different key: nothing to restore
    model.unlink()
    (project / "data" / "nlu" / "a.yml").write_text("nlu: [changed]\n")
    assert not model_cache.restore(model, project)
    assert not model.exists()


def test_no_cache_configured_means_train(project: Path, monkeypatch):
    monkeypatch.delenv(model_cache.ENV, raising=False)
    model = project / "models" / "klbot.tar.gz"
    assert not model_cache.restore(model, project)
    assert not model_cache.save(model, project)


def test_unwritable_cache_is_not_an_error(project: Path, tmp_path: Path, monkeypatch):
    # the write refused as a read-only directory refuses it (also for root, as in CI)
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(model_cache.tempfile, "NamedTemporaryFile", refused)
    monkeypatch.setenv(model_cache.ENV, str(tmp_path / "cache"))
    model = project / "model.tar.gz"
    model.write_bytes(b"x")
    assert not model_cache.save(model, project)


def test_cache_path_that_is_a_file_is_not_an_error(project: Path, tmp_path: Path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv(model_cache.ENV, str(blocker))
    model = project / "model.tar.gz"
    model.write_bytes(b"x")
    assert not model_cache.save(model, project)
    assert not model_cache.restore(project / "other.tar.gz", project)
