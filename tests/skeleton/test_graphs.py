"""Graph partitions of vidcore.data.skeleton_graphs against hand-computed small graphs, and the
properties every partition of the real layouts must have (equality with MMAction2's ``Graph`` is
in tests/parity/test_skeleton_parity.py)."""

from __future__ import annotations

import numpy as np
import pytest

from vidcore.data.skeleton_graphs import (
    COCO17,
    LAYOUTS,
    NTU25,
    OPENPOSE18,
    SkeletonLayout,
    edge_matrix,
    graph_adjacency,
    hop_distance,
    normalize_digraph,
)

# a chain 0 - 1 - 2 rooted at joint 0
CHAIN = SkeletonLayout(
    name="chain3", num_joints=3, bone_pairs=(), limbs=(), left_joints=(), right_joints=(),
    inward=((1, 0), (2, 1)), center=0,
)  # fmt: skip

# Worked by hand: neighbours within one hop (self included) are {0,1}, {0,1,2}, {1,2}; the
# column sums are 2, 3, 2, so column i is divided by them.
H, T = 1 / 2, 1 / 3
UNIFORM = np.array([[H, T, 0], [H, T, H], [0, T, H]])


def test_uniform_and_distance_by_hand() -> None:
    np.testing.assert_allclose(graph_adjacency(CHAIN, "uniform"), UNIFORM[None])
    dist = graph_adjacency(CHAIN, "distance")
    np.testing.assert_allclose(dist[0], np.diag([H, T, H]))
    np.testing.assert_allclose(dist[1], [[0, T, 0], [H, 0, H], [0, T, 0]])


def test_stgcn_spatial_by_hand() -> None:
    # distances to the centre 0 within max_hop=1: 0, 1, inf (joint 2 is two hops away).
    # [j, i] goes to the first subset of its hop when d(j) >= d(i):
    #   [1, 0]: 1 >= 0 yes; [0, 1]: 0 >= 1 no; [2, 1]: inf >= 1 yes; [1, 2]: 1 >= inf no.
    a = graph_adjacency(CHAIN, "stgcn_spatial")
    assert a.shape == (3, 3, 3)
    np.testing.assert_allclose(a[0], np.diag([H, T, H]))
    np.testing.assert_allclose(a[1], [[0, 0, 0], [H, 0, 0], [0, T, 0]])
    np.testing.assert_allclose(a[2], [[0, T, 0], [0, 0, H], [0, 0, 0]])


def test_spatial_and_binary_by_hand() -> None:
    a = graph_adjacency(CHAIN, "spatial")
    np.testing.assert_allclose(a[0], np.eye(3))
    np.testing.assert_allclose(a[1], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # inward (1->0), (2->1)
    np.testing.assert_allclose(a[2], [[0, 0, 0], [1, 0, 0], [0, 1, 0]])  # outward
    np.testing.assert_allclose(graph_adjacency(CHAIN, "binary_adj")[0], [[0, 1, 0], [1, 0, 1], [0, 1, 0]])


def test_normalisation_and_hops_by_hand() -> None:
    a = np.array([[1.0, 1, 0], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(normalize_digraph(a), [[0.5, 1, 0], [0.5, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(edge_matrix([(0, 2)], 3), [[0, 0, 0], [0, 0, 0], [1, 0, 0]])
    d = hop_distance(4, [(1, 0), (2, 1), (3, 2)], max_hop=2)  # a chain of four
    assert d[0].tolist() == [0, 1, 2, np.inf]
    assert d[3].tolist() == [np.inf, 2, 1, 0]


@pytest.mark.parametrize("layout", [COCO17, NTU25, OPENPOSE18], ids=lambda x: x.name)
@pytest.mark.parametrize("max_hop", [1, 2])
def test_partitions_split_the_uniform_graph(layout: SkeletonLayout, max_hop: int) -> None:
    uniform = graph_adjacency(layout, "uniform", max_hop)[0]
    v = layout.num_joints
    # every joint gathers from itself and its neighbours with weights summing to 1 (column sums)
    np.testing.assert_allclose(uniform.sum(axis=0), np.ones(v))
    for strategy, k in (("distance", max_hop + 1), ("stgcn_spatial", 2 * max_hop + 1)):
        parts = graph_adjacency(layout, strategy, max_hop)
        assert parts.shape == (k, v, v)
        np.testing.assert_allclose(parts.sum(axis=0), uniform)  # a partition: nothing lost or doubled
        assert ((parts != 0).sum(axis=0) <= 1).all()
    spatial = graph_adjacency(layout, "spatial")
    assert spatial.shape == (3, v, v)
    binary = graph_adjacency(layout, "binary_adj")[0]
    assert (binary == binary.T).all() and binary.sum() == 2 * len(layout.inward)
    # a tree: V - 1 edges, every joint reachable from the centre
    assert len(layout.inward) == v - 1
    assert np.isfinite(hop_distance(v, layout.inward, max_hop=v)[layout.center]).all()


def test_layout_table_and_errors() -> None:
    assert {n: (lay.num_joints, lay.center) for n, lay in LAYOUTS.items()} == {
        "coco": (17, 0), "nturgb+d": (25, 20), "openpose": (18, 1),
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown graph partition strategy 'spatail'"):
        graph_adjacency("coco", "spatail")
    with pytest.raises(ValueError, match="unknown skeleton layout"):
        graph_adjacency("coco18")
    with pytest.raises(ValueError, match="outside"):
        SkeletonLayout("bad", 2, (), (), (), (), inward=((0, 2),))
