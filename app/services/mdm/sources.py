"""The store mapping (MDM Code_Source -> store name, Magento MSI source code, branch number) from sources.json."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parents[3] / "config" / "sources.json"


@dataclass(frozen=True)
class StoreSource:
    """One store; field names are the frontend's (it posts these objects back to /api/mdm/sync/source)."""

    code_source: str
    source: str
    magentoSource: str
    succursale: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_sources(data: Any) -> tuple[StoreSource, ...]:
    """Validate the decoded JSON list; raises ValueError naming the bad entry."""
    if not isinstance(data, list):
        raise ValueError("the sources file must hold a JSON list")  # noqa: TRY004 - one error type per bad file
    stores: list[StoreSource] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        try:
            store = StoreSource(**{key: str(item[key]).strip() for key in
                                   ("code_source", "source", "magentoSource", "succursale")})
        except (KeyError, TypeError) as exc:
            raise ValueError(f"sources[{i}] needs code_source, source, magentoSource, succursale") from exc
        if not store.code_source.isdigit():
            raise ValueError(f"sources[{i}].code_source must be an integer, got {store.code_source!r}")
        if store.code_source in seen:
            raise ValueError(f"sources[{i}].code_source {store.code_source} is duplicated")
        seen.add(store.code_source)
        stores.append(store)
    return tuple(stores)


def load_sources(path: str | Path | None = None) -> tuple[StoreSource, ...]:
    """Read and validate the mapping (default: config/sources.json). Raises OSError / ValueError."""
    with open(path or DEFAULT_SOURCES_FILE, encoding="utf-8") as fh:
        return parse_sources(json.load(fh))


def succursale_by_code(stores: tuple[StoreSource, ...]) -> dict[int, str]:
    return {int(s.code_source): s.succursale for s in stores}


