"""What a ``vigil-agent`` costs the machine it watches: ``python bench/agent_bench.py``.

A real ``vigil start`` and a real ``vigil-agent start`` (processes). Reports:

- the agent's resident memory (RSS) idle (connected, keepalives only), and while it runs
  ``--checks`` checks at interval ``--interval`` (default 100 at 10 s);
- the agent's own CPU per check run, beyond the command itself: the agent process's CPU time
  (user + system, its children excluded) during the loaded window, minus its idle CPU over a
  window of the same length (the baseline, measured in the same run), divided by the runs;
  next to it the command's own CPU per run (the children's CPU time), for scale.

Sensu documents 128 MB of RAM as the agent's minimum.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from harness import admin_token, free_port, vigil_init, vigil_start

AGENT = str(Path(sys.executable).parent / "vigil-agent")


def agent_sent(api: str) -> float:
    text = httpx.get(f"{api}/metrics", timeout=5).text
    match = re.search(r"^sensu_agent_messages_sent_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def cpu(proc: psutil.Process) -> tuple[float, float]:
    """(own CPU seconds, children's CPU seconds)."""
    t = proc.cpu_times()
    return t.user + t.system, t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per measurement")
    parser.add_argument("--command", default="true")
    parser.add_argument("--quick", action="store_true", help="30 s windows")
    args = parser.parse_args()
    window = 30.0 if args.quick else args.window

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        vigil_init(root / "state")
        agent_port = free_port()
        with vigil_start(root / "state", ["--agent-port", str(agent_port)]) as backend:
            api_port = free_port()
            api = f"http://127.0.0.1:{api_port}"
            agent = subprocess.Popen(
                [AGENT, "start", "--name", "bench-agent", "--backend-url",
                 f"ws://127.0.0.1:{agent_port}", "--subscriptions", "bench",
                 "--cache-dir", str(root / "cache"), "--api-port", str(api_port),
                 "--socket-port", str(free_port()), "--statsd-metrics-port", str(free_port()),
                 "--log-level", "error"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                proc = psutil.Process(agent.pid)
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx.get(f"{api}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("the agent did not connect")
                    time.sleep(0.1)
                time.sleep(5)  # settle: first keepalive, system facts

                own0, _ = cpu(proc)
                time.sleep(window)
                own1, _ = cpu(proc)
                idle_rss = proc.memory_info().rss
                idle_cpu = own1 - own0

                token = admin_token(backend.url)
                headers = {"Authorization": f"Bearer {token}"}
                for n in range(args.checks):
                    name = f"bench-{n}"
                    body = {
                        "metadata": {"name": name, "namespace": "default"},
                        "command": args.command,
                        "interval": args.interval,
                        "subscriptions": ["bench"],
                        "publish": True,
                    }
                    httpx.put(
                        f"{backend.url}/api/core/v2/namespaces/default/checks/{name}",
                        json=body,
                        headers=headers,
                    ).raise_for_status()
                time.sleep(args.interval + 2)  # every check has run once: steady state
                sent0 = agent_sent(api)
                own0, kids0 = cpu(proc)
                peak = 0
                end = time.monotonic() + window
                while time.monotonic() < end:
                    peak = max(peak, proc.memory_info().rss)
                    time.sleep(0.5)
                own1, kids1 = cpu(proc)
                sent1 = agent_sent(api)
            finally:
                agent.terminate()
                agent.wait(timeout=30)

    keepalives = window / 20.0
    runs = max(1.0, sent1 - sent0 - keepalives)
    overhead = (own1 - own0 - idle_cpu) / runs
    print(f"agent RSS idle: {idle_rss / 2**20:.1f} MiB")
    print(
        f"agent RSS with {args.checks} checks at interval {args.interval}s: "
        f"{peak / 2**20:.1f} MiB (peak over {window:.0f} s)"
    )
    print(f"check runs in the window: {runs:.0f}")
    print(f"agent CPU idle: {idle_cpu * 1000 / window:.2f} ms per second")
    print(f"agent CPU per check run beyond the command: {overhead * 1000:.2f} ms")
    print(
        f"the command's own CPU per run ({args.command!r}): {(kids1 - kids0) * 1000 / runs:.2f} ms"
    )
    print(f"ratio agent/command per run: {overhead / max(1e-9, (kids1 - kids0) / runs):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
