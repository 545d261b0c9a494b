"""Custom actions of KL Miljøvarme's privacy assistant (``rasa run actions --actions actions``).

One module per request family (``opt_out``, ``rights``, ``status``, ``handoff``) and a thin
shared ``base``. Every read or write of personal data goes through ``bot.register``. With
real delivery, the action server also delivers the outbox (a background thread), so that
nothing queued waits for the next customer.
"""

from actions.base import outbox_queued

# personal data in log records is masked by importing ``bot`` (bot/logging_setup.py)
outbox_queued()
