from __future__ import annotations

import pytest

from vidcore.core.registry import Registry, RegistryError


def test_register_build_and_names() -> None:
    reg: Registry = Registry("model")

    @reg.register
    def tiny(width: int = 2) -> list[int]:
        return [0] * width

    assert reg.build("tiny", width=3) == [0, 0, 0]
    assert reg.names() == ["tiny"]
    assert "tiny" in reg


def test_duplicate_name_raises() -> None:
    reg: Registry = Registry("model")
    reg.register(lambda: 1, name="a")
    with pytest.raises(RegistryError, match="registered twice"):
        reg.register(lambda: 2, name="a")


def test_unknown_name_suggests_close_match() -> None:
    reg: Registry = Registry("model")
    reg.register(lambda: 1, name="tsm_r50")
    with pytest.raises(RegistryError, match="did you mean tsm_r50"):
        reg.get("tsm_r5")
