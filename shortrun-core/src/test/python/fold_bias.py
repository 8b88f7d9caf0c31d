"""The step-size objective's estimate past the fold, in one dimension (docs/STEPSIZE.md).

U(e) = e^2/2 + log cosh(20 e) has the curvature 1 + 400 sech^2(20 e): sharp at 0, the prior's
far away, like a generator's energy. Past s = sqrt(2/401) a Langevin step's derivative
1 - (s^2/2) U'' is negative near 0 and positive far away, so the K-step map F(., eps) folds and
several e_0 reach the same e_K. The estimate log p(e_0) - log|F'(e_0)| keeps one of them; the
density of e_K given eps sums over all. This script prints both objectives per s: they agree
before the fold and the one-preimage estimate falls below after it.

Run: /usr/bin/python3 fold_bias.py (numpy only; about a minute).
"""
import numpy as np

C, B, K = 1.0, 20.0, 10


def energy(e):
    return e ** 2 / 2 + C * np.log(np.cosh(B * e))


def langevin(e0, eps, s):
    e = e0.copy()
    log_det = np.zeros_like(e)
    for k in range(K):
        grad = e + C * B * np.tanh(B * e)
        curvature = 1 + C * B * B / np.cosh(B * e) ** 2
        log_det += np.log(np.abs(1 - s * s / 2 * curvature))
        e = e - s * s / 2 * grad + s * eps[k]
    return e, log_det


def main():
    rng = np.random.default_rng(1)
    grid = np.linspace(-7, 7, 400001)
    chains = 300
    log_prior = lambda e: -e ** 2 / 2 - 0.5 * np.log(2 * np.pi)
    for s in [0.04, 0.06, 0.08, 0.10, 0.12, 0.16]:
        one, every = [], []
        for _ in range(chains):
            eps = rng.standard_normal(K)
            e0 = rng.standard_normal(1)
            e_k, log_det = langevin(e0, eps, s)
            one.append((log_prior(e0) - log_det + energy(e_k))[0])
            # every preimage of e_K: the sign changes of F(grid) - e_K, refined linearly
            f, _ = langevin(grid, eps, s)
            gap = f - e_k[0]
            density = 0.0
            for i in np.where(np.sign(gap[:-1]) != np.sign(gap[1:]))[0]:
                root = grid[i] - gap[i] * (grid[i + 1] - grid[i]) / (gap[i + 1] - gap[i])
                _, ld = langevin(np.array([root]), eps, s)
                density += np.exp(log_prior(root) - ld[0])
            every.append(np.log(density) + energy(e_k)[0])
        print(f"s = {s:.2f}  one preimage {np.mean(one):7.3f}  every preimage {np.mean(every):7.3f}"
              f" +- {np.std(every) / np.sqrt(chains):.3f}")


if __name__ == "__main__":
    main()
