"""Maize-shaped simulated time courses: ``maize1-sim`` and ``maize2-sim``.

Offline stand-ins for the PSGRN paper's maize-1/maize-2 (whose source files users import
themselves), with the same shape: one series of 107 time points, 101 candidate TFs, about
19% of the (TF, gene) candidate pairs positive, FPKM-like values (every gene's mean ≥ 1).
They are simulations, not maize data: use them to run and test the maize workflow, never to
claim results on maize.

Network
    ``n_genes`` genes, the first ``n_tfs`` of them TFs; only TFs regulate. TF out-degrees
    follow a power law over TF rank (Zipf, degree_k ∝ k^-alpha, capped at n_genes − 1) scaled
    so that the edges make ``density`` of the n_tfs × (n_genes − 1) candidate pairs. Each TF
    picks its targets without replacement with probability proportional to a per-gene
    log-normal "accessibility", so in-degrees are heavy-tailed too. ``n_masters`` TFs (random)
    get no regulators: they carry the developmental programme.

Dynamics (stochastic Hill kinetics, chemical Langevin equation, GeneNetWeaver-style
normalised units: x in [0, 1])::

    dx_i = λ_i (f_i(x) − x_i) dt + σ_i (sqrt(λ_i f_i(x)) dW1 − sqrt(λ_i x_i) dW2)
    f_i  = (b_i + Σ_j w_ij a_ij) / (b_i + Σ_j w_ij)            (additive input, as in SERGIO)
    a_ij = h(x_j) for an activator, 1 − h(x_j) for a repressor,  h(x) = x^n / (θ^n + x^n)

Edge weights w_ij are log-normal (σ = 1.5: a few strong, many weak regulators per gene, as
ChIP-seq binding is not all functional); 70% of edges activate. Hill coefficients n ~ U(2, 4)
per TF; half-response levels θ_j follow SERGIO's rule (θ = the regulator's mean level), taken
from a pilot run and jittered ×U(0.7, 1.3). Decay rates λ ~ U(0.3, 1.2) per sampling interval
(half-lives 0.6–2.3 intervals), so targets follow their regulators with a lag of about one
time point. Intrinsic noise σ_i = 0.05 (log-normal per gene), 0.6 for TFs (low copy
number): the TFs' own fluctuations are what distinguishes a regulator from a co-expressed TF.
Master TFs follow f_m(t): a baseline plus one to three logistic switches (on or off) at
random times, the seed/developmental waves. Time unit = one sampling interval; Euler–Maruyama
with ``substeps`` = 20 steps per interval after a burn-in of 50 intervals at the t = 0
programme. Observed value = FPKM-like scale × x × log-normal measurement noise (per-gene SD
U(0.03, 0.15)); gene scales are log-normal (median 20) with each gene's mean raised to at
least 1.5 so the maize filter (mean ≥ 1) keeps every gene.

Density 0.199 of the maize2-sim pairs gives maize1-sim 9,746 positives of 51,106 pairs
(19.1%; the paper's maize-1: 9,690, 19.0%). Generation takes about 1–5 s (two integrations).

``maize2-sim`` is the whole simulation (1,000 genes); ``maize1-sim`` is the 101 TFs plus the
first 406 other genes of the same run (507 genes, 51,106 pairs, as the paper's maize-1),
mirroring maize-1 ⊂ maize-2 in the real construction. Everything is drawn from one seeded
``numpy.random.default_rng``; the result is cached in the user data directory.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from grnbench.data.dataset import Dataset
from grnbench.errors import DataError

from .store import ensure_dir, user_data_dir

#: bump when the generator changes, so stale caches are not reused
GENERATOR_VERSION = 1
SOURCE = "simulated by grnbench (datasets/simulate.py): stochastic Hill-kinetics model on a power-law TF network"
LICENCE = "BSD-3-Clause (generated data, part of grnbench)"


@dataclass(frozen=True)
class SimParams:
    n_genes: int = 1000
    n_tfs: int = 101
    n_times: int = 107
    density: float = 0.199
    alpha: float = 0.5
    n_masters: int = 10
    activator_fraction: float = 0.7
    weight_sigma: float = 1.5
    accessibility_sigma: float = 0.5
    hill_n: tuple[float, float] = (2.0, 4.0)
    theta: tuple[float, float] = (0.7, 1.3)
    basal: tuple[float, float] = (0.0, 0.3)
    decay: tuple[float, float] = (0.3, 1.2)
    intrinsic_noise: float = 0.05
    tf_noise: float = 0.6
    measurement_noise: tuple[float, float] = (0.03, 0.15)
    substeps: int = 20
    burn_in: float = 50.0
    seed: int = 20231
    maize1_genes: int = 507


@dataclass(frozen=True)
class Simulation:
    genes: tuple[str, ...]
    tfs: tuple[str, ...]
    expression: np.ndarray  # genes × times, FPKM-like
    edges: tuple[tuple[str, str, float], ...]  # (tf, target, signed weight)
    params: SimParams


def _degrees(params: SimParams) -> np.ndarray:
    cap = params.n_genes - 1 - params.n_masters  # masters are never targets
    total = round(params.density * params.n_tfs * (params.n_genes - 1))
    ranks = np.arange(1, params.n_tfs + 1, dtype=float) ** -params.alpha
    lo, hi = 0.0, float(total)
    for _ in range(100):  # bisection on the scale so the capped degrees sum to `total`
        mid = (lo + hi) / 2
        if np.minimum(np.round(mid * ranks), cap).sum() < total:
            lo = mid
        else:
            hi = mid
    return np.clip(np.minimum(np.round(hi * ranks), cap), 1, cap).astype(np.int64)


def _network(params: SimParams, rng: np.random.Generator):
    n, t = params.n_genes, params.n_tfs
    masters = rng.choice(t, size=params.n_masters, replace=False)
    degrees = rng.permutation(_degrees(params))
    access = rng.lognormal(0.0, params.accessibility_sigma, size=n)
    access[masters] = 0.0
    weights = np.zeros((t, n))
    for tf in range(t):
        p = access.copy()
        p[tf] = 0.0
        targets = rng.choice(n, size=degrees[tf], replace=False, p=p / p.sum())
        sign = np.where(rng.random(len(targets)) < params.activator_fraction, 1.0, -1.0)
        weights[tf, targets] = sign * rng.lognormal(0.0, params.weight_sigma, size=len(targets))
    return masters, weights


def _programme(params: SimParams, masters: np.ndarray, rng: np.random.Generator):
    """Target activity f_m(t) of each master TF: baseline plus logistic on/off switches."""
    k = len(masters)
    base = rng.uniform(0.05, 0.4, size=k)
    switches = []
    for i in range(k):
        for _ in range(rng.integers(1, 4)):
            switches.append((i, rng.uniform(0, params.n_times - 1), rng.uniform(2.0, 15.0),
                             rng.uniform(0.3, 0.7) * rng.choice([1.0, -1.0])))

    def at(time: float) -> np.ndarray:
        level = base.copy()
        for i, centre, width, height in switches:
            level[i] += height / (1.0 + np.exp(-(time - centre) / (width / 4)))
        return np.clip(level, 0.02, 0.98)

    return at


def simulate(params: SimParams | None = None) -> Simulation:
    params = params or SimParams()
    rng = np.random.default_rng(params.seed)
    n, t = params.n_genes, params.n_tfs
    masters, w = _network(params, rng)
    absw = np.abs(w)
    activator = w > 0
    hill_n = rng.uniform(*params.hill_n, size=t)[:, None]
    basal = rng.uniform(*params.basal, size=n) * absw.sum(axis=0)
    basal_level = rng.uniform(0.05, 0.5, size=n)  # level of a gene with no regulators
    denom = basal + absw.sum(axis=0)
    decay = rng.uniform(*params.decay, size=n)
    sigma = params.intrinsic_noise * rng.lognormal(0.0, 0.3, size=n)
    sigma[:t] *= params.tf_noise / params.intrinsic_noise  # TFs: low copy number, noisier
    is_master = np.zeros(n, dtype=bool)
    is_master[masters] = True
    free = (absw.sum(axis=0) == 0) & ~is_master
    programme = _programme(params, masters, rng)

    def production(x: np.ndarray, time: float) -> np.ndarray:
        xt = np.maximum(x[:t], 0.0)[:, None]
        h = xt ** hill_n / (theta ** hill_n + xt ** hill_n)  # t × 1
        act = np.where(activator, h, 1.0 - h)                  # t × n
        f = (basal * basal_level + np.einsum("ij,ij->j", absw, act)) / np.where(denom > 0, denom, 1.0)
        f[free] = basal_level[free]
        f[masters] = programme(time)
        return f

    dt = 1.0 / params.substeps
    sq = np.sqrt(dt)

    def integrate(noise_rng: np.random.Generator) -> np.ndarray:
        x = np.full(n, 0.3)
        out = np.empty((n, params.n_times))

        def step(x: np.ndarray, time: float) -> np.ndarray:
            f = production(x, time)
            drift = decay * (f - x)
            noise = sigma * (np.sqrt(decay * f) * noise_rng.normal(size=n)
                             - np.sqrt(decay * np.maximum(x, 0)) * noise_rng.normal(size=n))
            return np.clip(x + drift * dt + noise * sq, 0.0, None)

        for _ in range(int(params.burn_in * params.substeps)):
            x = step(x, 0.0)
        for k in range(params.n_times):
            out[:, k] = x
            if k < params.n_times - 1:
                for s in range(params.substeps):
                    x = step(x, k + s * dt)
        return out

    # SERGIO's rule: a regulator's half-response level θ_j is its mean level. Found by a pilot
    # run (θ = 0.3), then θ_j = pilot mean × U(theta) jitter for the real run.
    theta = np.full((t, 1), 0.3)
    pilot = integrate(np.random.default_rng([params.seed, 1]))
    theta = (np.maximum(pilot[:t].mean(axis=1), 0.02) * rng.uniform(*params.theta, size=t))[:, None]
    out = integrate(rng)

    scale = rng.lognormal(np.log(20.0), 1.2, size=n)
    noise_sd = rng.uniform(*params.measurement_noise, size=n)[:, None]
    fpkm = scale[:, None] * (out + 1e-3) * np.exp(noise_sd * rng.normal(size=out.shape))
    fpkm *= np.maximum(1.0, 1.5 / fpkm.mean(axis=1))[:, None]

    width = len(str(n))
    names = tuple([f"simTF{i + 1:03d}" for i in range(t)] + [f"simG{i + 1:0{width}d}" for i in range(n - t)])
    rows, cols = np.nonzero(w)
    edges = tuple((names[r], names[c], float(w[r, c])) for r, c in zip(rows, cols, strict=True))
    return Simulation(names, names[:t], fpkm, edges, params)


def _cache_path(params: SimParams) -> Path:
    return user_data_dir() / "simulated" / f"maize-sim-v{GENERATOR_VERSION}-seed{params.seed}.npz"


def cached_simulation(params: SimParams | None = None) -> Simulation:
    """The simulation for ``params``, generated once and then read from the data directory."""
    params = params or SimParams()
    path = _cache_path(params)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                if json.loads(str(z["params"])) == json.loads(json.dumps(asdict(params))):
                    genes = tuple(z["genes"].tolist())
                    regs, tgts = z["edge_tf"].tolist(), z["edge_target"].tolist()
                    return Simulation(genes, genes[: params.n_tfs], z["expression"],
                                      tuple(zip(regs, tgts, z["edge_weight"].tolist(), strict=True)), params)
        except (OSError, ValueError, KeyError):
            pass  # unreadable or stale cache: regenerate below
    sim = simulate(params)
    ensure_dir(path.parent)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, genes=np.array(sim.genes), expression=sim.expression,
                        edge_tf=np.array([e[0] for e in sim.edges]),
                        edge_target=np.array([e[1] for e in sim.edges]),
                        edge_weight=np.array([e[2] for e in sim.edges]),
                        params=json.dumps(asdict(params)))
    tmp.replace(path)
    return sim


def sim_dataset(which: str, params: SimParams | None = None, sim: Simulation | None = None) -> Dataset:
    """``maize1-sim`` (the TFs + first non-TF genes) or ``maize2-sim`` (all genes)."""
    sim = sim or cached_simulation(params)
    p = sim.params
    if which == "maize1-sim":
        keep = p.maize1_genes
    elif which == "maize2-sim":
        keep = p.n_genes
    else:
        raise ValueError(which)
    genes = sim.genes[:keep]
    gene_set = set(genes)
    gold = frozenset((r, t) for r, t, _ in sim.edges if r in gene_set and t in gene_set)
    if not gold:
        raise DataError(which, "the simulated network has no edges; check the simulation parameters")
    times = np.arange(p.n_times, dtype=float)
    return Dataset(
        name=which, genes=genes, expression=sim.expression[:keep].copy(), times=times,
        series=np.zeros(p.n_times, dtype=np.int64), tfs=sim.tfs, gold_standard=gold,
        source=SOURCE, licence=LICENCE,
        description=(f"SIMULATED maize-shaped time course ({p.n_times} points, one series), "
                     f"{keep} genes / {p.n_tfs} TFs, seed {p.seed}, generator v{GENERATOR_VERSION}; "
                     "not maize data"),
        origin=str(_cache_path(p)),
    )
