"""The pure parts of scripts/e2e_frontend.py: patching a frontend checkout, the init script, the table.

The script itself needs a checkout of the real frontend and is not run in CI; these keep it from rotting.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def e2e():
    spec = importlib.util.spec_from_file_location("e2e_frontend", ROOT / "scripts" / "e2e_frontend.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FAKE_MAIN = """/**
 * entry point
 */

import React from 'react';
import App from './App.jsx';

createRoot(document.getElementById('root')).render(App);
"""


def test_patch_puts_the_three_lines_before_the_first_import(e2e):
    patched = e2e.patch_main_jsx(FAKE_MAIN)
    lines = patched.splitlines()
    first_import = next(i for i, line in enumerate(lines) if line.startswith("import "))
    assert lines[first_import] == "import './services/backendAuth.js';"
    assert lines[first_import - 2:first_import + 1] == list(e2e.MAIN_LINES)
    assert lines[first_import + 2] == "import React from 'react';"
    assert patched.startswith("/**\n * entry point")
    assert patched.count("backendAuth") == 1
    assert e2e.patch_main_jsx(patched) == patched  # idempotent


def test_patch_keeps_crlf_line_endings(e2e):
    patched = e2e.patch_main_jsx(FAKE_MAIN.replace("\n", "\r\n"))
    assert "\r\n" + e2e.MARKER + "\r\n" in patched
    assert "\n" not in patched.replace("\r\n", "")


def test_apply_patch_on_a_fake_checkout_is_idempotent(e2e, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.jsx").write_text(FAKE_MAIN)
    assert e2e.apply_patch(tmp_path) == ["src/services/backendAuth.js", "src/main.jsx"]
    assert (tmp_path / "src" / "services" / "backendAuth.js").read_bytes() == e2e.MODULE.read_bytes()
    assert e2e.MARKER in (tmp_path / "src" / "main.jsx").read_text()
    assert e2e.apply_patch(tmp_path) == []
    (tmp_path / "src" / "services" / "backendAuth.js").write_text("// an older copy")
    assert e2e.apply_patch(tmp_path) == ["src/services/backendAuth.js"]


def test_the_readme_shows_the_lines_the_script_inserts(e2e):
    readme = (ROOT / "docs" / "frontend" / "README.md").read_text()
    assert "\n".join(e2e.MAIN_LINES) in readme
    module = e2e.MODULE.read_text()
    # The module lives in src/services/ of the frontend and takes Firebase's auth from src/config/firebase.js.
    assert "from '../config/firebase'" in module and "getIdToken()" in module


def test_firebase_api_key_is_read_from_the_checkout(e2e, tmp_path):
    (tmp_path / "src" / "config").mkdir(parents=True)
    (tmp_path / "src" / "config" / "firebase.js").write_text('const c = {\n    apiKey: "AIzaTest-123",\n};')
    assert e2e.firebase_api_key(tmp_path) == "AIzaTest-123"
    (tmp_path / "src" / "config" / "firebase.js").write_text("const c = {};")
    with pytest.raises(SystemExit):
        e2e.firebase_api_key(tmp_path)


def test_init_script_seeds_the_license_entry_and_the_sign_in_state(e2e):
    user = e2e.firebase_user("header.payload.sig", 2_000_000_000, "KEY")
    script = e2e.init_script("uid-1", firebase_key="KEY", firebase_user=user, admin_token="tok'\"</script>")
    assert '"license_uid-1"' in script
    assert 'localStorage.setItem("firebase:authUser:KEY:[DEFAULT]", ' in script
    stored = script.split('localStorage.setItem("firebase:authUser:KEY:[DEFAULT]", ')[1].split(");\n")[0]
    persisted = json.loads(json.loads(stored))
    assert persisted["stsTokenManager"] == {"refreshToken": "e2e-no-refresh", "accessToken": "header.payload.sig",
                                            "expirationTime": 2_000_000_000_000}
    assert persisted["emailVerified"] is True and persisted["isAnonymous"] is False
    assert "localStorage.setItem('adminToken', " + json.dumps("tok'\"</script>") + ");" in script
    assert "adminToken" not in e2e.init_script("uid-2")


def test_markdown_table_groups_calls_and_keeps_cells_on_one_line(e2e):
    results = [{"page": "/x", "console_errors": ["a"], "console_error_count": 3,
                "calls": [{"method": "GET", "path": "/api/a", "status": 200, "bearer": True},
                          {"method": "GET", "path": "/api/a", "status": 200, "bearer": True},
                          {"method": "POST", "path": "/api/b", "status": 401, "bearer": False}],
                "rendered": {"grid rows": 25, "charts": 0, "alerts": "line one\nline | two", "text": "ignored"}}]
    table = e2e.markdown_table(results).splitlines()
    assert len(table) == 3
    assert table[2] == ("| `/x` | `GET /api/a`: 200×2<br>`POST /api/b`: 401 | 2/3 | 3 | "
                        "grid rows 25, alerts line one line / two |")


def test_apply_patch_keeps_a_crlf_main_jsx_crlf(e2e, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.jsx").write_bytes(FAKE_MAIN.replace("\n", "\r\n").encode())
    e2e.apply_patch(tmp_path)
    raw = (tmp_path / "src" / "main.jsx").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and e2e.MARKER.encode() in raw


def test_actions_name_routes_that_are_driven(e2e):
    for spec in e2e.ACTIONS:
        route, _, label = spec.partition("::")
        assert route in e2e.PAGES and all(part.strip() == part and part for part in label.split(">"))
