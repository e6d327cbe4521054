"""Audio model families, one module each: ``resnet`` (2D ResNet backbone), ``tsn`` (audio TSN
presets), ``resnet_audio`` (ResNetAudio / AudioOnly), ``head`` (the shared audio head)."""
