from __future__ import annotations

import pytest

from tests.chat.harness import ChatHarness
from tests.support import World


@pytest.fixture
async def chat(world: World) -> ChatHarness:
    return ChatHarness(world)
