"""Product media gallery: create (content validated like ImageContentValidator), list, get, delete."""
from __future__ import annotations

import base64
import binascii
import re

from .. import errors
from ..errors import MagentoError
from ..inputs import as_bool, as_int, as_str, require
from ..router import Router
from ..sandbox import Ctx
from ..state import set_custom_attribute

RESOURCE = "Magento_Catalog::catalog"
ALLOWED_MIME = {"image/jpg", "image/jpeg", "image/gif", "image/png"}
_NAME_OK = re.compile(r'^[^\\/?*:";<>()|{}]+$')
BAD_BASE64 = "The image content must be valid base64 encoded data."
BAD_MIME = "The image MIME type is not valid or not supported."
BAD_NAME = "Provided image name contains forbidden characters."
ROLE_TYPES = ("image", "small_image", "thumbnail", "swatch_image")


def sniff_mime(data: bytes) -> str | None:
    """What getimagesizefromstring() would report, for the formats that matter here."""
    if data[:3] == b"\xff\xd8\xff" and len(data) > 4:
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:2] == b"BM" and len(data) > 26:
        return "image/bmp"
    return None


def _validate_content(content: object) -> tuple[bytes, str, str]:
    if not isinstance(content, dict):
        raise MagentoError(400, "The image content is invalid. Verify the content and try again.")
    try:
        raw = base64.b64decode(str(content.get("base64_encoded_data") or ""), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        raise MagentoError(400, BAD_BASE64)
    mime = sniff_mime(raw)
    if mime is None:
        raise MagentoError(400, BAD_BASE64)  # getimagesizefromstring() failed: same message in Magento
    declared = as_str(content.get("type")) or ""
    if mime != declared or mime not in ALLOWED_MIME:
        raise MagentoError(400, BAD_MIME)
    name = as_str(content.get("name")) or ""
    if not _NAME_OK.match(name):
        raise MagentoError(400, BAD_NAME)
    return raw, mime, name


def _file_path(existing: list[dict], name: str, mime: str) -> str:
    stem = re.sub(r"[^a-z0-9_.-]", "_", name.lower())
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}.get(mime, "jpg")
    if "." not in stem:
        stem = f"{stem}.{ext}"
    base, _, suffix = stem.rpartition(".")
    files = {e.get("file") for e in existing}
    candidate, n = f"/{stem[0]}/{stem[1] if len(stem) > 1 else '_'}/{stem}", 0
    while candidate in files:  # Magento renames duplicates name_1.jpg, name_2.jpg, ...
        n += 1
        candidate = f"/{stem[0]}/{stem[1] if len(stem) > 1 else '_'}/{base}_{n}.{suffix}"
    return candidate


def create_entry(ctx: Ctx, sku: str) -> str:
    require(ctx.body, "entry")
    entry = ctx.body["entry"]
    if not isinstance(entry, dict):
        raise errors.invalid_type(entry, "Magento\\Catalog\\Api\\Data\\ProductAttributeMediaGalleryEntryInterface")
    # Content is validated before the product is loaded (GalleryManagement::create).
    _raw, mime, name = _validate_content(entry.get("content"))
    types = [as_str(t) for t in (entry.get("types") or [])]
    with ctx.state.lock:
        product = ctx.state.get_product(sku)
        if product is None:
            raise errors.product_not_found()
        gallery = product["media_gallery_entries"]
        entry_id = ctx.state.next_media_id
        ctx.state.next_media_id += 1
        stored = {
            "id": entry_id, "media_type": as_str(entry.get("media_type")) or "image",
            "label": as_str(entry.get("label")) or "", "position": as_int(entry.get("position")) or 0,
            "disabled": bool(as_bool(entry.get("disabled"))), "types": types,
            "file": _file_path(gallery, name, mime),
        }
        for other in gallery:  # a role (image, thumbnail...) belongs to one entry only
            other["types"] = [t for t in other["types"] if t not in types]
        gallery.append(stored)
        for role in types:
            if role in ROLE_TYPES:
                set_custom_attribute(product, role, stored["file"])
    # The REST layer renders the new id as a JSON string ("3418").
    return str(entry_id)


def list_entries(ctx: Ctx, sku: str) -> list:
    with ctx.state.lock:
        product = ctx.state.get_product(sku)
        if product is None:
            raise errors.product_not_found()
        return [dict(e) for e in product["media_gallery_entries"]]


def get_entry(ctx: Ctx, sku: str, entryId: str) -> dict:
    for entry in list_entries(ctx, sku):
        if str(entry["id"]) == entryId:
            return entry
    raise MagentoError(404, "The image doesn't exist. Verify and try again.")


def delete_entry(ctx: Ctx, sku: str, entryId: str) -> bool:
    with ctx.state.lock:
        product = ctx.state.get_product(sku)
        if product is None:
            raise errors.product_not_found()
        before = len(product["media_gallery_entries"])
        product["media_gallery_entries"] = [e for e in product["media_gallery_entries"] if str(e["id"]) != entryId]
        if len(product["media_gallery_entries"]) == before:
            raise MagentoError(404, "No image with the provided ID was found. Verify the ID and try again.")
    return True


def register(sync: Router, bulk: Router) -> None:
    sync.add("POST", "V1/products/:sku/media", RESOURCE)(create_entry)
    sync.add("GET", "V1/products/:sku/media", RESOURCE)(list_entries)
    sync.add("GET", "V1/products/:sku/media/:entryId", RESOURCE)(get_entry)
    sync.add("DELETE", "V1/products/:sku/media/:entryId", RESOURCE)(delete_entry)
