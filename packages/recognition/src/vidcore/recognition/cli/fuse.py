"""``vidcore-recognition fuse SCORES...``: late fusion of score files (the shared verb,
:mod:`vidcore.core.fuse_cli`)."""

from __future__ import annotations

from vidcore.core.fuse_cli import FuseVerb

add_parser, run = FuseVerb("vidcore-recognition").bind()
