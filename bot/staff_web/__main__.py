"""``python -m bot.staff_web --host 127.0.0.1 --port 5090``: the staff inbox (``make run``)."""

from __future__ import annotations

import argparse
import logging
import os


def quiet_sanic() -> None:
    """Sanic's lifecycle lines ("Starting worker", twice: its handler and the root's) stay out
    of `make run`'s terminal, which prints the inbox's address itself; warnings stay, once."""
    sanic_root = logging.getLogger("sanic.root")
    sanic_root.setLevel(logging.WARNING)
    if sanic_root.handlers:
        sanic_root.propagate = False


def main() -> None:
    parser = argparse.ArgumentParser(description="KL Miljøvarme's staff inbox")
    parser.add_argument("--host", default=os.environ.get("STAFF_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("STAFF_PORT", "5090")))
    args = parser.parse_args()

    from bot.logging_setup import install_pii_filter
    from bot.register.db import upgrade
    from bot.staff_web.app import create_app

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger("bot").setLevel(logging.INFO)
    install_pii_filter()
    upgrade()
    app = create_app()
    quiet_sanic()
    app.run(host=args.host, port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
