#!/usr/bin/env python
"""Drives the real React frontend against this backend in headless Chromium and records what each page did.

    .venv/bin/python scripts/e2e_frontend.py --frontend /path/to/TECHNO-ETL [--auth oidc|login]

Steps, all bounded by --timeout and undone at the end (every process it starts runs in its own process
group and is stopped by that group's id):
1. `npm install --no-audit --no-fund --ignore-scripts` in the checkout (skip with --skip-install);
2. applies docs/frontend/: copies backendAuth.js to src/services/ and puts its import first in
   src/main.jsx (idempotent; the frontend's own source is otherwise untouched);
3. starts this backend with `manage.py up` (Gunicorn + the Magento sandbox, embedded SQLite data under
   --workdir) on --port, and Vite on --vite-port;
4. signs in: `oidc` mints an ID token from a local test issuer (RSA key made here, key set served on
   loopback) and hands it to Firebase as its persisted user, so the interceptor's
   `auth.currentUser.getIdToken()` path is the one exercised; `login` calls the backend's login route
   and stores the token under localStorage.adminToken (what the fixed magentoService.login stores);
5. waits for the first dashboard snapshot build (a fresh --workdir is a brand-new install: the charts
   answer 503 snapshot_pending until it ends; --no-snapshot-wait drives the pages at once instead);
6. opens every page by SPA navigation with the license/permission gates satisfied from a browser init
   script (the frontend reads them from Firebase Realtime Database, unreachable here), and records each
   backend call (method, path, status, whether it carried a bearer token), the console errors and one
   screenshot per page;
7. writes <out>/results.json and the screenshots, and prints the Markdown table of docs/frontend-e2e.md.

Not part of CI (CI has no frontend checkout); tests/tools/test_e2e_frontend.py covers its pure parts.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "docs" / "frontend" / "backendAuth.js"
MODULE_TARGET = Path("src") / "services" / "backendAuth.js"
MAIN_JSX = Path("src") / "main.jsx"
MARKER = "import './services/backendAuth.js';"
MAIN_LINES = (
    "// Sends Authorization: Bearer <token> on every backend call (docs/frontend/README.md of the backend).",
    "// Keep it the first import: other modules call axios.create() while they are being imported.",
    MARKER,
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 # Nothing leaves the machine: Firebase, Google APIs and CDNs fail fast as network errors.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
# Every route of the frontend's SimplifiedRouter (src/router/SimplifiedRouter.jsx) except /login and /.
PAGES = ("/dashboard", "/charts", "/products", "/orders", "/customers", "/inventory", "/mdmproducts",
         "/categories", "/stocks", "/sources", "/invoices", "/cms-pages", "/cegid-products", "/mdm-stock",
         "/grid-test", "/bug-bounty", "/license-management", "/profile", "/docs")
# Actions after the pages: on route, press the button whose accessible name starts with the label (then
# the next label's, "A>B"), and record the calls they make (the Dashboard's sync buttons).
ACTIONS = ("/dashboard::Sync Stocks", "/dashboard::Sync Prices>Start Sync")
OIDC_AUDIENCE = "techno-etl-e2e"
E2E_EMAIL = "e2e-admin@example.test"
E2E_UID = "e2e-admin-uid"
LOGIN_UID = "magento-user"  # the uid AuthContext gives a user signed in with a stored adminToken


# ---------------------------------------------------------------- patching the checkout (pure, unit-tested)

def patch_main_jsx(text: str) -> str:
    """main.jsx with the backendAuth import as its first import (unchanged when already there)."""
    if MARKER in text:
        return text
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    at = next((i for i, line in enumerate(lines) if line.lstrip().startswith("import ")), len(lines))
    block = [line + newline for line in MAIN_LINES] + [newline]
    return "".join(lines[:at] + block + lines[at:])


def apply_patch(frontend: Path, module: Path = MODULE) -> list[str]:
    """Copy the module and wire it into main.jsx; returns the files changed (empty when already applied)."""
    changed = []
    target = frontend / MODULE_TARGET
    if not target.exists() or target.read_bytes() != module.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, target)
        changed.append(str(MODULE_TARGET))
    main = frontend / MAIN_JSX
    text = main.read_bytes().decode("utf-8")  # bytes: keep the file's own line endings
    patched = patch_main_jsx(text)
    if patched != text:
        main.write_bytes(patched.encode("utf-8"))
        changed.append(str(MAIN_JSX))
    return changed


def firebase_api_key(frontend: Path) -> str:
    """The apiKey of the frontend's Firebase config: it names Firebase's persisted-user storage key."""
    text = (frontend / "src" / "config" / "firebase.js").read_text(encoding="utf-8")
    match = re.search(r"apiKey\s*:\s*[\"']([^\"']+)[\"']", text)
    if not match:
        raise SystemExit("no apiKey in src/config/firebase.js: cannot seed the Firebase user")
    return match.group(1)


def init_script(license_uid: str, *, firebase_key: str | None = None, firebase_user: dict | None = None,
                admin_token: str | None = None) -> str:
    """The browser init script: sign-in state and the license gate, set before the frontend's code runs.

    The license gate: LicenseManager.checkUserLicense(uid) first looks in its in-memory Map under
    `license_<uid>`; the entry is answered by wrapping Map.prototype.get for that one key, so the
    frontend's source stays as it is. PermissionService then allows every menu item for this role.
    The grid columns: UnifiedGrid shows no column until gridUtils.getGridSettings(grid) answers, which
    reads localStorage `<grid>-columns`, else Firebase Realtime Database (never answers offline); an
    empty saved setting (`{}`) is answered for those keys, so every grid keeps its own column definitions.
    """
    license_status = {"isValid": True, "level": "admin", "expiryDate": None, "features": [], "permissions": [],
                      "licenseType": "enterprise", "maxUsers": 100, "role": "super_admin"}
    parts = [
        "(() => {",
        f"  const KEY = {json.dumps('license_' + license_uid)};",
        f"  const LICENSE = {json.dumps(license_status)};",
        "  const get = Map.prototype.get;",
        "  Map.prototype.get = function (key) {",
        "    const value = get.call(this, key);",
        "    return value === undefined && key === KEY ? { data: LICENSE, timestamp: Date.now() } : value;",
        "  };",
        "  const getItem = Storage.prototype.getItem;",
        "  Storage.prototype.getItem = function (key) {",
        "    const value = getItem.call(this, key);",
        "    return value === null && typeof key === 'string' && key.endsWith('-columns') ? '{}' : value;",
        "  };",
    ]
    if firebase_user is not None:
        storage_key = f"firebase:authUser:{firebase_key}:[DEFAULT]"
        parts.append(f"  localStorage.setItem({json.dumps(storage_key)}, {json.dumps(json.dumps(firebase_user))});")
    if admin_token is not None:
        parts.append(f"  localStorage.setItem('adminToken', {json.dumps(admin_token)});")
    parts.append("})();")
    return "\n".join(parts)


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The page -> calls -> statuses -> rendered table of docs/frontend-e2e.md."""
    rows = ["| page | backend calls (method path: statuses) | bearer sent | console errors | rendered |",
            "|---|---|---|---|---|"]
    for page in results:
        grouped: dict[str, list[str]] = {}
        for call in page["calls"]:
            grouped.setdefault(f"{call['method']} {call['path']}", []).append(str(call["status"]))
        calls = "<br>".join(f"`{k}`: {', '.join(_counted(v))}" for k, v in grouped.items()) or "none"
        with_bearer = sum(1 for c in page["calls"] if c["bearer"])
        rendered = page["rendered"]
        summary = _cell(", ".join(f"{k} {v}" for k, v in rendered.items() if v and k != "text"))
        errors = page.get("console_error_count", len(page["console_errors"]))
        if page.get("clicked"):
            calls += f" (after clicking {page['clicked']})"
        rows.append(f"| `{page['page']}` | {calls} | {with_bearer}/{len(page['calls'])} | {errors} | "
                    f"{summary or 'nothing measurable'} |")
    return "\n".join(rows)


def _cell(text: str, limit: int = 160) -> str:
    """Text fit for one Markdown table cell: one line, no pipes, bounded."""
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counted(statuses: list[str]) -> list[str]:
    out: dict[str, int] = {}
    for status in statuses:
        out[status] = out.get(status, 0) + 1
    return [f"{s}×{n}" if n > 1 else s for s, n in out.items()]


# ---------------------------------------------------------------- the local OIDC test issuer

class TestIssuer:
    """An OIDC issuer on loopback: RSA key made here, discovery document and key set served over HTTP."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "e2e-" + secrets.token_hex(4)
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = issuer.document(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body or {}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": b64(numbers.n), "e": b64(numbers.e)}]}

    def document(self, path: str) -> dict[str, Any] | None:
        if path == "/.well-known/openid-configuration":
            return {"issuer": self.url, "jwks_uri": self.url + "/jwks.json",
                    "id_token_signing_alg_values_supported": ["RS256"]}
        if path == "/jwks.json":
            return self.jwks()
        return None

    def mint(self, *, email: str, uid: str, audience: str, lifetime: int = 3600) -> tuple[str, int]:
        """A signed ID token shaped like Firebase's, and its expiry (epoch seconds)."""
        import jwt

        now = int(time.time())
        claims = {"iss": self.url, "aud": audience, "sub": uid, "user_id": uid, "email": email,
                  "email_verified": True, "iat": now, "auth_time": now, "exp": now + lifetime,
                  "firebase": {"sign_in_provider": "google.com", "identities": {"email": [email]}}}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid}), now + lifetime

    def close(self) -> None:
        self.server.shutdown()


def firebase_user(token: str, expires_at: int, api_key: str) -> dict[str, Any]:
    """The JSON Firebase Auth persists for a signed-in user (UserImpl.toJSON), holding our ID token."""
    now_ms = str(int(time.time() * 1000))
    return {"uid": E2E_UID, "email": E2E_EMAIL, "emailVerified": True, "displayName": "E2E Admin",
            "isAnonymous": False, "providerData": [{"providerId": "google.com", "uid": E2E_UID,
                                                    "displayName": "E2E Admin", "email": E2E_EMAIL,
                                                    "phoneNumber": None, "photoURL": None}],
            "stsTokenManager": {"refreshToken": "e2e-no-refresh", "accessToken": token,
                                "expirationTime": expires_at * 1000},
            "createdAt": now_ms, "lastLoginAt": now_ms, "apiKey": api_key, "appName": "[DEFAULT]"}


# ---------------------------------------------------------------- processes

@dataclass
class Processes:
    """Processes started here, each in its own process group, stopped by group id at the end."""

    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
        handle = log.open("ab")
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.started.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for name, proc in reversed(self.started):
            if proc.poll() is not None:
                continue
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop on SIGTERM: SIGKILL", file=sys.stderr)
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group this script created for it (start_new_session)
    except ProcessLookupError:
        pass


def wait_http(url: str, deadline: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    import httpx

    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:  # ready (the probe answers 503 while starting)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what or url} did not answer in time")


# ---------------------------------------------------------------- the browser run

def drive(*, vite_url: str, script: str, pages: tuple[str, ...], out: Path, deadline: float,
          settle: float, page_timeout: float) -> list[dict[str, Any]]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    results: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    pending: set[Any] = set()
    backend_hosts = {urlsplit(vite_url).netloc, "localhost:5000", "127.0.0.1:5000"}

    def is_backend(request: Any) -> bool:
        parts = urlsplit(request.url)
        return parts.netloc in backend_hosts and parts.path.startswith("/api/")

    def on_request(request: Any) -> None:
        if urlsplit(request.url).netloc in backend_hosts:  # backend calls and Vite's module loads
            pending.add(request)

    def record(request: Any, status: Any) -> None:
        pending.discard(request)
        if not is_backend(request):
            return
        auth = request.headers.get("authorization", "")
        current.setdefault("calls", []).append({
            "method": request.method, "path": urlsplit(request.url).path, "query": urlsplit(request.url).query[:200],
            "status": status, "bearer": auth.startswith("Bearer ") and "[object" not in auth})

    def on_finished(request: Any) -> None:
        response = request.response()
        record(request, response.status if response else "no response")

    def open_page(context: Any, url: str) -> Any:
        page = context.new_page()
        page.on("request", on_request)
        page.on("requestfinished", on_finished)
        page.on("requestfailed", lambda r: record(r, f"failed ({r.failure})"))
        page.on("console", on_console)
        page.on("dialog", lambda dialog: dialog.accept())  # a confirm() before a sync: yes
        page.on("pageerror", lambda e: current.setdefault("console_errors", []).append(f"pageerror: {e}"[:300]))
        page.set_default_timeout(page_timeout * 1000)
        page.goto(url, wait_until="domcontentloaded")
        return page

    def on_console(message: Any) -> None:
        if message.type == "error":
            current.setdefault("console_errors", []).append(message.text[:300])

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(script)
        page = open_page(context, vite_url + (pages[0] if pages else "/dashboard"))
        first = True
        for path in pages:
            if time.monotonic() > deadline:
                print("time limit reached: pages left out", file=sys.stderr)
                break
            path, _, action = path.partition("::")
            current.clear()
            current.update(page=path + (f" → {action}" if action else ""), calls=[], console_errors=[])
            pending.clear()
            # A page that hangs the browser (no Playwright call returns) is cut by SIGALRM and recorded.
            signal.signal(signal.SIGALRM, _page_hung)
            signal.alarm(max(1, int(min(page_timeout * 2 + 30, deadline - time.monotonic()))))
            try:
                if page is None:  # the previous page hung its tab: this one gets a fresh tab
                    page = open_page(context, vite_url + path)
                elif not first and urlsplit(page.url).path != path:
                    page.evaluate(SPA_NAVIGATE, path)
                first = False
                _settle(page, pending, settle=settle, limit=min(page_timeout, deadline - time.monotonic()))
                if action:  # only the calls the buttons make ("A>B": press A, then B, e.g. in A's dialog)
                    current["calls"], current["console_errors"] = [], []
                    for label in action.split(">"):
                        page.get_by_role("button", name=re.compile("^" + re.escape(label), re.I)).last.click()
                        _settle(page, pending, settle=settle, limit=min(page_timeout, deadline - time.monotonic()))
                    current["clicked"] = action.replace(">", " then ")
                elif not current["calls"] and _click_refresh(page):
                    # Some grids load nothing until asked (no fetch on mount): press their Refresh button once.
                    current["clicked"] = "Refresh"
                    _settle(page, pending, settle=settle, limit=min(page_timeout, deadline - time.monotonic()))
                current["rendered"] = _rendered(page)
                current["url"] = page.url
                name = "-".join(filter(None, (path.strip("/").replace("/", "_") or "root",
                                              action.split(">")[0].replace(" ", "-"))))
                shot = out / f"{name}.png"
                _screenshot(page, shot)
                current["screenshot"] = shot.name
            except (PageHung, PlaywrightError) as exc:
                current.setdefault("rendered", {})["error"] = f"{type(exc).__name__}: {exc}"[:200]
                signal.alarm(20)
                try:
                    if page is not None:
                        page.close()  # ends a renderer stuck in a loop
                except (PageHung, PlaywrightError):
                    pass
                page = None
            finally:
                signal.alarm(0)
            current["console_error_count"] = len(current["console_errors"])
            current["console_errors"] = _distinct(current["console_errors"])
            results.append(dict(current))
            print(f"{path}: {len(current['calls'])} calls, {current['console_error_count']} console errors",
                  file=sys.stderr)
        browser.close()
    return results


def _settle(page: Any, pending: set, *, settle: float, limit: float) -> None:
    """Wait until, for `settle` seconds, no request is pending and no spinner shows (at most `limit` s)."""
    end = time.monotonic() + max(limit, 1)
    quiet_since = time.monotonic()
    page.wait_for_timeout(1000)
    while time.monotonic() < end:
        if pending or page.locator(".MuiCircularProgress-root:visible").count():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            return
        page.wait_for_timeout(250)


def _click_refresh(page: Any) -> bool:
    button = page.get_by_role("button", name=re.compile(r"^refresh", re.I))
    if not button.count() or not button.first.is_enabled():
        return False
    button.first.click(timeout=5000)
    return True


class PageHung(Exception):
    """A page kept the browser from answering within its time budget."""


def _page_hung(*_: Any) -> None:
    raise PageHung("no answer from the browser within the page's time budget")


SPA_NAVIGATE = "p => { history.pushState({}, '', p); window.dispatchEvent(new PopStateEvent('popstate')); }"
RENDER_PROBE = """() => {
  const count = s => document.querySelectorAll(s).length;
  const text = s => Array.from(document.querySelectorAll(s)).map(e => e.innerText.trim()).filter(Boolean);
  const main = document.querySelector('main') || document.body;
  return {
    'grid rows': count('.MuiDataGrid-row'),
    'grid columns': count('.MuiDataGrid-columnHeader'),
    'charts': count('.recharts-surface'),
    'cards': count('.MuiCard-root'),
    'alerts': text('.MuiAlert-message').slice(0, 3).join(' / ').slice(0, 200),
    'spinners': count('.MuiCircularProgress-root'),
    'denied': /access denied|not authori[sz]ed|permission/i.test(main.innerText) ? 'access text' : '',
    'text': main.innerText.slice(0, 240),
  };
}"""


def _distinct(messages: list[str], keep: int = 15) -> list[str]:
    """Console errors once each with their count (React repeats a warning per row), at most `keep` kinds."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return [f"{n}× {m}" if n > 1 else m for m, n in list(counts.items())[:keep]]


def _rendered(page: Any) -> dict[str, Any]:
    try:
        return page.evaluate(RENDER_PROBE)
    except Exception as exc:  # noqa: BLE001 -- a page that crashed the probe is itself the finding
        return {"probe error": str(exc)[:200]}


def _screenshot(page: Any, target: Path) -> None:
    """A small PNG (half size, 64 colours): the screenshots are kept in git."""
    from PIL import Image

    raw = page.screenshot(full_page=False)
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    image = image.resize((image.width // 2, image.height // 2), Image.LANCZOS)
    image.quantize(colors=64).save(target, optimize=True)


# ---------------------------------------------------------------- main

def backend_env(args: argparse.Namespace, workdir: Path) -> tuple[dict[str, str], str]:
    """Environment of `manage.py up` (embedded data under workdir, fresh secrets of this run only) and the
    admin API token it accepts (the script's own operator calls; the browser signs in as a user)."""
    from app.security import hash_token

    # Set so that `up` neither prints nor stores a development admin token: this run signs in as a user.
    api_token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_OIDC_", "MAGENTO_", "LOGIN_"))}
    env.pop("REDIS_URL", None)
    env.update(APP_ENV="development", PORT=str(args.port), HOST="127.0.0.1", SANDBOX_PORT=str(args.sandbox_port),
               SECRET_KEY=secrets.token_urlsafe(48), API_TOKENS=f"admin:{hash_token(api_token)}",
               RUN_DIR=str(workdir / "run"), LOG_DIR=str(workdir / "logs"), WEB_CONCURRENCY="2",
               MDM_DATABASE_URL=f"sqlite:///{workdir / 'mdm.sqlite3'}",
               APP_DATABASE_URL=f"sqlite:///{workdir / 'app.sqlite3'}",
               LOGIN_ROLES="admin:admin", AUTO_SEED="true", PYTHONUNBUFFERED="1")
    return env, api_token


def wait_for_snapshots(backend_url: str, token: str, deadline: float) -> float:
    """Seconds until every dashboard snapshot is ready (docs/dashboards.md): what an operator of a new
    install waits before the charts fill in. Raises SystemExit if the build fails or time runs out."""
    import httpx

    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            body = httpx.get(backend_url + "/api/dashboard/snapshots", timeout=5,
                             headers={"Authorization": f"Bearer {token}"}).json()["data"]
        except (httpx.HTTPError, ValueError, KeyError):
            body = {}
        if body.get("datasets") and all(d["status"] == "ready" for d in body["datasets"]):
            return time.monotonic() - started
        job = body.get("lastJob") or {}
        if job.get("status") == "failed":
            raise SystemExit(f"the first snapshot build failed: {job.get('message')}")
        time.sleep(1.0)
    raise SystemExit("the first snapshot build did not end in time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frontend", required=True, type=Path, help="checkout of mounirtms/TECHNO-ETL")
    parser.add_argument("--auth", choices=("oidc", "login"), default="oidc")
    parser.add_argument("--port", type=int, default=5000, help="backend port (the frontend hard-codes 5000)")
    parser.add_argument("--vite-port", type=int, default=3000)
    parser.add_argument("--sandbox-port", type=int, default=8130)
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "e2e",
                        help="backend data, logs and run files (kept between runs: seeding happens once)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "frontend-e2e")
    parser.add_argument("--pages", default=",".join(PAGES + ACTIONS),
                        help="comma-separated routes; route::Label presses that button there")
    parser.add_argument("--timeout", type=float, default=1200, help="overall limit in seconds")
    parser.add_argument("--settle", type=float, default=3.0, help="quiet seconds that end a page")
    parser.add_argument("--page-timeout", type=float, default=40.0)
    parser.add_argument("--skip-install", action="store_true")
    parser.add_argument("--no-snapshot-wait", action="store_true",
                        help="drive the pages before the first snapshot build ends (charts: 503 snapshot_pending)")
    args = parser.parse_args(argv)

    started_at = time.monotonic()
    deadline = started_at + args.timeout
    frontend = args.frontend.resolve()
    if not (frontend / "package.json").exists() or not (frontend / MAIN_JSX).exists():
        raise SystemExit(f"{frontend} is not a TECHNO-ETL frontend checkout (no package.json / src/main.jsx)")
    sys.path.insert(0, str(ROOT))
    workdir = args.workdir.resolve()
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)

    if not args.skip_install:
        print("npm install ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=frontend, check=True,
                       timeout=max(deadline - time.monotonic(), 1), stdout=subprocess.DEVNULL)
    print("patched:", apply_patch(frontend) or "already applied", file=sys.stderr)

    procs = Processes()
    issuer = None
    # SIGTERM/SIGINT/alarm all end in the finally below, which stops every group started here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("time limit reached"))
    signal.alarm(int(args.timeout) + 60)
    try:
        env, api_token = backend_env(args, workdir)
        if args.auth == "oidc":
            issuer = TestIssuer()
            env.update(AUTH_OIDC_ISSUER=issuer.url, AUTH_OIDC_AUDIENCE=OIDC_AUDIENCE,
                       AUTH_OIDC_JWKS_URL=issuer.url + "/jwks.json", AUTH_OIDC_ROLES=f"{E2E_EMAIL}:admin")
        backend = procs.start("backend", [sys.executable, "manage.py", "up"], cwd=ROOT, env=env,
                              log=workdir / "logs" / "up.log")
        vite_env = dict(os.environ, BROWSER="none")
        vite_argv = ["npx", "vite", "--port", str(args.vite_port), "--strictPort", "--host", "localhost"]
        vite = procs.start("vite", vite_argv, cwd=frontend, env=vite_env, log=workdir / "logs" / "vite.log")
        backend_url = f"http://127.0.0.1:{args.port}"
        vite_url = f"http://localhost:{args.vite_port}"
        wait_http(backend_url + "/api/health/ready", min(deadline, time.monotonic() + 600), backend, "the backend")
        wait_http(vite_url + "/", min(deadline, time.monotonic() + 180), vite, "vite")
        snapshots_s = None
        if not args.no_snapshot_wait:
            snapshots_s = round(wait_for_snapshots(backend_url, api_token, min(deadline, time.monotonic() + 900)), 1)
            print(f"dashboard snapshots ready {snapshots_s} s after the backend answered", file=sys.stderr)

        if args.auth == "oidc":
            token, expires = issuer.mint(email=E2E_EMAIL, uid=E2E_UID, audience=OIDC_AUDIENCE)
            script = init_script(E2E_UID, firebase_key=firebase_api_key(frontend),
                                 firebase_user=firebase_user(token, expires, firebase_api_key(frontend)))
        else:
            import httpx

            # The frontend's own login call, through Vite's proxy; the answer is a bare JSON string.
            reply = httpx.post(vite_url + "/api/magento/integration/admin/token",
                               json={"username": "admin", "password": env.get("SANDBOX_ADMIN_PASSWORD", "sandbox123")},
                               timeout=30)
            reply.raise_for_status()
            script = init_script(LOGIN_UID, admin_token=reply.json())

        pages = tuple(p for p in args.pages.split(",") if p)
        results = drive(vite_url=vite_url, script=script, pages=pages, out=args.out, deadline=deadline,
                        settle=args.settle, page_timeout=args.page_timeout)
        summary = {"auth": args.auth, "frontend": str(frontend), "frontend_head": _git_head(frontend),
                   "seconds": round(time.monotonic() - started_at, 1), "snapshots_ready_s": snapshots_s,
                   "pages": results}
        (args.out / "results.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
        print(markdown_table(results))
        return 0
    finally:
        signal.alarm(0)
        procs.stop_all()
        if issuer is not None:
            issuer.close()


def _git_head(path: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
