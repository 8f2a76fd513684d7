"""Product image upload to Magento: process the image (1200x1200 on white, JPEG) and add it as a media entry.

Magento validates the entry itself (base64, MIME type against the bytes, file name characters, SKU);
its 400/404 answers pass through unchanged as UpstreamHTTPError, so the operator sees Magento's reason.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.adapters.magento import get_magento_client
from app.imaging import ImageLimits, Output
from app.imaging.names import safe_name
from app.imaging.operations import ImageResult
from app.services.images.service import get_images

if TYPE_CHECKING:
    from app.adapters.magento import MagentoClient
    from workers.pool import ImagePool

DEFAULT_ROLES = ("image", "small_image", "thumbnail")


@dataclass(frozen=True)
class UploadResult:
    entry_id: str
    output: Output
    source: dict[str, Any]


def media_file_name(sku: str, extension: str) -> str:
    """Magento refuses names with characters outside [A-Za-z0-9._-]: derive a safe one from the SKU."""
    stem = safe_name(sku, "product")
    return f"{stem[:80]}.{extension}"


def media_entry(sku: str, output: Output, *, label: str | None, position: int, roles: Sequence[str],
                disabled: bool = False) -> dict[str, Any]:
    """The `entry` body of POST V1/products/{sku}/media for one encoded image."""
    return {
        "media_type": "image", "label": label or sku, "position": position, "disabled": disabled,
        "types": list(roles),
        "content": {"base64_encoded_data": base64.b64encode(output.data).decode("ascii"),
                    "type": output.media_type, "name": media_file_name(sku, output.extension)},
    }


def upload_product_image(client: MagentoClient, pool: ImagePool, sku: str, data: bytes, *, width: int = 1200,
                         height: int = 1200, quality: int = 90, label: str | None = None, position: int = 1,
                         roles: Sequence[str] = DEFAULT_ROLES, limits: ImageLimits,
                         timeout: float | None = None) -> UploadResult:
    """Process `data` in the image pool, then upload it to Magento as a media gallery entry.

    Raises the image errors (400/413/415/504) for bad input, UpstreamHTTPError with Magento's own
    status and body when Magento refuses the entry, UpstreamUnavailable/UpstreamTimeout when it is down.
    """
    result: ImageResult = pool.process(
        data, [{"op": "resize", "width": width, "height": height, "quality": quality, "format": "JPEG"}],
        limits=limits, timeout=timeout)
    output = result.outputs[0]
    entry_id = client.upload_media(sku, media_entry(sku, output, label=label, position=position, roles=roles))
    return UploadResult(entry_id=entry_id, output=output, source=result.source.as_dict())


def upload_to_magento(sku: str, data: bytes, **options: Any) -> UploadResult:
    """`upload_product_image` with this app's Magento client, image pool, limits and task timeout."""
    images = get_images()
    return upload_product_image(get_magento_client(), images.pool, sku, data, limits=images.limits,
                                timeout=images.task_timeout, **options)
