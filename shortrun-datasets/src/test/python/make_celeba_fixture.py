"""Writes fixtures/celeba/pattern.jpg (178 x 218, like aligned CelebA) and the torchvision
preprocessing of it, Resize(s) then CenterCrop(s) on the PIL image (bilinear with antialiasing),
for s = 32 and 64: fixtures/celeba/pattern_{s}.txt, planar RGB bytes as integers.
Run: /usr/bin/python3 make_celeba_fixture.py"""
import os
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'fixtures', 'celeba')
os.makedirs(out, exist_ok=True)
y, x = np.mgrid[0:218, 0:178]
rgb = np.stack([(x * 255 // 177), (y * 255 // 217), (128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0))], axis=-1)
img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), 'RGB')
path = os.path.join(out, 'pattern.jpg')
img.save(path, quality=95)
decoded = Image.open(path).convert('RGB')
for s in (32, 64):
    w, h = decoded.size                      # torchvision Resize(s): shorter side to s
    nw, nh = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
    r = decoded.resize((nw, nh), Image.BILINEAR)
    top, left = int(round((nh - s) / 2.0)), int(round((nw - s) / 2.0))
    c = np.asarray(r.crop((left, top, left + s, top + s)), dtype=np.uint8)
    np.savetxt(os.path.join(out, 'pattern_%d.txt' % s), c.transpose(2, 0, 1).reshape(-1), fmt='%d')
