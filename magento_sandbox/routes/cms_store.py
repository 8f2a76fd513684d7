"""CMS pages and blocks (search, get, create, update, delete) and store configuration reads."""
from __future__ import annotations

import copy
from typing import Any

from .. import errors, search
from ..errors import MagentoError
from ..inputs import as_bool, as_int, as_str, reject_unknown, require
from ..router import Router
from ..sandbox import Ctx
from ..state import now_str

PAGE_RESOURCE = "Magento_Cms::page"
BLOCK_RESOURCE = "Magento_Cms::block"
STORE_RESOURCE = "Magento_Backend::stores"
PAGE_FIELDS = frozenset({
    "id", "identifier", "title", "page_layout", "meta_title", "meta_keywords", "meta_description",
    "content_heading", "content", "creation_time", "update_time", "sort_order", "layout_update_xml",
    "custom_theme", "custom_root_template", "custom_layout_update_xml", "custom_theme_from", "custom_theme_to",
    "active", "is_active", "store_id",
})
BLOCK_FIELDS = frozenset({"id", "identifier", "title", "content", "creation_time", "update_time", "active",
                          "is_active", "store_id"})


class _CmsKind:
    def __init__(self, attr: str, param: str, label: str, fields: frozenset[str]) -> None:
        self.attr, self.param, self.label, self.fields = attr, param, label, fields

    def rows(self, ctx: Ctx) -> dict[int, dict]:
        return getattr(ctx.state, self.attr)

    def not_found(self, entity_id: Any) -> MagentoError:
        return MagentoError(404, f'The CMS {self.label} with the "%1" ID doesn\'t exist.', [str(entity_id)])


PAGES = _CmsKind("cms_pages", "page", "page", PAGE_FIELDS)
BLOCKS = _CmsKind("cms_blocks", "block", "block", BLOCK_FIELDS)


def _search(kind: _CmsKind, ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [copy.deepcopy(r) for _, r in sorted(kind.rows(ctx).items())]
    # is_active is the column name Magento filters on; `active` is the DTO's name for it.
    return search.apply(rows, crit, lambda r, f: r.get("active") if f == "is_active" else r.get(f))


def _get(kind: _CmsKind, ctx: Ctx, entity_id: str) -> dict:
    with ctx.state.lock:
        row = kind.rows(ctx).get(as_int(entity_id))
        if row is None:
            raise kind.not_found(entity_id)
        return copy.deepcopy(row)


def _save(kind: _CmsKind, ctx: Ctx, entity_id: str | None = None) -> dict:
    require(ctx.body, kind.param)
    data = ctx.body[kind.param]
    if not isinstance(data, dict):
        raise errors.invalid_type(data, f"Magento\\Cms\\Api\\Data\\{kind.label.capitalize()}Interface")
    reject_unknown(data, kind.fields)
    with ctx.state.lock:
        rows = kind.rows(ctx)
        target_id = as_int(entity_id) if entity_id is not None else as_int(data.get("id"))
        existing = rows.get(target_id) if target_id is not None else None
        if entity_id is not None and existing is None:
            raise kind.not_found(entity_id)
        identifier = as_str(data.get("identifier")) or (existing or {}).get("identifier")
        if not identifier:
            raise MagentoError(400, f"Could not save the {kind.label}: %1", ["Identifier is required."])
        for other_id, other in rows.items():
            if other["identifier"] == identifier and other_id != target_id:
                raise MagentoError(400, f"Could not save the {kind.label}: %1",
                                   [(f"A {kind.label} identifier with the same properties already exists in "
                                     "the selected store.")])
        stamp = now_str()
        row = existing or {"id": max(rows, default=0) + 1, "creation_time": stamp, "active": True}
        for key, value in data.items():
            if key in {"id", "creation_time", "update_time", "store_id"}:
                continue
            if key in {"active", "is_active"}:
                row["active"] = as_bool(value)
            else:
                row[key] = as_str(value)
        row["identifier"] = identifier
        row["update_time"] = stamp
        rows[row["id"]] = row
        return copy.deepcopy(row)


def _delete(kind: _CmsKind, ctx: Ctx, entity_id: str) -> bool:
    with ctx.state.lock:
        if kind.rows(ctx).pop(as_int(entity_id), None) is None:
            raise kind.not_found(entity_id)
    return True


def store_configs(ctx: Ctx) -> list:
    codes = ctx.query.get("storeCodes")
    wanted = set(codes.values()) if isinstance(codes, dict) else ({codes} if codes else None)
    with ctx.state.lock:
        return [dict(c) for c in ctx.state.store_configs if wanted is None or c["code"] in wanted]


def store_views(ctx: Ctx) -> list:
    return [{"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1},
            {"id": 1, "code": "default", "name": "Default Store View", "website_id": 1, "store_group_id": 1,
             "is_active": 1}]


def websites(ctx: Ctx) -> list:
    return [{"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
            {"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1}]


def register(sync: Router, bulk: Router) -> None:
    for kind, resource, base, id_name in ((PAGES, PAGE_RESOURCE, "V1/cmsPage", "pageId"),
                                          (BLOCKS, BLOCK_RESOURCE, "V1/cmsBlock", "blockId")):
        sync.add("GET", f"{base}/search", resource)(lambda ctx, k=kind: _search(k, ctx))
        sync.add("GET", f"{base}/:{id_name}", resource)(lambda ctx, k=kind, n=id_name, **p: _get(k, ctx, p[n]))
        sync.add("POST", base, resource)(lambda ctx, k=kind: _save(k, ctx))
        sync.add("PUT", f"{base}/:id", resource)(lambda ctx, id, k=kind: _save(k, ctx, id))
        sync.add("DELETE", f"{base}/:{id_name}", resource)(lambda ctx, k=kind, n=id_name, **p: _delete(k, ctx, p[n]))
    sync.add("GET", "V1/store/storeConfigs", STORE_RESOURCE)(store_configs)
    sync.add("GET", "V1/store/storeViews", STORE_RESOURCE)(store_views)
    sync.add("GET", "V1/store/websites", STORE_RESOURCE)(websites)
