"""Joint layouts of the skeleton formats MMAction2 datasets use: COCO-17, NTU RGB+D 25, OpenPose-18.

A ``SkeletonLayout`` names, for one joint order, the bone parent of every joint (what
``JointToBone`` subtracts), the limbs drawn as PoseC3D limb heatmaps, and the left/right joint pairs
a horizontal flip swaps. Joint indices are 0-based positions along the ``V`` axis of a
``(M, T, V, C)`` keypoint array.

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
    """

    name: str
    num_joints: int
    bone_pairs: tuple[tuple[int, int], ...]
    limbs: tuple[tuple[int, int], ...]
    left_joints: tuple[int, ...]
    right_joints: tuple[int, ...]
    left_limbs: tuple[int, ...] = ()
    right_limbs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        joints = [j for pair in self.bone_pairs for j in pair] + [j for pair in self.limbs for j in pair]
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
