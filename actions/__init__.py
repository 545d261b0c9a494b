"""Custom actions of KL Miljøvarme's privacy assistant (``rasa run actions --actions actions``).

One module per request family (``opt_out``, ``rights``, ``status``, ``handoff``) and a thin
shared ``base``. Every read or write of personal data goes through ``bot.register``.
"""

from actions.base import install_log_filter

install_log_filter()
