"""KL Miljøvarme's customer register: the one place that reads and writes personal data.

See docs/ARCHITECTURE.md for the public API. Functions take a Session first and never
commit; callers use ``bot.register.db.session_scope()``.
"""
