"""Development tools: try SMS and Telegram on one's own machine (``klbot dev ...``).

The same helpers drive the channel tests, so what a developer tries by hand is what the
suite checks: ``sms`` signs an inbound SMS exactly as Twilio does (its ``RequestValidator``
over ``KLBOT_PUBLIC_URL`` + path and the form), ``telegram`` builds Bot API updates, and
``fake_telegram`` is a local stand-in for Telegram's Bot API that records (and prints)
what the bot sends. Nothing here runs in production.
"""
