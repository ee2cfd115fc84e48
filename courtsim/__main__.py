"""Serve the court simulator: ``python -m courtsim --host 127.0.0.1 --port 8088``."""

import argparse
import logging

import uvicorn

from courtsim.app import create_app
from courtsim.nef_sender import DEFAULT_SMTP_HOST, DEFAULT_SMTP_PORT

logger = logging.getLogger("courtsim")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m courtsim",
        description="Serve the local PACER and CM/ECF simulator.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default: %(default)s). The /_sim/ control "
        "API has no authentication, so keep it on a loopback address.",
    )
    parser.add_argument(
        "--port", type=int, default=8088, help="TCP port (default: %(default)s)"
    )
    parser.add_argument(
        "--smtp-host",
        default=DEFAULT_SMTP_HOST,
        help="SMTP server that POST /_sim/nefs sends notices to, unless the "
        "request names another (default: %(default)s)",
    )
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=DEFAULT_SMTP_PORT,
        help="TCP port of that SMTP server (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the log lines on stderr (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logger.info(
        "starting the court simulator on http://%s:%d, sending NEFs to SMTP %s:%d",
        args.host,
        args.port,
        args.smtp_host,
        args.smtp_port,
    )

    # The app logs each request itself, without query strings, so uvicorn's
    # access log stays off. log_config=None keeps the basicConfig setup above.
    uvicorn.run(
        create_app(smtp_host=args.smtp_host, smtp_port=args.smtp_port),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
