"""`make bench DEPLOY=1`: deploy/nginx/campaign.conf, as shipped, in front of two app servers.

Debian's nginx (installed when missing and possible) runs the deployment's own config,
its ports and paths substituted, in front of two gunicorn servers sharing one
PostgreSQL (BENCH_DATABASE_URL, default the local server) and one private Redis. The
counters partial and /api/stats.json are loaded through nginx and straight from one
app server, beside bare Flask "hello"; the budget: through nginx at least 3 x hello.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.run import BIN, RESULTS, ROOT, BenchError, wait_for

if TYPE_CHECKING:
    from bench.run import Bench

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NGINX_BUDGET = 3.0


def ensure_nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing nginx (apt-get install nginx-light)", flush=True)
        for attempt in (["apt-get", "install", "-y", "-qq", "nginx-light"],
                        ["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "nginx-light"]):  # fmt: skip
            subprocess.run(attempt, capture_output=True)
            if Path("/usr/sbin/nginx").exists():
                return "/usr/sbin/nginx"
    raise BenchError(
        "nginx is not installed and could not be installed: apt-get install nginx-light"
    )


def nginx_config(tmp: Path, listen: int, app_ports: list[int]) -> Path:
    """deploy/nginx/campaign.conf with the lines marked "bench:" pointed at this run."""
    site = (ROOT / "deploy" / "nginx" / "campaign.conf").read_text()
    proxy = tmp / "campaign-proxy.conf"
    shutil.copy(ROOT / "deploy" / "nginx" / "campaign-proxy.conf", proxy)
    replacements = {
        "upstream": "upstream campaign_app { "
        + " ".join(f"server 127.0.0.1:{p};" for p in app_ports)
        + " keepalive 32; }",
        "cache path": (
            f"proxy_cache_path {tmp / 'cache'} levels=1:2 keys_zone=campaign_crowd:10m "
            "max_size=64m inactive=10m use_temp_path=off;"
        ),
        "listen": f"listen 127.0.0.1:{listen};",
        "static": f"alias {ROOT / 'static'}/;",
        "proxy headers": f"include {proxy};",
    }
    lines = []
    for line in site.splitlines():
        marker = re.search(r"#\s*bench:\s*(.+)$", line)
        if marker and marker.group(1).strip() in replacements:
            indent = line[: len(line) - len(line.lstrip())]
            line = indent + replacements[marker.group(1).strip()]
        lines.append(line)
    (tmp / "campaign.conf").write_text("\n".join(lines) + "\n")
    # nginx's workers drop root for an unprivileged user, who must reach these folders.
    os.chmod(tmp, 0o755)
    for folder in ("cache", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir(exist_ok=True)
        os.chmod(tmp / folder, 0o777)
    main = tmp / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "nginx-error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp / "body"};
    proxy_temp_path {tmp / "proxy"};
    fastcgi_temp_path {tmp / "fastcgi"};
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};
    include {tmp / "campaign.conf"};
}}
"""
    )
    return main


def run_deploy(bench: Bench) -> int:
    nginx = ensure_nginx()
    bench.setup(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_POSTGRES)
    if not shutil.which("redis-server"):
        raise BenchError("redis-server is not installed: apt-get install redis-server")
    redis_port = bench.port + 5
    bench.processes.start(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], dict(os.environ), bench.log("redis"),
    )  # fmt: skip
    bench.env.update(REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", TRUSTED_PROXIES="1")
    bench.load(1_000)
    gunicorn, config = str(BIN / "gunicorn"), str(ROOT / "gunicorn.conf.py")
    app_ports = [bench.port, bench.port + 3]
    for name, port, target in (("site-a", app_ports[0], "app:app"),
                               ("site-b", app_ports[1], "app:app"),
                               ("hello", bench.port + 1, "bench.baseline:hello")):  # fmt: skip
        process = bench.processes.start(
            [gunicorn, "-c", config, target], {**bench.env, "BIND": f"127.0.0.1:{port}"},
            bench.log(name),
        )  # fmt: skip
        probe = f"http://127.0.0.1:{port}/" + ("healthz" if name != "hello" else "")
        wait_for(probe, process, bench.log(name), seconds=120)
        bench.servers[f"http://127.0.0.1:{port}/"] = process.pid
    proxy_port = bench.port + 4
    conf = nginx_config(bench.tmp, proxy_port, app_ports)
    check = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
    if check.returncode != 0:
        raise BenchError(f"nginx refuses the deploy config: {check.stderr.strip()[-300:]}")
    process = bench.processes.start([nginx, "-c", str(conf)], dict(os.environ), bench.log("nginx"))
    proxied = f"http://127.0.0.1:{proxy_port}"
    wait_for(proxied + "/healthz", process, bench.log("nginx"))
    bench.servers[proxied + "/"] = process.pid

    with urllib.request.urlopen(proxied + "/partials/counters", timeout=10) as response:
        response.read()
    with urllib.request.urlopen(proxied + "/partials/counters", timeout=10) as response:
        cache_status = response.headers.get("X-Cache")
    print(f"-- nginx in front of two app servers (X-Cache on a repeat: {cache_status})")
    direct = f"http://127.0.0.1:{app_ports[0]}"
    runs = {}
    for name, url in (("hello", bench.hello), ("counters_direct", direct + "/partials/counters"),
                      ("counters_nginx", proxied + "/partials/counters"),
                      ("stats_direct", direct + "/api/stats.json"),
                      ("stats_nginx", proxied + "/api/stats.json"),
                      ("hello_after", bench.hello)):  # fmt: skip
        runs[name] = bench.measure(name, url)
    hello = (runs["hello"].rate + runs["hello_after"].rate) / 2
    results: dict[str, Any] = {
        "runs": {
            name: {
                "req_per_s": round(r.rate, 1),
                "p50_ms": round(r.p50_ms, 2),
                "p99_ms": round(r.p99_ms, 2),
                "errors": r.errors,
                "ratio_to_hello": round(r.rate / hello, 3),
            }
            for name, r in runs.items()
        },  # fmt: skip
        "x_cache_on_repeat": cache_status,
    }
    budgets = {
        name: {"ratio": round(runs[name].rate / hello, 3), "budget": NGINX_BUDGET,
               "pass": runs[name].rate / hello >= NGINX_BUDGET and runs[name].errors == 0}
        for name in ("counters_nginx", "stats_nginx")
    }  # fmt: skip
    results["budgets"] = budgets
    out = RESULTS.with_name("results-deploy.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    for name, r in runs.items():
        print(
            f"{name:<18}{r.rate:>9.0f} req/s  p99 {r.p99_ms:7.1f} ms  {r.rate / hello:5.2f} x hello"
        )
    for name, b in budgets.items():
        print(
            f"{name}: {b['ratio']:.2f} x hello, budget {NGINX_BUDGET} x:"
            f" {'yes' if b['pass'] else 'NO'}"
        )
    print(f"results in {out.relative_to(ROOT)}")
    return 0 if all(b["pass"] for b in budgets.values()) else 1
