"""Joint layouts of the skeleton formats MMAction2 datasets use: COCO-17, NTU RGB+D 25, OpenPose-18,
and the graphs (adjacency partitions) the graph-convolution models build on them.

A ``SkeletonLayout`` names, for one joint order, the bone parent of every joint (what
``JointToBone`` subtracts), the limbs drawn as PoseC3D limb heatmaps, the left/right joint pairs
a horizontal flip swaps, and the graph edges (``inward``, pointing towards ``center``) from which
:func:`graph_adjacency` builds the ``(K, V, V)`` partitioned adjacency of ST-GCN, 2s-AGCN and
ST-GCN++. Joint indices are 0-based positions along the ``V`` axis of a ``(M, T, V, C)`` keypoint
array.

Joint orders:

- COCO-17: 0 nose, 1/2 left/right eye, 3/4 left/right ear, 5/6 shoulders, 7/8 elbows, 9/10 wrists,
  11/12 hips, 13/14 knees, 15/16 ankles (odd = left, even = right).
- NTU RGB+D 25 (Kinect v2): 0 spine base, 1 spine middle, 2 neck, 3 head, 4-7 left shoulder, elbow,
  wrist, hand, 8-11 the same on the right, 12-15 left hip, knee, ankle, foot, 16-19 the same on the
  right, 20 spine at the shoulders, 21/22 left hand tip/thumb, 23/24 right hand tip/thumb.
- OpenPose-18: 0 nose, 1 neck, 2-4 right shoulder, elbow, wrist, 5-7 left shoulder, elbow, wrist,
  8-10 right hip, knee, ankle, 11-13 left hip, knee, ankle, 14/15 right/left eye, 16/17 right/left ear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SkeletonLayout:
    """One joint order and its graph.

    Attributes:
        name: the name MMAction2 uses for it (``"coco"``, ``"nturgb+d"``, ``"openpose"``).
        num_joints: ``V``.
        bone_pairs: ``(joint, parent)`` for every joint; ``bone[joint] = kp[joint] - kp[parent]``.
            The root is its own parent (zero bone).
        limbs: ``(start, end)`` joint pairs drawn as limb heatmaps.
        left_joints, right_joints: pairs swapped by a horizontal flip, element by element.
        left_limbs, right_limbs: indices into ``limbs`` swapped by a horizontal flip.
        inward: the graph's edges as ``(joint, neighbour nearer the centre)`` pairs (MMAction2's
            ``Graph.inward``); the graph is undirected for hop distances, directed for the
            ``"spatial"`` partition.
        center: the joint the ``"stgcn_spatial"`` partition measures distances from (MMAction2's
            ``Graph.center``: COCO nose, NTU spine at the shoulders, OpenPose neck).
    """

    name: str
    num_joints: int
    bone_pairs: tuple[tuple[int, int], ...]
    limbs: tuple[tuple[int, int], ...]
    left_joints: tuple[int, ...]
    right_joints: tuple[int, ...]
    left_limbs: tuple[int, ...] = ()
    right_limbs: tuple[int, ...] = ()
    inward: tuple[tuple[int, int], ...] = ()
    center: int = 0

    def __post_init__(self) -> None:
        joints = [j for pair in self.bone_pairs for j in pair] + [j for pair in self.limbs for j in pair]
        joints += [j for pair in self.inward for j in pair] + [self.center]
        joints += list(self.left_joints) + list(self.right_joints)
        if joints and (min(joints) < 0 or max(joints) >= self.num_joints):
            raise ValueError(f"layout {self.name!r}: a joint index is outside [0, {self.num_joints})")
        if len(self.left_joints) != len(self.right_joints):
            raise ValueError(f"layout {self.name!r}: left_joints and right_joints differ in length")
        if len(self.left_limbs) != len(self.right_limbs):
            raise ValueError(f"layout {self.name!r}: left_limbs and right_limbs differ in length")

    @property
    def parents(self) -> np.ndarray:
        """``(V,)`` int64: the parent of every joint (joints missing from ``bone_pairs`` are roots)."""
        parents = np.arange(self.num_joints, dtype=np.int64)
        for child, parent in self.bone_pairs:
            parents[child] = parent
        return parents

    @property
    def flip_index(self) -> np.ndarray:
        """``(V,)`` int64 permutation: joint ``i`` of a flipped skeleton is joint ``flip_index[i]``."""
        return swap_index(self.num_joints, self.left_joints, self.right_joints)

    @property
    def limb_flip_index(self) -> np.ndarray:
        """``(num_limbs,)`` int64 permutation of the limbs under a horizontal flip."""
        return swap_index(len(self.limbs), self.left_limbs, self.right_limbs)


def swap_index(n: int, left: tuple[int, ...] | list[int], right: tuple[int, ...] | list[int]) -> np.ndarray:
    """``(n,)`` int64 identity permutation with ``left[k]`` and ``right[k]`` exchanged for every k."""
    index = np.arange(n, dtype=np.int64)
    for a, b in zip(left, right, strict=True):
        index[a] = b
        index[b] = a
    return index


COCO17 = SkeletonLayout(
    name="coco",
    num_joints=17,
    # every face joint hangs off the nose, shoulders and hips off the nose too (as in MMAction2).
    bone_pairs=(
        (0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 0), (6, 0), (7, 5), (8, 6),
        (9, 7), (10, 8), (11, 0), (12, 0), (13, 11), (14, 12), (15, 13), (16, 14),
    ),
    limbs=(
        (0, 1), (0, 2), (1, 3), (2, 4), (0, 5), (5, 7), (7, 9), (0, 6), (6, 8),
        (8, 10), (5, 11), (11, 13), (13, 15), (6, 12), (12, 14), (14, 16), (11, 12),
    ),
    left_joints=(1, 3, 5, 7, 9, 11, 13, 15),
    right_joints=(2, 4, 6, 8, 10, 12, 14, 16),
    left_limbs=(0, 2, 4, 5, 6, 10, 11, 12),
    right_limbs=(1, 3, 7, 8, 9, 13, 14, 15),
    inward=(
        (15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5),
        (10, 8), (8, 6), (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2),
    ),
    center=0,
)  # fmt: skip

NTU25 = SkeletonLayout(
    name="nturgb+d",
    num_joints=25,
    bone_pairs=(
        (0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20), (9, 8),
        (10, 9), (11, 10), (12, 0), (13, 12), (14, 13), (15, 14), (16, 0), (17, 16), (18, 17),
        (19, 18), (21, 22), (20, 20), (22, 7), (23, 24), (24, 11),
    ),
    limbs=(
        (0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20), (9, 8),
        (10, 9), (11, 10), (12, 0), (13, 12), (14, 13), (15, 14), (16, 0), (17, 16), (18, 17),
        (19, 18), (21, 22), (22, 7), (23, 24), (24, 11),
    ),
    left_joints=(4, 5, 6, 7, 12, 13, 14, 15, 21, 22),
    right_joints=(8, 9, 10, 11, 16, 17, 18, 19, 23, 24),
    # limbs 4-7 / 8-11 are the arms, 12-15 / 16-19 the legs, 20-21 / 22-23 the hand tips and thumbs.
    left_limbs=(4, 5, 6, 7, 12, 13, 14, 15, 20, 21),
    right_limbs=(8, 9, 10, 11, 16, 17, 18, 19, 22, 23),
    # both hand tips and thumbs hang off the hand joints (7, 11), unlike bone_pairs.
    inward=(
        (0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20), (9, 8),
        (10, 9), (11, 10), (12, 0), (13, 12), (14, 13), (15, 14), (16, 0), (17, 16), (18, 17),
        (19, 18), (21, 7), (22, 7), (23, 11), (24, 11),
    ),
    center=20,
)  # fmt: skip

OPENPOSE18 = SkeletonLayout(
    name="openpose",
    num_joints=18,
    bone_pairs=(
        (0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2),
        (9, 8), (10, 9), (11, 5), (12, 11), (13, 12), (14, 0), (15, 0), (16, 14), (17, 15),
    ),
    limbs=(
        (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8),
        (10, 9), (11, 5), (12, 11), (13, 12), (14, 0), (15, 0), (16, 14), (17, 15),
    ),
    left_joints=(5, 6, 7, 11, 12, 13, 15, 17),
    right_joints=(2, 3, 4, 8, 9, 10, 14, 16),
    left_limbs=(4, 5, 6, 10, 11, 12, 14, 16),
    right_limbs=(1, 2, 3, 7, 8, 9, 13, 15),
    inward=(
        (4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5),
        (8, 2), (5, 1), (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14),
    ),
    center=1,
)  # fmt: skip

LAYOUTS: dict[str, SkeletonLayout] = {layout.name: layout for layout in (COCO17, NTU25, OPENPOSE18)}


def get_layout(name: str | SkeletonLayout) -> SkeletonLayout:
    """The layout called ``name`` (``"coco"``, ``"nturgb+d"``, ``"openpose"``); a layout passes through."""
    if isinstance(name, SkeletonLayout):
        return name
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown skeleton layout {name!r} (expected one of {sorted(LAYOUTS)})") from None


# -- graphs -------------------------------------------------------------------------------------

#: Partition strategies of :func:`graph_adjacency` and the number of subsets each gives (max_hop=1).
PARTITIONS = ("uniform", "distance", "stgcn_spatial", "spatial", "binary_adj")


def edge_matrix(edges: tuple[tuple[int, int], ...] | list[tuple[int, int]], num_nodes: int) -> np.ndarray:
    """``(V, V)`` float64 with ``A[j, i] = 1`` for every edge ``(i, j)`` (MMAction2's ``edge2mat``:
    column ``i`` lists where joint ``i`` sends its features)."""
    a = np.zeros((num_nodes, num_nodes))
    for i, j in edges:
        a[j, i] = 1.0
    return a


def normalize_digraph(a: np.ndarray) -> np.ndarray:
    """``A D^-1`` with ``D`` the diagonal of column sums (zero columns stay zero): every non-empty
    column of the result sums to 1 (MMAction2's ``normalize_digraph`` with ``dim=0``)."""
    col = a.sum(axis=0)
    inv = np.zeros_like(col)
    np.divide(1.0, col, out=inv, where=col > 0)
    return a * inv[None, :]


def hop_distance(num_nodes: int, edges: tuple[tuple[int, int], ...] | list[tuple[int, int]], max_hop: int = 1) -> np.ndarray:
    """``(V, V)`` float64: the number of edges on the shortest path between two joints of the
    undirected graph, ``inf`` beyond ``max_hop``."""
    a = np.eye(num_nodes)
    for i, j in edges:
        a[i, j] = a[j, i] = 1.0
    dist = np.full((num_nodes, num_nodes), np.inf)
    reach = np.eye(num_nodes, dtype=bool)
    dist[reach] = 0.0
    power = np.eye(num_nodes)
    for d in range(1, max_hop + 1):
        power = power @ a
        new = (power > 0) & ~reach
        dist[new] = d
        reach |= new
    return dist


def graph_adjacency(layout: str | SkeletonLayout, strategy: str = "stgcn_spatial", max_hop: int = 1) -> np.ndarray:
    """The partitioned adjacency ``(K, V, V)`` float64 a graph convolution sums over
    (``out[:, :, :, w] = sum_k sum_v x_k[:, :, :, v] A[k, v, w]``).

    Strategies (ST-GCN, Yan et al. AAAI 2018, section 3.4, and MMAction2's ``Graph`` modes):

    - ``"uniform"``: one subset, the column-normalised adjacency of all joints within ``max_hop``
      (self included). K = 1. (MMAction2 0.x ``strategy="uniform"``.)
    - ``"distance"``: that matrix split by hop distance 0..max_hop. K = max_hop + 1.
      (MMAction2 0.x ``strategy="distance"``.)
    - ``"stgcn_spatial"``: the paper's spatial configuration: for every hop, entry ``[j, i]``
      (neighbour ``j`` of root ``i``) goes to the first subset when ``j`` is at least as far from
      ``center`` as ``i``, else (hops > 0 only) to a second one; values from the normalised
      uniform matrix. K = 2 * max_hop + 1. Distances to the centre are read from the same
      ``max_hop``-limited hop matrix (``inf`` beyond it), as in MMAction2 and the ST-GCN code, so
      every pair of joints both beyond ``max_hop`` from the centre lands in the first subset.
      (MMAction2 1.x ``mode="stgcn_spatial"``, 0.x ``strategy="spatial"``; used by ST-GCN.)
    - ``"spatial"``: identity, normalised inward edges, normalised outward edges. K = 3.
      (MMAction2 1.x ``mode="spatial"``; used by 2s-AGCN and ST-GCN++.)
    - ``"binary_adj"``: the unnormalised undirected adjacency without self loops. K = 1.
    """
    lay = get_layout(layout)
    v = lay.num_joints
    if not lay.inward:
        raise ValueError(f"layout {lay.name!r} has no graph edges (inward)")
    if max_hop < 1:
        raise ValueError(f"max_hop must be >= 1, got {max_hop}")
    inward = list(lay.inward)
    outward = [(j, i) for i, j in inward]
    if strategy == "spatial":
        return np.stack(
            (np.eye(v), normalize_digraph(edge_matrix(inward, v)), normalize_digraph(edge_matrix(outward, v)))
        )
    if strategy == "binary_adj":
        return edge_matrix(inward + outward, v)[None]
    dist = hop_distance(v, inward, max_hop)
    norm = normalize_digraph((dist <= max_hop).astype(np.float64))
    if strategy == "uniform":
        return norm[None]
    if strategy == "distance":
        return np.stack([np.where(dist == hop, norm, 0.0) for hop in range(max_hop + 1)])
    if strategy == "stgcn_spatial":
        to_center = dist[:, lay.center]
        closer = to_center[:, None] >= to_center[None, :]  # (V, V) [j, i]: dist(j, c) >= dist(i, c)
        subsets = []
        for hop in range(max_hop + 1):
            at_hop = dist == hop
            subsets.append(np.where(at_hop & closer, norm, 0.0))
            if hop > 0:
                subsets.append(np.where(at_hop & ~closer, norm, 0.0))
        return np.stack(subsets)
    raise ValueError(f"unknown graph partition strategy {strategy!r} (expected one of {list(PARTITIONS)})")
