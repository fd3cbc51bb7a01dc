"""gunicorn settings for `make serve`; override any of them with GUNICORN_CMD_ARGS."""

import multiprocessing
import os
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycling workers guards against slow leaks, but a restart costs about 1.3 s of CPU (the
# app is imported and built again) and 5000 +- 500 made all four restart together every
# 15-25 s under load, stalling requests for a second at a time. Rarely, and spread out.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 2
accesslog = "-"
# No client address in the log (the privacy notice promises IPs are kept only as keyed
# hashes) and no personal link: RedactingLogger blanks tokens and query values.
logger_class = "campaign.accesslog.RedactingLogger"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25.1+ opens a control socket for `gunicornc` at one path per user
# ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): a second server of the same
# user takes it over, and stopping either deletes it, so `gunicornc` would reach the wrong
# server or none. We do not use gunicornc; manage the server with signals (HUP, TTIN, TERM).
control_socket_disable = True


def on_starting(server: object) -> None:
    """Build the app once in the master: a refused configuration stops gunicorn with its
    one line, instead of every worker failing to boot in turn."""
    import app  # noqa: F401  (app.py exits with the refusal's one line)

    # Each worker builds its own app after the fork (no connection shared across processes).
    sys.modules.pop("app", None)
