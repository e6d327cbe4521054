"""A tiny model, dataset and evaluator shared by the trainer tests and ``_train_script.py``."""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset


class ToyNet(nn.Module):
    """Conv1d -> LayerNorm -> ReLU -> (dropout) -> Linear, on ``x`` of shape (N, 2, 8), 3 classes."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = nn.Conv1d(2, 4, kernel_size=3, padding=1)
        self.norm = nn.LayerNorm(32)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(32, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x).flatten(1)  # (N, 4, 8) -> (N, 32)
        return self.fc(self.drop(F.relu(self.norm(h))))

    def forward_train(self, batch: dict) -> dict[str, torch.Tensor]:
        logits = self(batch["x"])
        loss = F.cross_entropy(logits, batch["y"])
        return {"loss": loss, "acc": (logits.argmax(1) == batch["y"]).float().mean()}

    def forward_eval(self, batch: dict) -> dict[str, torch.Tensor]:
        return {"scores": self(batch["x"]), "labels": batch["y"]}


class ToyData(Dataset):
    """``n`` fixed samples drawn from ``seed``; ``noise`` adds fresh N(0, noise²) from the global RNG."""

    def __init__(self, n: int = 20, seed: int = 123, noise: float = 0.0, skip_every: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 2, 8, generator=g)
        self.y = torch.randint(0, 3, (n,), generator=g)
        self.noise = noise
        self.skip_every = skip_every

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        x = self.x[i]
        if self.noise:
            x = x + self.noise * torch.randn(x.shape)
        return {"x": x, "y": self.y[i], "index": torch.tensor(i)}


def collate_with_skips(items: list[dict]) -> dict:
    """Stacks like default_collate and marks even-indexed samples as "skipped" (for the summary test)."""
    out = {k: torch.stack([it[k] for it in items]) for k in ("x", "y", "index")}
    out["skipped"] = [f"sample {int(it['index'])}: unreadable" for it in items if int(it["index"]) % 2 == 0]
    return out


class ToyAccuracy:
    """Top-1 accuracy with the accumulator face of vidcore.core.metrics; sums over DDP ranks."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0
        self.seen: list[int] = []

    def update(self, scores: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor | None = None) -> None:
        self.correct += int((scores.argmax(1) == labels).sum())
        self.total += len(labels)
        if indices is not None:
            self.seen.extend(int(i) for i in indices)

    def compute(self) -> dict[str, float]:
        t = torch.tensor([self.correct, self.total], dtype=torch.float64)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(t)
        return {"top1": float(t[0] / t[1])}
