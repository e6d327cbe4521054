"""Parity of vidcore-skeleton with MMAction2 1.2.0 (see shared/PARITY.md).

- Graphs: ``graph_adjacency`` equals MMAction2's ``Graph(layout, mode, max_hop).A`` exactly for every
  layout, mode and hop count.
- Models: build MMAction2's recognizer from its stock config, re-initialise every float tensor from a
  seed (the adjacency buffers excepted: they are the fixed graph), save the state dict as a
  checkpoint file, convert it with the preset's converter, check every tensor is consumed by a strict
  load, and compare the logits in eval mode on the same input (raw and batch-centred, <= 1e-4).

Run with the MMAction2 environment: ``/work/mmenv/bin/python -m pytest tests/parity/test_skeleton_parity.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from mm_helpers import require_mmaction

from vidcore.data.skeleton_graphs import graph_adjacency

pytestmark = pytest.mark.parity


@pytest.mark.parametrize("layout", ["coco", "nturgb+d", "openpose"])
@pytest.mark.parametrize("mode", ["stgcn_spatial", "spatial", "binary_adj"])
@pytest.mark.parametrize("max_hop", [1, 2, 3])
def test_graph_equals_mmaction(layout: str, mode: str, max_hop: int) -> None:
    require_mmaction()
    from mmaction.models.utils.graph import Graph

    theirs = Graph(layout=layout, mode=mode, max_hop=max_hop).A
    ours = graph_adjacency(layout, mode, max_hop)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs), float(np.abs(ours - theirs).max())
