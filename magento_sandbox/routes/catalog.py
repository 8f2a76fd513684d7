"""Categories (tree, list, one), product attributes and attribute options (mgs_brand CRUD)."""
from __future__ import annotations

import copy

from .. import errors, search
from ..errors import MagentoError
from ..inputs import as_int, as_str, require
from ..router import Router
from ..sandbox import Ctx
from ..state import SandboxState

CATEGORY_RESOURCE = "Magento_Catalog::categories"
ATTRIBUTE_RESOURCE = "Magento_Catalog::attributes_attributes"
DEFAULT_ROOT = 2  # the store's root category ("Default Category")


def _product_count(state: SandboxState, cat_id: int) -> int:
    wanted = str(cat_id)
    return sum(1 for p in state.products.values()
               if any(link["category_id"] == wanted for link in p["extension_attributes"]["category_links"]))


def _tree(state: SandboxState, cat_id: int, depth: int | None) -> dict:
    cat = state.categories[cat_id]
    children = sorted((c for c in state.categories.values() if c["parent_id"] == cat_id),
                      key=lambda c: c["position"])
    node = {"id": cat["id"], "parent_id": cat["parent_id"], "name": cat["name"], "is_active": cat["is_active"],
            "position": cat["position"], "level": cat["level"], "product_count": _product_count(state, cat_id),
            "children_data": []}
    if depth is None or depth > 0:
        node["children_data"] = [_tree(state, c["id"], None if depth is None else depth - 1) for c in children]
    return node


def category_tree(ctx: Ctx) -> dict:
    root = as_int(ctx.query.get("rootCategoryId")) or DEFAULT_ROOT
    depth = as_int(ctx.query.get("depth"))
    with ctx.state.lock:
        if root not in ctx.state.categories:
            raise errors.no_such_entity("id", root)
        return _tree(ctx.state, root, depth)


def category_list(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [copy.deepcopy(ctx.state.categories[k]) for k in sorted(ctx.state.categories)]
    return search.apply(rows, crit)


def get_category(ctx: Ctx, categoryId: str) -> dict:
    cat_id = as_int(categoryId)
    with ctx.state.lock:
        cat = ctx.state.categories.get(cat_id)
        if cat is None:
            raise errors.no_such_entity("id", categoryId)
        return copy.deepcopy(cat)


def _attribute(state: SandboxState, code: str) -> dict:
    attr = state.attributes.get(code)
    if attr is None:
        raise MagentoError(404, 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and '
                                'try again.', [code])
    return attr


def list_attributes(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [copy.deepcopy(a) for a in sorted(ctx.state.attributes.values(), key=lambda a: a["attribute_id"])]
    return search.apply(rows, crit)


def get_attribute(ctx: Ctx, attributeCode: str) -> dict:
    with ctx.state.lock:
        return copy.deepcopy(_attribute(ctx.state, attributeCode))


def list_options(ctx: Ctx, attributeCode: str) -> list:
    with ctx.state.lock:
        attr = _attribute(ctx.state, attributeCode)
        if attr["frontend_input"] not in {"select", "multiselect", "boolean"}:
            raise MagentoError(400, 'The "%1" attribute doesn\'t work with options.', [attributeCode])
        return copy.deepcopy(attr["options"])


def add_option(ctx: Ctx, attributeCode: str) -> str:
    require(ctx.body, "option")
    option = ctx.body["option"]
    if not isinstance(option, dict):
        raise errors.invalid_type(option, "Magento\\Eav\\Api\\Data\\AttributeOptionInterface")
    label = as_str(option.get("label"))
    with ctx.state.lock:
        attr = _attribute(ctx.state, attributeCode)
        if attr["frontend_input"] not in {"select", "multiselect"}:
            raise MagentoError(400, 'The "%1" attribute doesn\'t work with options.', [attributeCode])
        if not label or not label.strip():
            raise MagentoError(400, "The attribute option label is empty. Enter the value and try again.")
        if any(o["label"].casefold() == label.casefold() for o in attr["options"]):
            raise MagentoError(400, 'Admin store attribute option label "%1" is already exists.', [label])
        option_id = ctx.state.next_option_id
        ctx.state.next_option_id += 1
        attr["options"].append({"label": label, "value": str(option_id),
                                "sort_order": as_int(option.get("sort_order")) or 0, "is_default": False})
    # OptionManagement::add returns the new option id as a string.
    return str(option_id)


def delete_option(ctx: Ctx, attributeCode: str, optionId: str) -> bool:
    with ctx.state.lock:
        attr = _attribute(ctx.state, attributeCode)
        if attr["frontend_input"] not in {"select", "multiselect"}:
            raise MagentoError(400, 'The "%1" attribute has no option.', [attributeCode])
        before = len(attr["options"])
        attr["options"] = [o for o in attr["options"] if o["value"] != optionId or not optionId]
        if len(attr["options"]) == before:
            raise MagentoError(404, 'The "%1" attribute doesn\'t include an option with "%2" ID.',
                               [attributeCode, optionId])
    return True


def register(sync: Router, bulk: Router) -> None:
    sync.add("GET", "V1/categories", CATEGORY_RESOURCE)(category_tree)
    sync.add("GET", "V1/categories/list", CATEGORY_RESOURCE)(category_list)
    sync.add("GET", "V1/categories/:categoryId", CATEGORY_RESOURCE)(get_category)
    sync.add("GET", "V1/products/attributes", ATTRIBUTE_RESOURCE)(list_attributes)
    sync.add("GET", "V1/products/attributes/:attributeCode", ATTRIBUTE_RESOURCE)(get_attribute)
    sync.add("GET", "V1/products/attributes/:attributeCode/options", ATTRIBUTE_RESOURCE)(list_options)
    sync.add("POST", "V1/products/attributes/:attributeCode/options", ATTRIBUTE_RESOURCE)(add_option)
    sync.add("DELETE", "V1/products/attributes/:attributeCode/options/:optionId", ATTRIBUTE_RESOURCE)(delete_option)
