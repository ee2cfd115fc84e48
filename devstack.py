"""Run the whole service locally: `make run` calls `python -m devstack`.

Starts the Temporal dev server from the pip `temporal` binary (state in a
SQLite file under the data folder, so a restart finds every workflow where it
was), the court simulator and the worker, and stops them all on Ctrl-C.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from court_notices.db import migrate
from court_notices.search_attributes import ALL_KEYS
from court_notices.settings import get_settings
from court_notices.vault import KeyringSource

logger = logging.getLogger("court_notices.devstack")

BIN = Path(sys.executable).parent
UI_PORT = 8233
SIMULATOR_PORT = 8088


def temporal_command(
    data_dir: Path, host: str, port: int, codec_port: int
) -> list[str]:
    command = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(UI_PORT),
        "--db-filename",
        str(data_dir / "temporal.db"),
        # WAL with synchronous=normal roughly doubles the dev server's SQLite
        # write throughput, and stays durable across application crashes.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
        # The Web UI calls this codec server to decrypt and encrypt payloads.
        "--ui-codec-endpoint",
        f"http://127.0.0.1:{codec_port}",
    ]
    for key in ALL_KEYS:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command


def wait_for_port(host: str, port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode}.")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{name} did not listen on {host}:{port} within 60 seconds.")


def check_port_free(host: str, port: int, name: str) -> None:
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            raise SystemExit(
                f"Port {host}:{port} for {name} is already in use; stop the other "
                "process (an earlier `make run`?) and try again."
            )


def spawn(command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    # Children get their own session so a Ctrl-C reaches only this runner,
    # which then stops them in order: worker, simulator, server.
    return subprocess.Popen(command, env=environment, start_new_session=True)


def stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    for name, process in reversed(processes):
        if process.poll() is not None:
            continue
        logger.info("Stopping %s (pid %d)", name, process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            logger.warning(
                "%s did not stop within 15 s; killing pid %d", name, process.pid
            )
            process.kill()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)

    # Prepare
    if not settings.vault_keys:
        KeyringSource.ensure_key_file(settings.resolved_vault_key_file)
    if not settings.payload_keys:
        KeyringSource.ensure_key_file(settings.resolved_payload_key_file)
    migrate(settings.resolved_database_url)
    host, port_text = settings.temporal_address.rsplit(":", 1)
    port = int(port_text)
    for name, checked_port in [
        ("the Temporal frontend", port),
        ("the Web UI", UI_PORT),
        ("the court simulator", SIMULATOR_PORT),
        ("the SMTP intake", settings.smtp_port),
        ("the codec server", settings.codec_port),
    ]:
        check_port_free(host, checked_port, name)

    processes: list[tuple[str, subprocess.Popen]] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Set explicitly: a shell starts background jobs with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, on_signal)
    environment = dict(os.environ, COURT_NOTICES_DATA_DIR=str(data_dir))
    try:
        # Temporal dev server
        server = spawn(
            temporal_command(data_dir, host, port, settings.codec_port), environment
        )
        processes.append(("temporal dev server", server))
        wait_for_port(host, port, server, "The Temporal dev server")
        wait_for_port(host, UI_PORT, server, "The Temporal Web UI")

        # Codec server, which the Web UI calls from the browser
        codec = spawn(
            [sys.executable, "-m", "court_notices.codec_server", "--host", "127.0.0.1"]
            + ["--port", str(settings.codec_port)],
            environment,
        )
        processes.append(("codec server", codec))
        wait_for_port("127.0.0.1", settings.codec_port, codec, "The codec server")

        # Court simulator
        simulator_command = [sys.executable, "-m", "courtsim", "--host", "127.0.0.1"]
        simulator_command += ["--port", str(SIMULATOR_PORT)]
        simulator_command += ["--smtp-host", settings.smtp_host]
        simulator_command += ["--smtp-port", str(settings.smtp_port)]
        simulator = spawn(simulator_command, environment)
        processes.append(("court simulator", simulator))
        wait_for_port("127.0.0.1", SIMULATOR_PORT, simulator, "The court simulator")

        # Worker
        worker = spawn([sys.executable, "-m", "worker"], environment)
        processes.append(("worker", worker))

        # SMTP intake
        intake = spawn([sys.executable, "-m", "intake"], environment)
        processes.append(("SMTP intake", intake))
        wait_for_port(settings.smtp_host, settings.smtp_port, intake, "The SMTP intake")

        logger.info(
            "Temporal frontend: %s (namespace %s)",
            settings.temporal_address,
            settings.temporal_namespace,
        )
        logger.info("Temporal Web UI:   http://127.0.0.1:%d", UI_PORT)
        logger.info("Court simulator:   http://127.0.0.1:%d", SIMULATOR_PORT)
        logger.info("Codec server:      http://127.0.0.1:%d", settings.codec_port)
        logger.info("Worker task queue: %s", settings.task_queue)
        logger.info(
            "SMTP intake:       %s:%d for @%s",
            settings.smtp_host,
            settings.smtp_port,
            settings.noticing_domain,
        )
        logger.info("Database:          %s", settings.resolved_database_url)
        logger.info("Ready. Run `make demo` in another terminal; Ctrl-C stops all.")

        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        for name, process in processes:
            if process.poll() is not None:
                logger.error(
                    "%s exited with code %s; stopping the rest",
                    name,
                    process.returncode,
                )
    except KeyboardInterrupt:
        logger.info("Stopping")
    finally:
        stop(processes)


if __name__ == "__main__":
    main()
