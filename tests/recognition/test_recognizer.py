"""The Recognizer: normalization and layout on the device, test-time view aggregation, the
training/evaluation methods the trainer calls, and its errors. Checked with tiny stand-in
backbones/heads whose outputs are known by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vidcore.recognition.recognizer import Recognizer, average_views


class MeanBackbone(nn.Module):
    """(B, C, ...) -> (B, C): the mean over everything but batch and channel."""

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(2).mean(dim=2)


class LinearHead(nn.Module):
    """Features (B, C) or 2D-grouped (B, T, C) (averaged over T) -> logits (B, K)."""

    def __init__(self, c: int, k: int) -> None:
        super().__init__()
        self.fc = nn.Linear(c, k)

    @property
    def num_classes(self) -> int:
        return self.fc.out_features

    def reset_classifier(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.fc.in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 3:
            x = x.mean(dim=1)
        return self.fc(x)


MEAN, STD = (10.0, 20.0, 30.0), (2.0, 4.0, 5.0)


def _model(layout: str = "NCTHW", k: int = 4, **kw) -> Recognizer:
    torch.manual_seed(0)
    return Recognizer(MeanBackbone(), LinearHead(3, k), mean=MEAN, std=STD, input_layout=layout, **kw)


def test_preprocess_normalizes_in_0_255_units_and_lays_out() -> None:
    video = torch.randint(0, 256, (2, 4, 3, 5, 6), dtype=torch.uint8)  # (N, T, C, H, W)
    ref = (video.float() - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    x3d = _model("NCTHW").preprocess(video)
    assert x3d.shape == (2, 3, 4, 5, 6) and x3d.dtype == torch.float32
    torch.testing.assert_close(x3d, ref.permute(0, 2, 1, 3, 4))
    x2d = _model("NCHW", num_segments=4).preprocess(video)
    torch.testing.assert_close(x2d, ref.reshape(8, 3, 5, 6))
    assert video.dtype == torch.uint8  # input untouched


@pytest.mark.parametrize("layout", ["NCTHW", "NCHW"])
def test_preprocess_of_a_channels_last_batch_is_the_same_and_contiguous(layout: str) -> None:
    # collate_samples keeps the decoder's channels-last memory: (N, T, H, W, C) in memory
    nthwc = torch.randint(0, 256, (2, 4, 5, 6, 3), dtype=torch.uint8)
    channels_last = nthwc.permute(0, 1, 4, 2, 3)
    assert not channels_last.is_contiguous()
    model = _model(layout, num_segments=4)
    got = model.preprocess(channels_last)
    torch.testing.assert_close(got, model.preprocess(channels_last.contiguous()), rtol=0, atol=0)
    assert got.is_contiguous()


def test_preprocess_with_views_flattens_views_into_the_batch() -> None:
    video = torch.randint(0, 256, (2, 3, 4, 3, 5, 5), dtype=torch.uint8)  # (N, V, T, C, H, W)
    x = _model("NCTHW").preprocess(video)
    assert x.shape == (6, 3, 4, 5, 5)
    torch.testing.assert_close(x[4], _model("NCTHW").preprocess(video[1, 1:2])[0])
    assert _model("NCHW", num_segments=4).preprocess(video).shape == (24, 3, 5, 5)


@pytest.mark.parametrize(
    ("shape", "match"), [((2, 3, 5, 5), "N, T, C, H, W"), ((1, 4, 2, 5, 5), "channels")]
)
def test_preprocess_rejects_bad_shapes(shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _model().preprocess(torch.zeros(shape, dtype=torch.uint8))


def test_average_views_hand_values() -> None:
    scores = torch.tensor([[[0.0, 0.0], [2.0, 0.0]]])  # one video, two views, two classes
    e = torch.e**2
    torch.testing.assert_close(average_views(scores, "prob"), torch.tensor([[(0.5 + e / (1 + e)) / 2, (0.5 + 1 / (1 + e)) / 2]]))
    torch.testing.assert_close(average_views(scores, "score"), torch.tensor([[1.0, 0.0]]))
    assert average_views(scores, None) is scores
    with pytest.raises(ValueError):
        average_views(scores, "max")  # type: ignore[arg-type]


def test_predict_aggregates_views_and_chunking_changes_nothing() -> None:
    model = _model("NCTHW").eval()
    video = torch.randint(0, 256, (2, 3, 4, 3, 5, 5), dtype=torch.uint8)
    logits = model(model.preprocess(video)).view(2, 3, -1)
    torch.testing.assert_close(model.predict(video), logits.softmax(-1).mean(1))
    torch.testing.assert_close(model.predict(video, max_views_per_forward=2), logits.softmax(-1).mean(1))
    model.average_clips = "score"
    torch.testing.assert_close(model.predict(video), logits.mean(1))
    model.average_clips = None
    assert model.predict(video).shape == (2, 3, 4)


def test_predict_2d_uses_the_input_segment_count() -> None:
    model = _model("NCHW", num_segments=4).eval()
    video = torch.randint(0, 256, (1, 2, 7, 3, 5, 5), dtype=torch.uint8)  # 7 segments, 2 views
    per_view = [model(model.preprocess(video[:, v]), 7) for v in range(2)]
    expected = torch.stack(per_view, 1).softmax(-1).mean(1)
    torch.testing.assert_close(model.predict(video, max_views_per_forward=1), expected)


def test_segment_mismatch_is_refused() -> None:
    class FixedT(MeanBackbone):
        num_segments = 8

    model = Recognizer(FixedT(), LinearHead(3, 2), input_layout="NCHW")
    assert model.num_segments == 8
    with pytest.raises(ValueError, match="8 segments"):
        model.predict(torch.zeros(1, 4, 3, 5, 5, dtype=torch.uint8))
    with pytest.raises(ValueError, match="multiple"):
        model(torch.zeros(12, 3, 5, 5))


def test_forward_train_loss_and_top1_by_hand() -> None:
    model = _model("NCTHW")
    video = torch.randint(0, 256, (3, 2, 3, 4, 4), dtype=torch.uint8)
    labels = torch.tensor([0, 3, 1])
    out = model.forward_train({"video": video, "label": labels})
    logits = model(model.preprocess(video))
    torch.testing.assert_close(out["loss"], F.cross_entropy(logits, labels))
    assert float(out["top1"]) == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    out["loss"].backward()
    assert model.head.fc.weight.grad is not None

    soft = torch.softmax(torch.randn(3, 4), dim=1)
    out = model.forward_train({"video": video, "label": soft})
    torch.testing.assert_close(out["loss"], -(soft * logits.log_softmax(1)).sum(1).mean())
    assert "top1" not in out


def test_forward_train_averages_logits_of_several_views() -> None:
    model = _model("NCTHW")
    video = torch.randint(0, 256, (2, 3, 2, 3, 4, 4), dtype=torch.uint8)
    labels = torch.tensor([1, 2])
    logits = model(model.preprocess(video)).view(2, 3, -1).mean(1)
    torch.testing.assert_close(model.forward_train({"video": video, "label": labels})["loss"], F.cross_entropy(logits, labels))


def test_neck_auxiliary_loss_is_added() -> None:
    class AuxNeck(nn.Module):
        def forward(self, feats: Tensor) -> Tensor:
            return feats * 2

        def forward_train(self, feats: Tensor, labels: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
            assert labels.shape == (2,)
            return feats * 2, {"loss_aux": feats.abs().mean()}

    torch.manual_seed(0)
    model = Recognizer(MeanBackbone(), LinearHead(3, 4), AuxNeck(), mean=MEAN, std=STD)
    video = torch.randint(0, 256, (2, 2, 3, 4, 4), dtype=torch.uint8)
    labels = torch.tensor([1, 2])
    out = model.forward_train({"video": video, "label": labels})
    x = model.preprocess(video)
    feats = model.backbone(x)
    ce = F.cross_entropy(model.head(feats * 2), labels)
    torch.testing.assert_close(out["loss"], ce + feats.abs().mean())
    torch.testing.assert_close(out["loss_aux"], feats.abs().mean())


def test_forward_eval_and_reset_classifier() -> None:
    model = _model("NCTHW").eval()
    video = torch.randint(0, 256, (2, 2, 3, 4, 4), dtype=torch.uint8)
    out = model.forward_eval({"video": video, "label": torch.tensor([0, 1])})
    assert out["scores"].shape == (2, 4) and out["labels"].tolist() == [0, 1]
    torch.testing.assert_close(out["scores"].sum(1), torch.ones(2))
    model.reset_classifier(9)
    assert model.num_classes == 9 and model.predict(video).shape == (2, 9)


def test_normalization_buffers_are_not_in_the_state_dict_but_follow_the_device() -> None:
    model = _model()
    assert "mean" not in model.state_dict() and "std" not in model.state_dict()
    assert model.to(torch.float64).mean.dtype == torch.float64


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="input_layout"):
        Recognizer(MeanBackbone(), LinearHead(3, 2), input_layout="NTCHW")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="std"):
        Recognizer(MeanBackbone(), LinearHead(3, 2), std=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="num_segments"):
        Recognizer(MeanBackbone(), LinearHead(3, 2), input_layout="NCHW")(torch.zeros(4, 3, 2, 2))
