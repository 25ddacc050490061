"""A small random forest of extremely randomised regression trees (numpy only), for SMAC.

Each tree is grown on a bootstrap sample; at every node a random subset of features is tried with one
uniformly random threshold each and the split that most reduces the squared error wins (Geurts et al.,
2006). Predictions give a mean and a variance: the spread of the trees' means plus the average variance
within the leaves reached (the law of total variance, as SMAC's forest does).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RandomForest"]


class _Tree:
    def __init__(self, feature: np.ndarray, threshold: np.ndarray, children: np.ndarray, value: np.ndarray,
                 variance: np.ndarray) -> None:
        self.feature = feature
        self.threshold = threshold
        self.children = children  # (nodes, 2); -1 for leaves
        self.value = value
        self.variance = variance

    def apply(self, X: np.ndarray) -> np.ndarray:
        node = np.zeros(len(X), dtype=int)
        rows = np.arange(len(X))
        while True:
            inner = self.children[node, 0] >= 0
            if not inner.any():
                return node
            f = self.feature[node[inner]]
            go_right = X[rows[inner], f] > self.threshold[node[inner]]
            node[inner] = self.children[node[inner], go_right.astype(int)]


class RandomForest:
    """Bootstrap extra-trees regressor with a predictive variance."""

    def __init__(self, n_trees: int = 16, min_samples_leaf: int = 2, feature_fraction: float = 5 / 6,
                 max_depth: int = 20) -> None:
        self.n_trees = n_trees
        self.min_samples_leaf = min_samples_leaf
        self.feature_fraction = feature_fraction
        self.max_depth = max_depth
        self._trees: list[_Tree] = []

    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> RandomForest:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self._trees = []
        for _ in range(self.n_trees):
            sample = rng.integers(len(X), size=len(X))
            self._trees.append(self._grow(X[sample], y[sample], rng))
        return self

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation at the rows of ``X``."""
        X = np.atleast_2d(X)
        means = np.empty((len(self._trees), len(X)))
        variances = np.empty_like(means)
        for t, tree in enumerate(self._trees):
            leaf = tree.apply(X)
            means[t] = tree.value[leaf]
            variances[t] = tree.variance[leaf]
        mean = means.mean(0)
        var = means.var(0) + variances.mean(0)
        return mean, np.sqrt(np.maximum(var, 1e-12))

    def _grow(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> _Tree:
        d = X.shape[1]
        n_features = max(1, int(round(self.feature_fraction * d)))
        feature, threshold, children, value, variance = [], [], [], [], []
        stack = [(np.arange(len(X)), 0, -1, 0)]  # (rows, depth, parent, side)
        leaf = self.min_samples_leaf
        while stack:
            rows, depth, parent, side = stack.pop()
            node = len(value)
            ys = y[rows]
            feature.append(0)
            threshold.append(0.0)
            children.append([-1, -1])
            value.append(float(ys.mean()))
            variance.append(float(ys.var()))
            if parent >= 0:
                children[parent][side] = node
            if len(rows) < 2 * leaf or depth >= self.max_depth or np.ptp(ys) <= 1e-12:
                continue
            feats = rng.choice(d, size=n_features, replace=False) if n_features < d else np.arange(d)
            Xs = X[np.ix_(rows, feats)]
            lo, hi = Xs.min(0), Xs.max(0)
            ok = hi > lo
            if not ok.any():
                continue
            feats, Xs, lo, hi = feats[ok], Xs[:, ok], lo[ok], hi[ok]
            thr = lo + rng.random(len(feats)) * (hi - lo)
            left = Xs <= thr
            n_left = left.sum(0)
            n_right = len(rows) - n_left
            s_left = (left * ys[:, None]).sum(0)
            s_right = ys.sum() - s_left
            valid = (n_left >= leaf) & (n_right >= leaf)
            if not valid.any():
                continue
            gain = np.where(valid, s_left**2 / np.maximum(n_left, 1) + s_right**2 / np.maximum(n_right, 1), -np.inf)
            best = int(np.argmax(gain))
            feature[node] = int(feats[best])
            threshold[node] = float(thr[best])
            mask = left[:, best]
            stack.append((rows[~mask], depth + 1, node, 1))
            stack.append((rows[mask], depth + 1, node, 0))
        return _Tree(np.array(feature), np.array(threshold), np.array(children, dtype=int), np.array(value),
                     np.array(variance))
