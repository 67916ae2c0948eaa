"""Typical wrong answers for lecture 02 (data preprocessing).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""

MISTAKES = {
    "zero_center": [
        ("centers X_other with its own mean", '''
def zero_center(X_train, X_other):
    return X_train - X_train.mean(axis=0), X_other - X_other.mean(axis=0)
'''),
        ("mean over the wrong axis (per sample instead of per feature)", '''
def zero_center(X_train, X_other):
    mean = X_train.mean(axis=1, keepdims=True)
    return X_train - mean, X_other - X_train.mean()
'''),
        ("one global mean over all features", '''
def zero_center(X_train, X_other):
    mean = X_train.mean()
    return X_train - mean, X_other - mean
'''),
        ("changes the inputs in place", '''
def zero_center(X_train, X_other):
    mean = X_train.mean(axis=0)
    X_train -= mean
    X_other -= mean
    return X_train, X_other
'''),
    ],
    "standardize": [
        ("standardizes X_other with its own statistics", '''
def standardize(X_train, X_other):
    def own(X):
        std = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(std < 1e-8, 1.0, std)
    return own(X_train), own(X_other)
'''),
        ("divides by the variance instead of the std", '''
def standardize(X_train, X_other):
    mean, var = X_train.mean(axis=0), X_train.var(axis=0)
    var = np.where(var < 1e-8, 1.0, var)
    return (X_train - mean) / var, (X_other - mean) / var
'''),
        ("divides by a zero std (constant feature gives nan)", '''
def standardize(X_train, X_other):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_train - mean) / std, (X_other - mean) / std
'''),
    ],
    "minmax_scale": [
        ("scales to [0, 1] instead of [-1, 1]", '''
def minmax_scale(X_train, X_other):
    low = X_train.min(axis=0)
    span = np.where(X_train.max(axis=0) - low < 1e-8, 1.0, X_train.max(axis=0) - low)
    return (X_train - low) / span, (X_other - low) / span
'''),
        ("scales X_other with its own min and max", '''
def minmax_scale(X_train, X_other):
    def own(X):
        low = X.min(axis=0)
        span = np.where(X.max(axis=0) - low < 1e-8, 1.0, X.max(axis=0) - low)
        return 2 * (X - low) / span - 1
    return own(X_train), own(X_other)
'''),
        ("one global min and max over all features", '''
def minmax_scale(X_train, X_other):
    low, high = X_train.min(), X_train.max()
    return 2 * (X_train - low) / (high - low) - 1, 2 * (X_other - low) / (high - low) - 1
'''),
    ],
    "pca_reduce": [
        ("keeps the smallest eigenvalues (np.linalg.eigh sorts ascending)", '''
def pca_reduce(X_train, X_other, k):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[:, :k]
    return centered @ top, (X_other - mean) @ top
'''),
        ("does not center the data", '''
def pca_reduce(X_train, X_other, k):
    eigvals, eigvecs = np.linalg.eigh(X_train.T @ X_train / len(X_train))
    top = eigvecs[:, ::-1][:, :k]
    return X_train @ top, X_other @ top
'''),
        ("centers X_other with its own mean", '''
def pca_reduce(X_train, X_other, k):
    centered = X_train - X_train.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[:, ::-1][:, :k]
    return centered @ top, (X_other - X_other.mean(axis=0)) @ top
'''),
        ("takes rows of the eigenvector matrix instead of columns", '''
def pca_reduce(X_train, X_other, k):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[::-1][:k].T
    return centered @ top, (X_other - mean) @ top
'''),
    ],
    "whiten": [
        ("divides by the eigenvalues (variance) instead of their square root", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    return centered @ eigvecs / (eigvals + eps), (X_other - mean) @ eigvecs / (eigvals + eps)
'''),
        ("ignores eps", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    return centered @ eigvecs / np.sqrt(eigvals), (X_other - mean) @ eigvecs / np.sqrt(eigvals)
'''),
        ("whitens X_other with its own statistics", '''
def whiten(X_train, X_other, eps=1e-5):
    def own(X):
        centered = X - X.mean(axis=0)
        eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X))
        return centered @ eigvecs[:, ::-1] / np.sqrt(eigvals[::-1] + eps)
    return own(X_train), own(X_other)
'''),
        ("keeps eigh's ascending order", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    scale = np.sqrt(eigvals + eps)
    return centered @ eigvecs / scale, (X_other - mean) @ eigvecs / scale
'''),
    ],
    "preprocessor": [
        ("transform fits on the data it transforms", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        self._axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        return self

    def transform(self, X):
        mean = X.mean(axis=self._axes)
        if self.method == "center":
            return X - mean
        std = X.std(axis=self._axes)
        return (X - mean) / np.where(std < 1e-8, 1.0, std)
'''),
        ("fit does not return self", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
        ("per_channel ignored: statistics over axis 0 only (the mean image)", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
        ("method ignored: always standardizes", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        return (X - self.mean) / self.std
'''),
    ],
}
