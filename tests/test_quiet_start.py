"""Libraries' deprecation notices stay out of the operator's terminal; ours do not."""

from __future__ import annotations

import io
import warnings

import bot  # noqa: F401  (installs the filter)
from bot.logging_setup import _show_warning


def _shown(category, filename):
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _show_warning
        before = warnings.showwarning
        assert before is _show_warning
    # call the hook directly, as the warnings machinery does
    import bot.logging_setup as ls

    saved = ls._shown_before
    ls._shown_before = lambda m, c, f, n, file=None, line=None: out.write(f"{c.__name__}: {m}")
    try:
        _show_warning("old API", category, filename, 1)
    finally:
        ls._shown_before = saved
    return out.getvalue()


def test_a_librarys_deprecation_notice_is_hidden():
    lib = "/x/.venv/lib/python3.10/site-packages/sanic_cors/extension.py"
    assert _shown(DeprecationWarning, lib) == ""
    assert _shown(FutureWarning, lib) == ""


def test_our_own_deprecations_and_other_warnings_are_shown():
    assert "DeprecationWarning" in _shown(DeprecationWarning, "/work/bot/register/db.py")
    lib = "/x/.venv/lib/python3.10/site-packages/rasa/core/nlg/interpolator.py"
    assert "UserWarning" in _shown(UserWarning, lib)


def test_the_staff_inbox_hides_sanics_info_lines_and_shows_a_warning_once(monkeypatch):
    """`make run`'s terminal (issue 21): no "Starting worker" lines (twice: Sanic's handler and
    the root's); a warning still shows, once."""
    import logging

    from bot.staff_web.__main__ import quiet_sanic
    from bot.staff_web.app import create_app

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [logging.StreamHandler()])
    create_app(name="staff_quiet_start")  # Sanic configures its loggers here (sanic.root at INFO)
    quiet_sanic()
    sanic_root = logging.getLogger("sanic.root")
    assert not sanic_root.isEnabledFor(logging.INFO)
    assert sanic_root.isEnabledFor(logging.WARNING)
    shown = len(sanic_root.handlers) + (len(root.handlers) if sanic_root.propagate else 0)
    assert shown == 1, (sanic_root.handlers, sanic_root.propagate, root.handlers)


def test_per_function_registration_and_spacy_loading_lines_are_hidden():
    """make run's terminal (issue 21): not ten "Registered function for ..." lines of
    rasa-sdk nor Rasa's twice-printed "Trying to load SpaCy model"; their warnings stay."""
    import logging

    from bot.logging_setup import quiet_library_notices

    quiet_library_notices()
    for name in ("rasa_sdk.executor", "rasa.nlu.utils.spacy_utils"):
        # on the logger itself: the servers log "rasa" at INFO, and a level set on a parent
        # (by Rasa, or by another test in this process) would not keep these lines out
        assert logging.getLogger(name).level == logging.WARNING, name
