"""Writes fixtures/mnist_t10k_first2_bilinear32.txt: the first two MNIST test images resized
28 -> 32 by PyTorch's F.interpolate(mode='bilinear', align_corners=False) and scaled to [-1, 1],
as the authors and the peer do. Run: /usr/bin/python3 make_bilinear_fixture.py MNIST_DIR"""
import gzip, os, sys
import numpy as np
import torch
import torch.nn.functional as F

with gzip.open(os.path.join(sys.argv[1], 't10k-images-idx3-ubyte.gz'), 'rb') as f:
    b = f.read()
x = np.frombuffer(b[16:16 + 2 * 784], dtype=np.uint8).reshape(2, 1, 28, 28)
t = torch.from_numpy(x.astype(np.float32) / 255.0)
y = F.interpolate(t, size=(32, 32), mode='bilinear', align_corners=False) * 2 - 1
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'fixtures',
                   'mnist_t10k_first2_bilinear32.txt')
np.savetxt(out, y.numpy().reshape(-1), fmt='%.8f')
