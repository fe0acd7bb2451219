"""deploy/systemd followed as an operator follows docs/ops.md, as far as a machine without
systemd as PID 1 allows.

- `systemd-analyze verify` reads the units as installed (the binary this environment's).
- The docs' systemd block runs as written, moved under a temporary root (/etc/cstui,
  /var/lib/cstui, /run/cstui, /etc/systemd/system there), without `sudo -u cstui` and
  `-o cstui` (no such user here): the install lines, then `cstui init` and the agents
  through the docs' own `cstui` function. What it does with systemd, useradd, pip and
  PostgreSQL's tools is done here instead: a fresh database, this virtual environment, the
  units started by hand.
- Each unit's ExecStart runs exactly as written (free ports, the temporary root) in the
  environment systemd gives it: a clean one, then Environment=, then EnvironmentFile=; it is
  stopped as systemd stops it (KillSignal to its whole process group, TimeoutStopSec).
- nginx from deploy/nginx/cstui.conf in front, filled in as the docs say; then what an
  operator checks: the API with a token through the proxy, /metrics through it (both
  workers' requests added up, and refused outside the allow list), the browser console
  behind the proxy's password, the console through the proxy from an agent's machine and
  over SSH with OpenSSH, the JSON log.

Not covered: users, ownership, and the units' sandboxing (ProtectSystem= …), which only
systemd applies. compose.yaml (no docker here) is read and held to the units.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.channels.test_journey import Screen
from tests.cli.test_web import _stat, descendants, free_port
from tests.conftest import pg_database
from tests.processes import wait_for
from tests.server.test_proxy import NGINX, render, self_signed
from tests.ssh.test_ssh_serve import keygen

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"
OPS = REPO / "docs" / "ops.md"
CSTUI = Path(sys.executable).with_name("cstui")  # where /opt/cstui/bin/cstui would be
ANALYZE = shutil.which("systemd-analyze")
TMUX = shutil.which("tmux")
SSH = shutil.which("ssh")
HOST = "cs.example.test"  # the certificate's name (and 127.0.0.1)
SUBJECT = "Kettle-arrived-dented"  # the ticket each console must show
DEADLINE = 60.0  # seconds for any one step on a busy 2-core machine
# systemd's PATH for services (systemd 252, merged /usr).
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

MISSING = [name for name, found in (("nginx", NGINX), ("tmux", TMUX), ("ssh", SSH)) if not found]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("deploy"),  # one deployment per run (make test: --dist loadgroup)
    # CI installs them (.ci/run): there a missing one fails rather than skips.
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true", reason=f"needs {', '.join(MISSING)}"
    ),
]


# --- reading the files as systemd and the docs have them -----------------------------------


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit's sections, each its settings in order (systemd's syntax: `#` and `;` start a
    comment line, a trailing backslash joins the next line, with a space)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        line, logical = logical + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def setting(unit: dict[str, list[tuple[str, str]]], key: str) -> list[str]:
    return [value for name, value in unit["Service"] if name == key]


def read_env_file(path: Path) -> dict[str, str]:
    """An EnvironmentFile= as systemd reads one: KEY=VALUE lines, `#` and `;` comments."""
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not KEY=VALUE: {raw!r}"
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key.strip()] = value
    return found


def docs_systemd_text() -> str:
    """docs/ops.md's "With systemd"."""
    return OPS.read_text(encoding="utf-8").split("## With systemd", 1)[1].split("\n## ", 1)[0]


def docs_systemd_block() -> list[str]:
    """Its shell block, line by line."""
    return docs_systemd_text().split("```sh\n", 1)[1].split("\n```", 1)[0].splitlines()


# The block's steps that need root, systemd or the network, done by the fixture instead.
DONE_HERE = {
    "useradd ": "the state directory, made (the user's home)",
    "python3 -m venv ": "this virtual environment's cstui",
    "sudo -u postgres ": "a fresh database",
    "systemctl ": "the units' ExecStart, started by hand",
}


class Root:
    """The temporary root the deployment's absolute paths are moved under."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.moves = {
            "/opt/cstui/bin/cstui": str(CSTUI),
            "/etc/systemd/system": str(path / "etc/systemd/system"),
            "/etc/cstui": str(path / "etc/cstui"),
            "/var/lib/cstui": str(path / "var/lib/cstui"),
            "/run/cstui": str(path / "run/cstui"),
            "/path/": str(path / "path") + "/",  # the operator's own files
        }

    def __truediv__(self, other: str) -> Path:
        return self.path / other.lstrip("/")

    def moved(self, text: str) -> str:
        for old, new in self.moves.items():
            text = text.replace(old, new)
        return text

    def shell_line(self, line: str) -> str:
        """A line of the docs as run here: no other user, paths under this root."""
        return self.moved(line.replace("sudo -u cstui ", "").replace(" -o cstui", ""))


def ports_moved(argv: list[str], ports: dict[str, int]) -> list[str]:
    moved = list(argv)
    for i, arg in enumerate(moved[:-1]):
        if arg == "--port":
            moved[i + 1] = str(ports[moved[i + 1]])
    return moved


# --- the services -----------------------------------------------------------------------


class Service:
    """A unit's ExecStart started as systemd starts it: in its own process group (its
    cgroup), stdin from /dev/null, both outputs kept (what journald would get)."""

    def __init__(self, argv: list[str], env: dict[str, str], stop_seconds: float) -> None:
        self.argv = argv
        self.stop_seconds = stop_seconds
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="backslashreplace",
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._keep, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _keep(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def said(self, text: str) -> str:
        return next((line for line in list(self.stderr) if text in line), "")

    def wait_said(self, text: str) -> str:
        def said() -> str:
            assert self.proc.poll() is None, f"{self.argv[1]} exited: {''.join(self.stderr)}"
            return self.said(text)

        return str(wait_for(said, timeout=DEADLINE, what=f"{text!r} from {self.argv[1]}"))

    def stop(self) -> float:
        """systemctl stop: SIGTERM (KillSignal=) to every process of the unit, SIGKILL to
        what is left after TimeoutStopSec=; how long until none was left (inf: killed)."""
        started = time.monotonic()
        took = 0.0
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(self.stop_seconds)
                while group(self.proc.pid) and time.monotonic() - started < self.stop_seconds:
                    time.sleep(0.05)  # the workers too, as systemd waits for the cgroup
                took = float("inf") if group(self.proc.pid) else time.monotonic() - started
            except subprocess.TimeoutExpired:
                took = float("inf")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # what is left of the group
        self.proc.wait()
        for reader in self.readers:
            reader.join(10)
        return took


def group(pgid: int) -> list[int]:
    """The running processes of a process group (what is left of a unit)."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and (fields := _stat(int(entry.name)))
        and int(fields[2]) == pgid
        and fields[0] != "Z"
    ]


def service_environment(root: Root, unit: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """What systemd gives a service of User=cstui: its own few variables, Environment=, then
    EnvironmentFile= (which wins). PYTHONPATH passes too: it may put this checkout first."""
    home = str(root / "var/lib/cstui")
    env = {"PATH": SERVICE_PATH, "HOME": home, "USER": "cstui", "LOGNAME": "cstui"}
    env["SHELL"] = "/usr/sbin/nologin"
    if setting(unit, "StateDirectory"):
        env["STATE_DIRECTORY"] = str(root / f"var/lib/{setting(unit, 'StateDirectory')[0]}")
    if setting(unit, "RuntimeDirectory"):
        env["RUNTIME_DIRECTORY"] = str(root / f"run/{setting(unit, 'RuntimeDirectory')[0]}")
    for value in setting(unit, "Environment"):
        for word in shlex.split(value):
            key, _, val = word.partition("=")
            env[key] = root.moved(val)
    for value in setting(unit, "EnvironmentFile"):
        env.update(read_env_file(Path(root.moved(value.lstrip("-")))))
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def start_unit(root: Root, name: str, ports: dict[str, int]) -> Service:
    """The installed unit's ExecStart, as systemd starts it (its directories made first)."""
    unit = read_unit(root / f"etc/systemd/system/{name}")
    for directory, base in (("StateDirectory", "var/lib"), ("RuntimeDirectory", "run")):
        for value in setting(unit, directory):
            (root / f"{base}/{value}").mkdir(parents=True, exist_ok=True)
            if directory == "RuntimeDirectory":  # made empty at every start
                for stale in (root / f"{base}/{value}").iterdir():
                    stale.unlink()
    [command] = setting(unit, "ExecStart")
    assert command[0] not in "-@+!:", command  # no prefixes: the command as it reads
    argv = ports_moved(shlex.split(root.moved(command)), ports)
    [timeout] = setting(unit, "TimeoutStopSec")
    assert setting(unit, "KillSignal") == ["SIGTERM"]
    return Service(argv, service_environment(root, unit), float(timeout))


# --- the deployment -----------------------------------------------------------------------


@dataclass
class Deployment:
    root: Root
    proxy: str  # https://127.0.0.1:PORT, nginx
    api: str  # http://127.0.0.1:PORT, `cstui serve` itself
    public: str  # https://cs.example.test:PORT: the host name the pages are addressed to
    ssh_port: int
    web_port: int
    tokens: dict[str, str]
    serve: Service
    ssh: Service
    web: Service
    database: str
    password: str  # the proxy's, for sue
    helper: list[str]  # the docs' `cstui` function, as run here
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def cafile(self) -> Path:
        return self.root / "nginx/fullchain.pem"

    def client(self, who: str | None = None, **kwargs: Any) -> httpx.Client:
        """Through the proxy, the certificate checked, as `who`."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        verify = ssl.create_default_context(cafile=str(self.cafile))
        return httpx.Client(base_url=self.proxy, headers=headers, verify=verify, **kwargs)

    def ticket(self) -> dict[str, Any]:
        """The ticket the consoles are to show, made once through the proxy by the admin."""
        if "ticket" not in self.made:
            with self.client("ops", timeout=30) as admin:
                customer = admin.post("/api/v1/customers", json={"name": "Wang Fang"})
                assert customer.status_code == 201, customer.text
                new = {
                    "customer_id": customer.json()["id"],
                    "subject": SUBJECT,
                    "body": "The box was crushed.",
                    "channel": "chat",
                    "category": "return",
                }
                made = admin.post("/api/v1/tickets", json=new)
                assert made.status_code == 201, made.text
                self.made["ticket"] = made.json()
        return dict(self.made["ticket"])

    def cstui(self, *args: str) -> str:
        return docs_cstui(self.helper, self.root, *args)


def shell_environment(root: Root) -> dict[str, str]:
    """root's login shell, more or less."""
    env = {"PATH": os.environ.get("PATH", SERVICE_PATH), "HOME": str(root / "root")}
    env["LANG"] = "C.UTF-8"
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def docs_cstui(helper: list[str], root: Root, *args: str) -> str:
    """`cstui ARGS` through the docs' function (as the cstui user, its environment file)."""
    return run_shell("\n".join([*helper, shlex.join(["cstui", *args])]), root)


def run_shell(script: str, root: Root) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,  # the docs run from the checkout
        env=shell_environment(root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{script}\n---\n{result.stdout}{result.stderr}"
    return result.stdout


def follow_the_docs(root: Root, database: str) -> list[str]:
    """The docs' systemd block, up to starting the units; the `cstui` function's lines."""
    block = docs_systemd_block()
    done = {step: False for step in DONE_HERE}
    here: list[str] = []
    for line in block:
        step = next((s for s in DONE_HERE if line.startswith(s)), None)
        if step is None:
            here.append(root.shell_line(line))
        else:
            done[step] = True
    assert all(done.values()), f"the docs no longer say: {[s for s, d in done.items() if not d]}"
    # What useradd --create-home and the system itself provide.
    (root / "var/lib/cstui").mkdir(parents=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "root").mkdir()
    edit = next(i for i, line in enumerate(here) if "# edit it" in line)
    run_shell("\n".join(here[: edit + 1]), root)
    # "edit it": the database's URL as the example writes it (PostgreSQL's trust here, no
    # password); the paths moved.
    database = database.replace("postgresql+psycopg://", "postgresql://", 1)
    env_file = root / "etc/cstui/cstui.env"
    assert (env_file.stat().st_mode & 0o777) == 0o600
    lines = root.moved(env_file.read_text(encoding="utf-8")).splitlines()
    assert sum(line.startswith("CSTUI_DB=") for line in lines) == 1
    lines = [f"CSTUI_DB={database}" if x.startswith("CSTUI_DB=") else x for x in lines]
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = run_shell("\n".join(here[edit + 1 :]), root)
    assert "agent sue (supervisor) added" in said and "agent alice (agent) added" in said
    start = next(i for i, line in enumerate(here) if line.startswith("cstui()"))
    end = next(i for i in range(start, len(here)) if here[i].rstrip().endswith("}"))
    return here[start : end + 1]


def docs_web_command() -> list[str]:
    """The browser console's command, as the docs give it."""
    [command] = re.findall(r"`(cstui --api \S+ web [^`]+)`", docs_systemd_text())
    return shlex.split(command)


def start_nginx(
    root: Root, upstream: str, web_port: int, password: str
) -> tuple[subprocess.Popen[bytes], int]:
    """deploy/nginx/cstui.conf filled in as the docs say (test_proxy's rendering: this
    test's ports and files), with sue's password; nginx serving it."""
    here = root / "nginx"
    here.mkdir()
    self_signed(here)
    htpasswd(here / "pw", "sue", password)
    http_port, https_port = free_port(), free_port()
    site = render(upstream, http_port, https_port, here)
    assert site.count("http://127.0.0.1:8000/") == 1  # the docs' web console port
    (here / "site.conf").write_text(
        site.replace("http://127.0.0.1:8000/", f"http://127.0.0.1:{web_port}/"), encoding="utf-8"
    )
    main = f"error_log {here}/error.log;\npid {here}/nginx.pid;\nevents {{}}\n"
    main += f"http {{\n  include {here}/site.conf;\n}}\n"
    if os.geteuid() == 0:  # its workers would be nobody, who may not read this test's files
        main = "user root;\n" + main
    (here / "nginx.conf").write_text(main, encoding="utf-8")
    assert NGINX is not None
    conf = ["-p", str(here), "-c", str(here / "nginx.conf")]
    check = subprocess.run([NGINX, "-t", *conf], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    return subprocess.Popen([NGINX, *conf, "-g", "daemon off;"]), https_port


def htpasswd(path: Path, user: str, password: str) -> None:
    """What `htpasswd -s` writes (a salted hash would do as well; nginx reads both)."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    path.write_text(f"{user}:{{SHA}}{digest}\n", encoding="utf-8")


def answers(url: str, **kwargs: Any) -> bool:
    try:
        return httpx.get(url, timeout=2, **kwargs).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    assert not MISSING, f"{MISSING} missing (.ci/run installs them)"
    root = Root(tmp_path_factory.mktemp("root"))
    (root / "path").mkdir()
    keys = root / "keys"
    keys.mkdir()
    for agent in ("alice", "sue"):
        keygen(keys / agent, agent)
    (root / "path/team_authorized_keys").write_text(
        (keys / "alice.pub").read_text() + (keys / "sue.pub").read_text(), encoding="utf-8"
    )
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_database(f"ops_{secrets.token_hex(4)}"))
        helper = follow_the_docs(root, database)
        api_port, ssh_port, web_port = free_port(), free_port(), free_port()
        ports = {"8787": api_port, "2222": ssh_port, "8000": web_port}
        # systemctl enable --now: both at once (Type=exec: After= waits for the exec only).
        serve = start_unit(root, "cstui-serve.service", ports)
        stack.callback(serve.stop)
        ssh = start_unit(root, "cstui-ssh-serve.service", ports)
        stack.callback(ssh.stop)
        # The proxy, its upstream as the docs fill it in (the unit's address, moved here).
        assert "`${CSTUI_API_UPSTREAM}` with `127.0.0.1:8787`" in docs_systemd_text()
        password = secrets.token_urlsafe(12)
        nginx, https_port = start_nginx(root, f"127.0.0.1:{api_port}", web_port, password)
        stack.callback(lambda: (nginx.terminate(), nginx.wait(10)))
        # Meanwhile: an admin to make tickets, and the tokens.
        docs_cstui(helper, root, "agents", "add", "ops", "--role", "admin")
        names = ("ops", "alice", "sue")
        with ThreadPoolExecutor(3) as pool:
            said = pool.map(
                lambda name: docs_cstui(helper, root, "agents", "token", name, "--json"), names
            )
            tokens = {name: json.loads(s)["token"] for name, s in zip(names, said, strict=True)}

        # The browser console, sue's, as the docs run it (a unit like cstui-serve's: its
        # environment file, and the token).
        public = f"https://{HOST}:{https_port}"
        argv = [root.moved(a.replace("https://HOST", public)) for a in docs_web_command()]
        argv = [a.replace("127.0.0.1:8787", f"127.0.0.1:{api_port}") for a in argv]
        argv = ports_moved([str(CSTUI), *argv[1:]], ports)
        serve_unit = read_unit(root / "etc/systemd/system/cstui-serve.service")
        env = {**service_environment(root, serve_unit), "CSTUI_TOKEN": tokens["sue"]}
        env.pop("PROMETHEUS_MULTIPROC_DIR")  # the server's own
        web = Service(argv, env, stop_seconds=20)
        stack.callback(web.stop)

        api = f"http://127.0.0.1:{api_port}"
        serve.wait_said(f"listening on {api}")
        ssh.wait_said(f"listening on 0.0.0.0:{ssh_port}")
        web.wait_said(f"http://127.0.0.1:{web_port}")
        proxy = f"https://127.0.0.1:{https_port}"
        context = ssl.create_default_context(cafile=str(root / "nginx/fullchain.pem"))
        for url, what in ((f"{api}/readyz", "the server"), (f"{proxy}/readyz", "nginx")):
            wait_for(lambda u=url: answers(u, verify=context), timeout=DEADLINE, what=what)
        web_page = f"http://127.0.0.1:{web_port}/"
        wait_for(lambda: answers(web_page), timeout=DEADLINE, what="cstui web")
        yield Deployment(
            root, proxy, api, public, ssh_port, web_port, tokens, serve, ssh, web, database,
            password, helper,
        )  # fmt: skip


# --- systemd's own reading of the units ---------------------------------------------------


UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def verify(tmp: Path, name: str, text: str) -> list[str]:
    """`systemd-analyze verify` of a unit with this text: what it complains of."""
    unit = tmp / name
    unit.write_text(text.replace("/opt/cstui/bin/cstui", str(CSTUI)), encoding="utf-8")
    result = subprocess.run(
        [ANALYZE or "systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [line for line in result.stderr.splitlines() if name in line]
    return complaints if result.returncode == 0 else [*complaints, result.stderr]


@pytest.mark.skipif(
    ANALYZE is None and os.environ.get("CI") != "true", reason="needs systemd-analyze"
)
def test_systemd_analyze_verifies_both_units(tmp_path: Path) -> None:
    assert [u.name for u in UNITS] == ["cstui-serve.service", "cstui-ssh-serve.service"]
    for unit in UNITS:
        assert verify(tmp_path, unit.name, unit.read_text(encoding="utf-8")) == []
    # It does complain, of what systemd would ignore: a misspelt setting, a bad value.
    serve = UNITS[0].read_text(encoding="utf-8")
    assert verify(tmp_path, "typo.service", serve.replace("KillSignal=", "KilSignal="))
    assert verify(tmp_path, "bad.service", serve.replace("Type=exec", "Type=exe"))


def test_the_environment_file_reads_the_same_in_sh_and_systemd() -> None:
    """The docs' `cstui` function reads it with sh, the units with systemd."""
    example = DEPLOY / "systemd/cstui.env.example"
    script = f'set -a && . "{example}" && env -0'
    result = subprocess.run(["sh", "-c", script], env={}, capture_output=True, text=True)
    shell = dict(v.split("=", 1) for v in result.stdout.split("\0") if v)
    systemd = read_env_file(example)
    assert systemd and {k: shell.get(k) for k in systemd} == systemd


# --- the deployment, checked as an operator does -----------------------------------------


def test_the_units_run_serve_with_two_workers_and_ssh_serve(deployment: Deployment) -> None:
    serve, ssh = deployment.serve, deployment.ssh
    assert serve.argv[1] == "serve" and options(serve.argv)["--workers"] == "2"
    assert ssh.argv[1] == "ssh-serve"
    workers = {pid for pid, _ in descendants(serve.proc.pid)}
    assert len(workers) >= 2, workers  # the two workers (and perhaps a resource tracker)
    # The host key is made once where the unit says, in the state directory, private.
    key = deployment.root / "var/lib/cstui/ssh_host_ed25519_key"
    assert key.is_file() and (key.stat().st_mode & 0o077) == 0
    # The store is the database of the environment file, the schema made by `cstui init`.
    listed = json.loads(deployment.cstui("agents", "list", "--json"))
    roles = {agent["name"]: agent["role"] for agent in listed["items"]}
    assert roles == {"alice": "agent", "sue": "supervisor", "ops": "admin"}


def test_the_api_through_the_proxy(deployment: Deployment) -> None:
    ticket = deployment.ticket()
    with deployment.client("alice") as alice:
        page = alice.get("/api/v1/tickets", params={"view": "unassigned"})
        assert page.status_code == 200, page.text
        assert ticket["id"] in [t["id"] for t in page.json()["items"]]
        one = alice.get(f"/api/v1/tickets/{ticket['id']}", headers={"X-Request-ID": "ops-1"})
        assert one.status_code == 200 and one.json()["subject"] == SUBJECT
        assert one.headers["x-request-id"] == "ops-1"
    with deployment.client() as nobody:
        assert nobody.get("/api/v1/tickets").status_code == 401

    # The server's log, JSON a line as journald gets it, names the request by that id.
    def logged() -> list[dict[str, Any]]:
        lines = [json.loads(x) for x in list(deployment.serve.stdout) if x.strip()]
        return [x for x in lines if x.get("request_id") == "ops-1"]

    [line] = wait_for(logged, timeout=DEADLINE, what="the request in the log")
    assert line["path"] == f"/api/v1/tickets/{ticket['id']}" and line["status"] == 200


ROUTE = "/api/v1/tickets/{ticket_id}"


def ticket_reads(text: str) -> float:
    """The latency histogram's count of successful ticket reads, from a scrape."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "cstui_http_request_duration_seconds_count"
                and sample.labels.get("route") == ROUTE
                and sample.labels.get("status") == "200"
            ):
                return sample.value
    return 0.0


def test_metrics_through_the_proxy_add_up_both_workers(deployment: Deployment) -> None:
    ticket = deployment.ticket()
    runtime = deployment.root / "run/cstui"  # the unit's PROMETHEUS_MULTIPROC_DIR
    with deployment.client() as prometheus:
        before = prometheus.get("/metrics")
    assert before.status_code == 200 and "cstui_store_up 1.0" in before.text
    assert 'cstui_queue_tickets{view="unassigned"}' in before.text
    counted = ticket_reads(before.text)
    alice = {"Authorization": f"Bearer {deployment.tokens['alice']}"}

    def read_once(_: int) -> int:
        # Straight to the server, a new connection each and several at once, so that each
        # worker takes some (nginx keeps its few connections to the server open, and those
        # may all be one worker's).
        url = f"{deployment.api}/api/v1/tickets/{ticket['id']}"
        return httpx.get(url, headers=alice, timeout=30).status_code

    sent: list[int] = []

    def both_workers_served() -> bool:
        with ThreadPoolExecutor(8) as pool:
            sent.extend(pool.map(read_once, range(16)))
        return len(list(runtime.glob("histogram_*.db"))) >= 2

    wait_for(both_workers_served, timeout=DEADLINE, what="requests served by both workers")
    assert set(sent) == {200}
    workers = {pid for pid, _ in descendants(deployment.serve.proc.pid)}
    writers = {int(f.stem.split("_")[1]) for f in runtime.glob("histogram_*.db")}
    assert writers <= workers, (writers, workers)
    # Whichever worker answers a scrape, it counts every worker's requests: through the
    # proxy, and each server's own (a new connection each).
    for _ in range(3):
        with deployment.client() as scrape:
            assert ticket_reads(scrape.get("/metrics").text) - counted == len(sent)
        direct = httpx.get(f"{deployment.api}/metrics", timeout=30)
        assert ticket_reads(direct.text) - counted == len(sent)


def test_metrics_are_refused_outside_the_allow_list(deployment: Deployment) -> None:
    context = ssl.create_default_context(cafile=str(deployment.cafile))
    transport = httpx.HTTPTransport(local_address="127.0.0.2", verify=context)
    with httpx.Client(transport=transport, timeout=30) as outside:
        assert outside.get(f"{deployment.proxy}/metrics").status_code == 403
        assert outside.get(f"{deployment.proxy}/readyz").status_code == 200


async def test_the_browser_console_through_the_proxy(deployment: Deployment) -> None:
    deployment.ticket()
    context = ssl.create_default_context(cafile=str(deployment.cafile))
    desk = f"{deployment.proxy}/desk/"
    async with aiohttp.ClientSession() as browser:
        async with browser.get(desk, ssl=context) as refused:
            assert refused.status == 401
        token = base64.b64encode(f"sue:{deployment.password}".encode()).decode()
        sue = {"Authorization": f"Basic {token}"}
        async with browser.get(desk, ssl=context, headers=sue) as page:
            assert page.status == 200
            text = await page.text()
        assert "cstui console · sue" in text
        assert f'data-session-websocket-url="wss://{HOST}:' in text
        assert f"{deployment.public}/desk/ws" in text.replace("wss://", "https://")
        # The page's websocket, through the proxy (the page's host is this machine here).
        url = f"wss://127.0.0.1:{deployment.proxy.rsplit(':', 1)[1]}/desk/ws?width=140&height=40"
        async with browser.ws_connect(url, ssl=context, headers=sue) as ws:
            screen = bytearray()
            deadline = time.monotonic() + DEADLINE
            while SUBJECT.encode() not in screen:
                assert time.monotonic() < deadline, f"no {SUBJECT} on {bytes(screen[-300:])!r}"
                message = await ws.receive(timeout=DEADLINE)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                screen.extend(message.data)
            assert b"sue" in screen


@contextlib.contextmanager
def terminal(root: Root, name: str, command: list[str], env: dict[str, str]) -> Iterator[Screen]:
    """`command` in a tmux session of its own (test_journey's Screen reads it)."""
    assert TMUX is not None
    conf = root / f"{name}.tmux.conf"
    conf.write_text("set -g remain-on-exit on\nset -s escape-time 0\n", encoding="utf-8")
    socket = root / f"{name}.tmux"
    subprocess.run(
        [TMUX, "-S", str(socket), "-f", str(conf), "-u", "new-session", "-d", "-s", "cs",
         "-x", "160", "-y", "45", shlex.join(command)],
        env=env, check=True, timeout=30,
    )  # fmt: skip
    try:
        yield Screen(TMUX, socket)
    finally:
        subprocess.run([TMUX, "-S", str(socket), "kill-server"], timeout=30, check=False)


def agents_machine(root: Root, name: str) -> dict[str, str]:
    """An agent's own machine: a home and data of its own, a terminal."""
    home = root / f"home/{name}"
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", SERVICE_PATH), "HOME": str(home), "LANG": "C.UTF-8"}
    env |= {"TERM": "xterm-256color", "CSTUI_DATA_DIR": str(home / "data")}
    env["CSTUI_CONFIG_FILE"] = str(home / "config.toml")
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def test_the_console_over_ssh_with_openssh(deployment: Deployment) -> None:
    deployment.ticket()
    root = deployment.root
    known = root / "home/alice/known_hosts"
    env = agents_machine(root, "alice")
    # The docs' `ssh -p 2222 alice@cs.example.com`, with alice's key and a fresh known_hosts.
    argv = ["ssh", "-F", "/dev/null", "-p", str(deployment.ssh_port)]
    argv += ["-i", str(root / "keys/alice")]
    argv += ["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]
    argv += ["-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={known}"]
    with terminal(root, "ssh", [*argv, "alice@127.0.0.1"], env) as screen:
        screen.wait_for(SUBJECT, "alice")
        screen.keys("q")
    deployment.ssh.wait_said("session for alice (agent)")
    # The host key it was shown is the one the unit's --host-key names.
    public = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(root / "var/lib/cstui/ssh_host_ed25519_key")],
        capture_output=True, text=True, check=True,
    ).stdout.split()[1]  # fmt: skip
    assert public in known.read_text(encoding="utf-8")


def test_the_console_through_the_proxy_from_an_agents_machine(deployment: Deployment) -> None:
    deployment.ticket()
    env = agents_machine(deployment.root, "alice-laptop")
    # The docs' `export CSTUI_API=https://cs.example.com CSTUI_TOKEN=…` then `cstui`; the
    # proxy's certificate is trusted as a company's own CA would be.
    env |= {"CSTUI_API": deployment.proxy, "CSTUI_TOKEN": deployment.tokens["alice"]}
    env["SSL_CERT_FILE"] = str(deployment.cafile)
    with terminal(deployment.root, "laptop", [str(CSTUI)], env) as screen:
        screen.wait_for(SUBJECT, "alice")
        screen.keys("q")


def test_zz_the_units_stop_within_their_timeout(deployment: Deployment) -> None:
    """Last: `systemctl stop`, as the units configure it (KillSignal, TimeoutStopSec)."""
    for service in (deployment.ssh, deployment.serve):
        took = service.stop()
        assert took <= service.stop_seconds, f"{service.argv[1]} had to be killed"
        # A clean stop for systemd: exit 0, or death by the SIGTERM it sent.
        assert service.proc.returncode in (0, -signal.SIGTERM), service.stderr[-5:]


# --- compose.yaml, held to the units (no docker here) ---------------------------------------


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))


def unit_argv(name: str) -> list[str]:
    [command] = setting(read_unit(DEPLOY / "systemd" / name), "ExecStart")
    return shlex.split(command)


def options(argv: list[str]) -> dict[str, str]:
    return {a: b for a, b in zip(argv, [*argv[1:], ""], strict=True) if a.startswith("--")}


def test_compose_runs_what_the_units_run() -> None:
    services = compose()["services"]
    for service, unit in (("serve", "cstui-serve.service"), ("ssh", "cstui-ssh-serve.service")):
        theirs, ours = services[service]["command"], unit_argv(unit)
        assert theirs[:2] == ["cstui", ours[1]], service
        mine, its = options(ours), options(theirs)
        assert set(its) == set(mine), service
        # In a container a service listens on all its addresses; the rest is the same.
        for option in set(mine) - {"--host", "--authorized-keys", "--host-key"}:
            assert its[option] == mine[option], (service, option)
        assert its.get("--authorized-keys") == mine.get("--authorized-keys")
    env_file = read_env_file(DEPLOY / "systemd/cstui.env.example")
    shared = services["serve"]["environment"]
    for key in ("CSTUI_SERVER__POOL_SIZE", "CSTUI_SERVER__POOL_OVERFLOW"):
        assert shared[key] == env_file[key]
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for key in ("CSTUI_DATA_DIR", "CSTUI_CONFIG_FILE"):
        assert f"{key}={env_file[key]}" in dockerfile
    # The proxy reaches what listens: the server's port, the browser console's.
    port = options(unit_argv("cstui-serve.service"))["--port"]
    assert services["proxy"]["environment"]["CSTUI_API_UPSTREAM"] == f"serve:{port}"
    assert options(services["web"]["command"])["--port"] == "8000"
    assert "proxy_pass http://127.0.0.1:8000/;" in (DEPLOY / "nginx/cstui.conf").read_text()
    ssh_port = options(unit_argv("cstui-ssh-serve.service"))["--port"]
    assert services["ssh"]["ports"] == [f"{ssh_port}:{ssh_port}"]


def test_compose_volumes_are_the_image_users_to_write() -> None:
    """A named volume is made root's unless the image has its mount point (then it copies
    the directory's owner): the cstui user must own each one a cstui service writes."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    home = re.search(r"useradd [^\n]*--home-dir (\S+)", dockerfile)
    assert home and "--create-home" in dockerfile and "USER cstui" in dockerfile
    made = {home.group(1)} | set(re.findall(r"install -d [^\n]*-o cstui [^\n]*?(/\S+)", dockerfile))
    named = set(compose()["volumes"])
    for name, service in compose()["services"].items():
        if service.get("image") != "cstui:local":
            continue
        for volume in service.get("volumes", []):
            source, target, *_ = volume.split(":")
            if source in named:
                assert target in made, f"{name}: {target} is not the cstui user's"
