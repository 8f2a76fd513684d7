"""docs/frontend/backendAuth.js in Chromium: one interceptor per axios instance, the right token, the right calls.

The module is served as the frontend would hold it (src/services/backendAuth.js next to src/config/firebase)
with stand-ins for axios (request interceptors applied last-registered-first, like axios) and for
Firebase's `auth`, so the test needs no npm checkout. The real axios and Firebase are exercised by
scripts/e2e_frontend.py against the real frontend (docs/frontend-e2e.md).
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.ops.test_ops_page import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]

FAKE_AXIOS = """
function makeInstance(defaults = {}) {
  const handlers = [];
  const instance = { defaults };
  instance.interceptors = { request: { handlers, use(fn) { handlers.push(fn); return handlers.length - 1; } } };
  // Like axios: the config is merged with the defaults, interceptors run last-registered-first.
  instance.request = async (config) => {
    let merged = { ...defaults, ...config, headers: { ...(defaults.headers || {}), ...(config.headers || {}) } };
    for (const handler of [...handlers].reverse()) merged = await handler(merged);
    return merged;
  };
  instance.create = (config) => makeInstance({ ...defaults, ...config });
  return instance;
}
export default makeInstance();
"""
FAKE_FIREBASE = "export const auth = { currentUser: null, authStateReady: async () => {} };\n"
PAGE = """<!doctype html><html><head>
<script type="importmap">{"imports": {"axios": "/axios.js"}}</script>
<script type="module">
import axios from 'axios';
import { auth } from '/src/config/firebase';
import { installBackendAuth } from '/src/services/backendAuth.js';
import '/src/services/backendAuth.js';
installBackendAuth();                                   // twice more: still one interceptor
const auth_of = async (instance, config) => (await instance.request(config)).headers.Authorization || null;
window.scenario = async () => {
  const out = {};
  const magento = axios.create({ baseURL: '/api/magento', headers: { Authorization: 'Bearer [object Object]' } });
  const absolute = axios.create({ baseURL: 'http://localhost:5000/api' });
  const nested = magento.create({ baseURL: '/api/mdm' });
  const shop = axios.create({ baseURL: 'https://shop.example/rest/V1' });
  out.handlers = [axios, magento, absolute, nested, shop].map(i => i.interceptors.request.handlers.length);
  localStorage.clear();
  out.none = await auth_of(axios, { url: '/api/mdm/inventory' });
  localStorage.setItem('adminToken', '[object Object]');
  out.objectStored = await auth_of(axios, { url: '/api/mdm/inventory' });
  localStorage.setItem('adminToken', 'login-token');
  out.loginGlobal = await auth_of(axios, { url: '/api/mdm/inventory' });
  out.loginMagento = await auth_of(magento, { url: '/products' });
  out.loginAbsolute = await auth_of(absolute, { url: '/mdm/prices' });
  out.loginNested = await auth_of(nested, { url: 'sources' });
  out.loginShop = await auth_of(shop, { url: '/products' });
  out.loginOtherOrigin = await auth_of(axios, { url: 'https://cdn.example/x.json' });
  auth.currentUser = { getIdToken: async () => 'firebase-id-token' };
  out.firebase = await auth_of(magento, { url: '/products' });
  out.firebaseShop = await auth_of(shop, { url: '/products' });
  auth.currentUser = { getIdToken: async () => { throw new Error('network'); } };
  out.firebaseFails = await auth_of(axios, { url: '/api/x' });
  return out;
};
window.ready = true;
</script></head><body></body></html>
"""


@pytest.fixture()
def frontend_site():
    files = {"/index.html": PAGE, "/axios.js": FAKE_AXIOS, "/src/config/firebase": FAKE_FIREBASE,
             "/src/services/backendAuth.js": (ROOT / "docs" / "frontend" / "backendAuth.js").read_text()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html" if self.path.endswith(".html") else "text/javascript")
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_backend_auth_module_sends_the_right_bearer_to_backend_calls_only(chromium, frontend_site):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(frontend_site + "/index.html")
            page.wait_for_function("window.ready === true", timeout=15000)
            out = page.evaluate("window.scenario()")
        finally:
            browser.close()
    assert not errors
    assert out["handlers"] == [1, 1, 1, 1, 1]  # one interceptor each, however often installed
    assert out["none"] is None and out["objectStored"] is None
    assert out["loginGlobal"] == out["loginMagento"] == out["loginNested"] == "Bearer login-token"
    assert out["loginAbsolute"] == "Bearer login-token"  # the hard-coded http://localhost:5000
    assert out["loginShop"] is None and out["loginOtherOrigin"] is None  # never to a third party
    assert out["firebase"] == "Bearer firebase-id-token"  # Firebase first, over a caller's [object Object]
    assert out["firebaseShop"] is None
    assert out["firebaseFails"] == "Bearer login-token"  # no ID token: the stored login token
