"""KL Miljøvarme's privacy assistant: shared code for the Rasa server, actions and CLI.

Importing it masks personal data in every log record of the process (bot/logging_setup.py),
and hides libraries' deprecation notices: the one place that covers the Rasa server (which
imports our channels and stores), the action server and the CLI alike.
"""

from bot.logging_setup import install_pii_filter, quiet_library_notices

install_pii_filter()
quiet_library_notices()
