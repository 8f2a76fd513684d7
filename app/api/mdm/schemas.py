"""Request and response schemas of the MDM API (shapes as the React frontend reads them)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.services.mdm.prices import MAX_LIMIT


class MdmPricesArgsSchema(Schema):
    sku = fields.String(load_default=None, validate=validate.Length(max=64))
    category = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class MdmPriceRowSchema(Schema):
    sku = fields.String(required=True)
    price = fields.Float(allow_none=True)


class MdmPricesSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String()
    data = fields.List(fields.Nested(MdmPriceRowSchema), required=True)
    totalCount = fields.Integer(required=True)


class MdmInventoryArgsSchema(Schema):
    """Documented parameters; the service validates every key, incl. searchCriteria[...] (unknown -> 400)."""

    class Meta:
        unknown = "include"

    page = fields.String(metadata={"description": "0-based page (default 0)"})
    pageSize = fields.String(metadata={"description": "rows per page, 1-500 (default 25)"})
    sortField = fields.String(metadata={"description": "a grid column, e.g. QteStock, DateDernierMaJ"})
    sortOrder = fields.String(metadata={"description": "asc | desc"})
    sourceCode = fields.String()
    succursale = fields.String()
    Code_MDM = fields.String()
    TypeProd = fields.String()
    refArticle = fields.String()
    description = fields.String()
    categorie = fields.String()
    dateMin = fields.String(metadata={"description": "ISO date or date-time"})
    dateMax = fields.String(metadata={"description": "ISO date (whole day included) or date-time"})
    search = fields.String()
    changed = fields.String(metadata={"description": "true|false: only changed / only unchanged rows"})
    showChangedOnly = fields.String(metadata={"description": "true: only changed rows"})


class MdmInventoryRowSchema(Schema):
    class Meta:
        unknown = "include"

    Code_MDM = fields.String(required=True)
    Code_JDE = fields.String(allow_none=True)
    TypeProd = fields.String(allow_none=True)
    Libelle = fields.String(allow_none=True)
    Categorie = fields.String(allow_none=True)
    Marque = fields.String(allow_none=True)
    Code_Source = fields.Integer()
    Source = fields.String(allow_none=True)
    Succursale = fields.String(allow_none=True)
    QteStock = fields.Integer(allow_none=True)
    Tarif = fields.Float(allow_none=True)
    DateDernierMaJ = fields.String(allow_none=True)
    changed = fields.Integer()
    syncedDate = fields.String(allow_none=True)


class MdmInventorySchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String()
    data = fields.List(fields.Nested(MdmInventoryRowSchema), required=True)
    totalCount = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pageSize = fields.Integer(required=True)


class MdmSourceSchema(Schema):
    code_source = fields.String(required=True)
    source = fields.String(required=True)
    magentoSource = fields.String(required=True)
    succursale = fields.String(required=True)


class MdmSourcesSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String()
    data = fields.List(fields.Nested(MdmSourceSchema), required=True)


class MdmSyncStocksArgsSchema(Schema):
    sourceCode = fields.Integer(load_default=None, allow_none=True, strict=False, validate=validate.Range(min=0))


class MdmMergeCountsSchema(Schema):
    sourceCode = fields.Integer(allow_none=True)
    inserted = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class MdmSyncStocksSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String()
    data = fields.Nested(MdmMergeCountsSchema, required=True)
