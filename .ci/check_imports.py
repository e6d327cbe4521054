"""Fail if a package imports a distribution it does not declare.

For every ``packages/<name>``: collect the top-level modules its source imports, map each to the
distribution that provides it, and compare with the package's ``pyproject.toml``. A ``vidcore.X``
import must be a hard dependency (``vidcore-X``); a third-party import must be a dependency or an
optional extra. Standard-library modules are ignored. Run in an environment where the third-party
distributions are installed (the development environment), so module names map to distributions.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.split(r"[\s<>=!~;\[@]", req.strip(), maxsplit=1)[0])


def imported_modules(src: Path) -> dict[str, set[str]]:
    """Map an imported name (``vidcore.data`` or a top-level module) to the files importing it."""
    found: dict[str, set[str]] = {}
    for py in src.rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"), filename=str(py))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                parts = n.split(".")
                key = ".".join(parts[:2]) if parts[0] == "vidcore" else parts[0]
                found.setdefault(key, set()).add(str(py.relative_to(ROOT)))
    return found


def main() -> int:
    mod_to_dist = {k: {_norm(d) for d in v} for k, v in packages_distributions().items()}
    problems: list[str] = []
    for pkg_dir in sorted((ROOT / "packages").iterdir()):
        meta = tomllib.loads((pkg_dir / "pyproject.toml").read_text())["project"]
        own = _norm(meta["name"])
        hard = {_req_name(r) for r in meta.get("dependencies", [])}
        extras = {_req_name(r) for reqs in meta.get("optional-dependencies", {}).values() for r in reqs}
        for name, files in sorted(imported_modules(pkg_dir / "src").items()):
            where = ", ".join(sorted(files)[:3])
            if name.startswith("vidcore."):
                dist = _norm("vidcore-" + name.split(".")[1])
                if dist != own and dist not in hard:
                    problems.append(f"{own}: imports {name} ({where}) but does not depend on {dist}")
                continue
            if name in sys.stdlib_module_names or name == "vidcore" or name == "__future__":
                continue
            # A module not installed here (an optional extra) is matched by its own name.
            dists = mod_to_dist.get(name) or ({_norm(name)} & (hard | extras))
            if not dists:
                problems.append(f"{own}: imports {name} ({where}), which no installed distribution provides")
            elif not dists & (hard | extras):
                problems.append(
                    f"{own}: imports {name} ({where}) but declares none of {sorted(dists)} "
                    "as a dependency or extra"
                )
    for p in problems:
        print("undeclared import:", p)
    print(f"check_imports: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
