"""Inputs and outputs of /api/magento (the OpenAPI document is generated from them)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class ChartQuerySchema(Schema):
    fieldName = fields.String(metadata={"description": "added by the frontend's API client; ignored"})


class ProxyQuerySchema(Schema):
    fieldName = fields.String(metadata={"description": "forwarded like every other parameter"})


class NameValueSchema(Schema):
    name = fields.String(required=True)
    value = fields.Integer(required=True)


class CategoryRowSchema(Schema):
    name = fields.String(required=True)
    value = fields.Integer(required=True)
    level = fields.Integer(required=True)
    parent = fields.String(required=True, allow_none=True)


class AttributeFillSchema(Schema):
    attribute = fields.String(required=True)
    value = fields.Float(required=True, metadata={"description": "% of products with a value"})


class SalesRowSchema(Schema):
    period = fields.String(required=True, metadata={"example": "2025-01"})
    revenue = fields.Float(required=True)
    orders = fields.Integer(required=True)
    customers = fields.Integer(required=True)


class InventoryRowSchema(Schema):
    category = fields.String(required=True)
    inStock = fields.Integer(required=True)
    lowStock = fields.Integer(required=True)
    outOfStock = fields.Integer(required=True)
    totalValue = fields.Float(required=True)


class ProductCategorySchema(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    parent_id = fields.String(allow_none=True)
    position = fields.Integer()


class ProductCategoriesSchema(Schema):
    productId = fields.Integer(required=True)
    sku = fields.String(required=True)
    categories = fields.List(fields.Nested(ProductCategorySchema), required=True)


class CategoryIdsSchema(Schema):
    categoryIds = fields.List(fields.String(validate=validate.Regexp(r"^\d{1,10}$")), required=True,
                              validate=validate.Length(max=500))


class AdditionalAttributeSchema(Schema):
    attribute_code = fields.String(required=True)
    label = fields.String(required=True)
    value = fields.Raw(required=True, metadata={"description": "Magento's value (string or list)"})
    value_label = fields.Raw(metadata={"description": "the option label, for mgs_brand"})


class AdditionalAttributesSchema(Schema):
    productId = fields.Integer(required=True)
    sku = fields.String(required=True)
    additional_attributes = fields.List(fields.Nested(AdditionalAttributeSchema), required=True)


# Any JSON value, as the proxy forwards it (Magento bodies are objects; async bulk bodies are arrays).
ANY_JSON_BODY = {"required": False, "description": "Forwarded to Magento unchanged (any JSON value).",
                 "content": {"application/json": {"schema": {}}}}
MAGENTO_ANSWER = {"description": "Magento's status and JSON body, passed through unchanged.",
                  "content": {"application/json": {"schema": {}}}}
