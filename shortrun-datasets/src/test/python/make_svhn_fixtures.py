"""Writes tiny SVHN files in the real format to resources/fixtures/svhn/ with scipy: MAT v5,
variables zlib-compressed (miCOMPRESSED), X uint8 32x32x3xN (MATLAB column-major), y with 10 for
the digit 0, in a different numeric class per file. Pixel X(r, c, ch, i) = (7r + 3c + 50ch + 11i)
mod 256, so a test can check the layout. Run: /usr/bin/python3 make_svhn_fixtures.py"""
import os
import numpy as np
from scipy.io import savemat

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'fixtures', 'svhn')
os.makedirs(out, exist_ok=True)

def images(n, offset):
    r, c, ch, i = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), np.arange(n) + offset, indexing='ij')
    return ((7 * r + 3 * c + 50 * ch + 11 * i) % 256).astype(np.uint8)

for name, n, offset, labels, dtype in [
        ('train_32x32.mat', 6, 0, [10, 1, 2, 3, 9, 10], np.float64),   # as released: y is double
        ('test_32x32.mat', 3, 100, [5, 10, 7], np.uint8),
        ('extra_32x32.mat', 2, 200, [4, 8], np.int32)]:
    y = np.array(labels, dtype=dtype).reshape(-1, 1)
    savemat(os.path.join(out, name), {'X': images(n, offset), 'y': y}, format='5', do_compression=True)
