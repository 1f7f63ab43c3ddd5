"""The ``truncation`` block of tokenizer.json, as it applies to one sequence without special tokens.

Static models never pad and never use overflowing windows, so only ``max_length`` and
``direction`` matter: ``Right`` keeps the first ``max_length`` ids, ``Left`` keeps the last ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import TokenizerFormatError

_DIRECTIONS = {"right": "right", "left": "left"}


@dataclass(frozen=True)
class Truncation:
    """Keep at most ``max_length`` ids, from the start (``right``) or from the end (``left``)."""

    max_length: int
    direction: str = "right"

    def __post_init__(self) -> None:
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int):
            raise TokenizerFormatError(
                f"truncation.max_length must be an integer, found {self.max_length!r}"
            )
        if self.max_length < 0:
            raise TokenizerFormatError(
                f"truncation.max_length must be >= 0, found {self.max_length}"
            )
        if self.direction not in _DIRECTIONS:
            raise TokenizerFormatError(
                f"truncation.direction must be 'Right' or 'Left', found {self.direction!r}"
            )

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> Truncation | None:
        """Build from tokenizer.json's ``truncation`` value (``None`` means no truncation)."""
        if config is None:
            return None
        if not isinstance(config, dict) or "max_length" not in config:
            raise TokenizerFormatError(
                f"tokenizer.json 'truncation' must be null or an object with 'max_length', "
                f"found {config!r}"
            )
        direction = str(config.get("direction", "Right")).lower()
        return cls(max_length=config["max_length"], direction=direction)

    def apply(self, ids: list[int]) -> list[int]:
        """Return ``ids`` cut to ``max_length`` in this direction (the same list if it fits)."""
        if len(ids) <= self.max_length:
            return ids
        if self.direction == "right":
            return ids[: self.max_length]
        return ids[len(ids) - self.max_length :]
