"""Makes the FID/KID reference fixtures and the tiny TorchScript "Inception" networks.

Run once with Debian's python3-torch, numpy and scipy:
    /usr/bin/python3 make_fid_fixtures.py ../resources/fixtures
The distances are computed exactly as pytorch-fid computes them (scipy.linalg.sqrtm of the
product, eps retry, real part) and KID as StyleGAN2-ADA does; Java must reproduce them.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg


def frechet(mu1, s1, mu2, s2, eps=1e-6):
    # pytorch-fid's calculate_frechet_distance
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("imaginary component")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid_all(real, fake):
    # StyleGAN2-ADA's kernel distance with one subset holding every vector (order-free)
    n = real.shape[1]
    m = real.shape[0]
    x, y = fake, real
    a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
    b = (x @ y.T / n + 1) ** 3
    return float(((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m) / m)


def feature_case(rng, d, n1, n2):
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    real = (np.abs(rng.standard_normal((n1, d)) @ mix)).astype(np.float32)
    fake = (np.abs(rng.standard_normal((n2, d)) @ mix * 1.2 + 0.1)).astype(np.float32)
    r, f = real.astype(np.float64), fake.astype(np.float64)
    case = {
        "real": real.tolist(),
        "fake": fake.tolist(),
        "real_mean": r.mean(0).tolist(),
        "real_cov_00": float(np.cov(r, rowvar=False)[0, 0]),
        "real_cov_01": float(np.cov(r, rowvar=False)[0, 1]),
        "fid": frechet(r.mean(0), np.cov(r, rowvar=False), f.mean(0), np.cov(f, rowvar=False)),
    }
    if n1 == n2:
        case["kid"] = kid_all(r, f)
    return case


class TinyTf(torch.nn.Module):
    """Same call signature as NVIDIA's inception-2015-12-05.pt: [0, 255] input, resizes inside."""

    def __init__(self, features: int):
        super().__init__()
        g = torch.Generator().manual_seed(1)
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 2 * 2, features)
        self.logits = torch.nn.Linear(features, 2)
        for p in self.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)

    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        x = img.to(torch.float32) / 127.5 - 1
        x = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)
        x = F.relu(self.conv(x))
        x = F.adaptive_avg_pool2d(x, 2).flatten(1)
        f = F.relu(self.fc(x))
        if return_features:
            return f
        return self.logits(f)


class TinyFid(torch.nn.Module):
    """Like a traced pytorch-fid InceptionV3: [0, 1] input at 299 x 299, [N, F, 1, 1] output."""

    def __init__(self, features: int):
        super().__init__()
        g = torch.Generator().manual_seed(2)
        self.conv = torch.nn.Conv2d(3, 8, 5, stride=4)
        self.fc = torch.nn.Conv2d(8, features, 1)
        for p in self.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)

    def forward(self, x):
        x = 2 * x - 1
        x = F.relu(self.conv(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return F.relu(self.fc(x))


def pattern(n, c, h, w):
    # the same integer pattern the Java test builds, as grey levels 0..255
    i, ch, y, x = np.meshgrid(np.arange(n), np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    return ((i * 7 + ch * 3 + y * 5 + x * 11) % 256).astype(np.float32)


def main(out):
    rng = np.random.default_rng(20261121)
    cases = {
        "full_rank": feature_case(rng, 32, 100, 100),
        "rank_deficient": feature_case(rng, 32, 12, 10),
    }
    with open(os.path.join(out, "fid_cases.json"), "w") as f:
        json.dump(cases, f)

    torch.manual_seed(0)
    tf = torch.jit.script(TinyTf(2048).eval())
    tf.save(os.path.join(out, "tiny_inception_tf.pt"))
    fid = torch.jit.trace(TinyFid(2048).eval(), torch.zeros(1, 3, 299, 299))
    fid.save(os.path.join(out, "tiny_inception_fid.pt"))
    small = torch.jit.trace(TinyFid(64).eval(), torch.zeros(1, 3, 299, 299))
    small.save(os.path.join(out, "tiny_inception_fid64.pt"))

    grey = torch.from_numpy(pattern(3, 1, 32, 32))
    rgb = grey.repeat(1, 3, 1, 1)
    with torch.no_grad():
        expected = {
            "tf": tf(rgb, return_features=True)[:, :16].tolist(),
            "fid": fid(F.interpolate(rgb / 255, size=(299, 299), mode="bilinear", align_corners=False))[:, :16, 0, 0].tolist(),
        }
    with open(os.path.join(out, "tiny_inception_expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
