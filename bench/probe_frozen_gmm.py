"""Offline probe of the frozen COCO MobileNetV3 features on an anomaly protocol (research, not part of the library).

    python3 bench/probe_frozen_gmm.py TRAIN_PREFIX EVAL_PREFIX [--components 5] [--per-class 20000] [--pca 64]

TRAIN_PREFIX / EVAL_PREFIX are written by `npm run bench:dump-frozen-maps` (a training set, and a set with anomaly
masks). The recipe of `../shared/docs/probe-camvid.md` ("bb" features, its best anomaly setting): per pixel of the
stride-8 grid the s8 map and the bilinearly upsampled s32 map (672-d), standardised, PCA to 64-d, L2-normalised; per
class a diagonal GMM (K components, 100 EM iterations from K random data points where the document used sklearn's
k-means start; uniform class prior) on at most `--per-class` labelled training pixels; beside it a linear softmax on
the standardised 672-d features (Adam, 4 epochs, all labelled pixels). Scores are computed on the grid, bilinearly
upsampled (half-pixel centres) to label size and ranked over the eval set's non-void pixels: GMM = −max_c log
p(x|c), MSP, max-logit, energy. AP / FPR95 / AUROC are the project's definitions (step AP over tie-grouped
thresholds; FPR at the first threshold with TPR ≥ 0.95; trapezoid AUROC). Needs numpy and PyTorch (Debian:
python3-numpy, python3-torch), deterministic for a seed.
"""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F


def load(prefix):
    """[(maps, label, anomaly or None)] from PREFIX.json / PREFIX.bin."""
    head = json.load(open(prefix + '.json'))
    buf = open(prefix + '.bin', 'rb').read()
    at, out = 0, []
    for e in head['entries']:
        maps = []
        for sh in e['shapes']:
            n = sh[0] * sh[1] * sh[2]
            maps.append(torch.from_numpy(np.frombuffer(buf, np.float32, n, at).reshape(sh).copy()))
            at += 4 * n
        h, w = e['labelSize']
        lab = torch.from_numpy(np.frombuffer(buf, np.uint8, h * w, at).reshape(h, w).copy())
        at += h * w
        an = None
        if head['anomaly']:
            an = torch.from_numpy(np.frombuffer(buf, np.uint8, h * w, at).reshape(h, w).copy())
            at += h * w
        out.append((maps, lab, an))
    if at != len(buf):
        raise SystemExit(f'{prefix}.bin: {len(buf)} bytes, header describes {at}')
    return head['classes'], out


def grid_features(maps):
    """s8 ‖ upsampled s32 → [h·w, c8 + c32] and the grid size."""
    s8, s32 = maps[0].permute(2, 0, 1)[None], maps[1].permute(2, 0, 1)[None]
    up = F.interpolate(s32, size=s8.shape[2:], mode='bilinear', align_corners=False)
    x = torch.cat([s8, up], 1)[0]
    return x.permute(1, 2, 0).reshape(-1, x.shape[0]), s8.shape[2:]


def grid_labels(lab, grid):
    """Nearest label at each grid cell centre."""
    h, w = grid
    sy, sx = lab.shape[0] // h, lab.shape[1] // w
    return lab[sy // 2::sy, sx // 2::sx][:h, :w].reshape(-1).long()


def fit_gmm(x, k, gen, iters=100, reg=1e-6):
    n, d = x.shape
    mu = x[torch.randperm(n, generator=gen)[:k]].clone()
    var = x.var(0, keepdim=True).repeat(k, 1)
    w = torch.full((k,), 1.0 / k, dtype=x.dtype)
    for _ in range(iters):
        r = torch.softmax(component_ll(x, mu, var) + torch.log(w)[None], 1)
        nk = r.sum(0) + 1e-10
        mu = (r.T @ x) / nk[:, None]
        var = (r.T @ x**2) / nk[:, None] - mu**2 + reg
        w = nk / n
    return mu, var, w


def component_ll(x, mu, var):
    d = x.shape[1]
    maha = ((x[:, None, :] - mu[None]) ** 2 / var[None]).sum(-1)
    return -0.5 * (maha + torch.log(var).sum(-1)[None] + d * np.log(2 * np.pi))


def metrics(score, y):
    """AP, FPR95, AUROC in % (higher score = more anomalous)."""
    o = np.argsort(-score, kind='stable')
    s, t = score[o], y[o].astype(np.float64)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp, fp = np.cumsum(t)[last], np.cumsum(1 - t)[last]
    P, N = tp[-1], fp[-1]
    rec, prec = tp / P, tp / (tp + fp)
    ap = np.sum(np.diff(np.r_[0, rec]) * prec)
    fpr95 = fp[np.searchsorted(rec, 0.95)] / N
    tpr, fpr = np.r_[0, rec], np.r_[0, fp / N]
    auroc = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
    return 100 * ap, 100 * fpr95, 100 * auroc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('train')
    ap.add_argument('eval')
    ap.add_argument('--components', type=int, default=5)
    ap.add_argument('--per-class', type=int, default=20000)
    ap.add_argument('--pca', type=int, default=64)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    classes, train = load(a.train)
    _, evals = load(a.eval)
    if evals[0][2] is None:
        raise SystemExit(f'{a.eval}: no anomaly masks (dump an anomaly set: test-heldout or test-pasted)')
    C = len(classes)
    n_train = len(train)
    xs, ys = zip(*[(f, grid_labels(lab, g)) for f, g, lab in ((*grid_features(m), lab) for m, lab, _ in train)])
    del train
    y = torch.cat(ys)
    keep = y < C
    z, y = torch.cat(xs)[keep], y[keep]  # float32 throughout: 0.9 M pixels × 672
    del xs
    mean, std = z.double().mean(0).float(), z.double().std(0).float() + 1e-6
    z.sub_(mean).div_(std)
    _, _, v = torch.pca_lowrank(z[torch.randperm(len(z), generator=gen)[:200000]].double(), q=a.pca, center=False)

    def embed(zf):
        e = zf.double() @ v
        return e / e.norm(dim=1, keepdim=True)

    e = embed(z)
    gmms = []
    for c in range(C):
        idx = torch.nonzero(y == c)[:, 0]
        idx = idx[torch.randperm(len(idx), generator=gen)[: a.per_class]]
        gmms.append(fit_gmm(e[idx], a.components, gen))
    lin = torch.nn.Linear(z.shape[1], C)
    opt = torch.optim.Adam(lin.parameters(), 1e-3)
    for _ in range(4):
        perm = torch.randperm(len(z), generator=gen)
        for b in range(0, len(perm), 4096):
            i = perm[b : b + 4096]
            loss = F.cross_entropy(lin(z[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    names = ['gmm', 'msp', 'maxLogit', 'energy']
    scores, labels = {k: [] for k in names}, []
    with torch.no_grad():
        for maps, lab, an in evals:
            f, grid = grid_features(maps)
            zf = (f - mean) / std
            L = torch.stack([component_ll(embed(zf), g[0], g[1]).max(1).values for g in gmms], 1)
            logits = lin(zf).double()
            maps_ = {
                'gmm': -L.max(1).values,
                'msp': -torch.softmax(logits, 1).max(1).values,
                'maxLogit': -logits.max(1).values,
                'energy': -torch.logsumexp(logits, 1),
            }
            a_ = an.reshape(-1).numpy()
            valid = a_ != 255
            for k, s in maps_.items():
                up = F.interpolate(s.reshape(1, 1, *grid), size=tuple(lab.shape), mode='bilinear', align_corners=False)
                scores[k].append(up.reshape(-1).numpy()[valid])
            labels.append(a_[valid])
    y_ = np.concatenate(labels)
    print(f'probe: train {a.train} ({n_train} images, {C} classes), eval {a.eval} ({len(evals)} images, '
          f'anomalous {100 * y_.mean():.3f} % of {len(y_)} pixels); K={a.components}, PCA {a.pca}, seed {a.seed}')
    for k in names:
        print('%-8s AP %6.2f  FPR95 %6.2f  AUROC %6.2f' % ((k,) + metrics(np.concatenate(scores[k]), y_)))


if __name__ == '__main__':
    main()
