"""The staff inbox (``python -m bot.staff_web``): see ``bot.staff_web.app``."""
