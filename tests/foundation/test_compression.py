"""Response compression: brotli at the configured quality, gzip for clients without it, small bodies as they are."""
from __future__ import annotations

import gzip
import json

import brotli

from app.factory import BROTLI_QUALITY


def test_large_json_is_brotli_compressed_at_the_configured_quality(client, auth):
    plain = client.get("/api/openapi.json", headers=auth("viewer"))
    assert plain.status_code == 200 and len(plain.data) > 1024 and "Content-Encoding" not in plain.headers
    packed = client.get("/api/openapi.json", headers={**auth("viewer"), "Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(packed.data)) == plain.json
    assert packed.data == brotli.compress(plain.data, quality=BROTLI_QUALITY)


def test_gzip_for_clients_without_brotli_and_small_bodies_stay_plain(client, auth):
    packed = client.get("/api/openapi.json", headers={**auth("viewer"), "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data))["openapi"]
    small = client.get("/api/test", headers={**auth("viewer"), "Accept-Encoding": "br, gzip"})
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
