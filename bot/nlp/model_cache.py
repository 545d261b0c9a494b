"""Reuse a trained model whose inputs are unchanged (``make train`` in CI).

The key is a SHA-256 over everything training reads: ``data/**/*.yml``, ``domain.yml``,
``config.yml``, the pipeline's own components ``bot/nlp/*.py`` and the Rasa and Python
versions. A model is kept as ``<cache>/<key>.tar.gz``; the cache directory comes from
``KLBOT_MODEL_CACHE`` (``.ci/run`` sets ``~/.cache/klbot-models``: CI runs in a fresh clone
on the same machine, so a directory outside the clone survives between runs). Unset, there is
no cache and ``make train`` always trains. A missing, unreadable or unwritable cache is never
an error: the model is then trained.

    python -m bot.nlp.model_cache key               # print the key
    python -m bot.nlp.model_cache restore MODEL     # exit 0 if MODEL was restored
    python -m bot.nlp.model_cache save MODEL        # store MODEL under the key
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterable, List, Optional

ROOT = Path(__file__).resolve().parents[2]
ENV = "KLBOT_MODEL_CACHE"


def inputs(root: Path = ROOT) -> List[Path]:
    """Every file whose content decides the trained model, in a stable order."""
    files = sorted((root / "data").rglob("*.yml"))
    files += [root / "domain.yml", root / "config.yml"]
    files += sorted((root / "bot" / "nlp").glob("*.py"))
    return [f for f in files if f.is_file()]


def rasa_version() -> str:
    try:
        return version("rasa")
    except PackageNotFoundError:
        return "unknown"


def key(root: Path = ROOT, files: Optional[Iterable[Path]] = None) -> str:
    digest = hashlib.sha256()
    digest.update(f"rasa {rasa_version()} python {platform.python_version()}\n".encode())
    for path in files if files is not None else inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def cache_dir() -> Optional[Path]:
    value = os.environ.get(ENV, "").strip()
    return Path(value).expanduser() if value else None


def restore(model: Path, root: Path = ROOT) -> bool:
    directory = cache_dir()
    if directory is None:
        return False
    cached = directory / f"{key(root)}.tar.gz"
    if not cached.is_file():
        print(f"model cache: no model for these inputs in {directory}; training")
        return False
    try:
        model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, model)
    except OSError as error:
        print(f"model cache: could not restore ({error.strerror}); training")
        return False
    print(f"model cache: restored {model} from {cached} (data, config, components unchanged)")
    return True


def save(model: Path, root: Path = ROOT) -> bool:
    directory = cache_dir()
    if directory is None or not model.is_file():
        return False
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{key(root)}.tar.gz"
        # write beside the target and rename, so a reader never sees half a model
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False) as tmp:
            with open(model, "rb") as source:
                shutil.copyfileobj(source, tmp)
        os.replace(tmp.name, target)
    except OSError as error:
        print(f"model cache: could not save ({error.strerror}); continuing")
        return False
    print(f"model cache: saved {target}")
    return True


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["key"]:
        print(key())
        return 0
    if len(args) == 2 and args[0] in ("restore", "save"):
        done = (restore if args[0] == "restore" else save)(Path(args[1]))
        return 0 if done or args[0] == "save" else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
