"""Where a request's time goes, in process: `python -m bench.profile_routes [ROUTE...] [-n N]`.

Builds the site on a throw-away SQLite database in production settings (as the bench
runs it), then for each route prints the CPU milliseconds a request and, with --top,
cProfile's heaviest functions. Routes: hello, home, programme, appeal, counters, stats,
signup. No server, no network: the figures are the application's own cost.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
PATHS = {
    "home": "/",
    "programme": "/programme",
    "appeal": "/appeal",
    "counters": "/partials/counters",
    "stats": "/api/stats.json",
}


def build(tmp: Path) -> Flask:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'site.db'}",
        SECRET_KEY=secrets.token_urlsafe(32),
        SITE_URL="http://127.0.0.1",
        CAMPAIGN_ENV="production",
        MAIL_TRANSPORT="smtp",  # production refuses to print mail; nothing is sent here
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT="1",
        CAMPAIGN_APPEAL_SIGN_RATE_LIMIT="10000000 per minute",
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "app", "db", "upgrade"], check=True,
                   cwd=ROOT, capture_output=True)  # fmt: skip
    subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "1000"], check=True,
                   cwd=ROOT, capture_output=True)  # fmt: skip
    from campaign import create_app

    return create_app()


def request_maker(app: Flask, route: str) -> Callable[[], None]:
    client = app.test_client()
    if route == "signup":
        page = client.get("/appeal").get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "no CSRF token on the appeal page"
        token = match.group(1)
        count = iter(range(10**9))

        def sign() -> None:
            response = client.post(
                "/appeal",
                data={"csrf_token": token, "first_name": "Bench", "last_name": "Signer",
                      "postcode": "SW1A 1AA", "labour_member": "no",
                      "email": f"profile{next(count)}@example.org"},
            )  # fmt: skip
            assert response.status_code == 303, response.status_code

        return sign
    path = PATHS[route]

    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    return get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("routes", nargs="*", default=[*PATHS, "signup"])
    parser.add_argument("-n", type=int, default=300, help="requests a route")
    parser.add_argument("--top", type=int, default=0, help="print the N heaviest functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="campaign-profile-") as tmp:
        app = build(Path(tmp))
        for route in args.routes:
            make = request_maker(app, route)
            for _ in range(20):
                make()  # warm: templates compiled, connections open
            started = time.process_time()
            for _ in range(args.n):
                make()
            cpu_ms = (time.process_time() - started) * 1000 / args.n
            print(f"{route:<10} {cpu_ms:6.2f} ms CPU a request", flush=True)
            if args.top:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.n):
                    make()
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
