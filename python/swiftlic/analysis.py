"""Latent-space analysis: t-SNE of raw inputs, codes and reconstructions (EE276 report, Fig. "latent analysis").

>>> from swiftlic import analysis, models                               # doctest: +SKIP
>>> from swiftlic.data import MNIST                                     # doctest: +SKIP
>>> test = MNIST(split="test")                                          # doctest: +SKIP
>>> fig = analysis.tsne_figure(models.load("runs/ee276-dense/model.safetensors"),
...                            test.as_float()[:1000], test.labels[:1000])  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidArgumentError

__all__ = ["tsne_embeddings", "tsne_figure"]


def tsne_embeddings(model, images, *, perplexity: float = 30.0, seed: int = 0, batch: int = 500) -> dict:
    """2-D t-SNE embeddings (scikit-learn) of the raw inputs, the model's codes and its reconstructions.

    ``images``: N×C×H×W float32 in [0, 1] (the model's input layout). Returns ``{"inputs", "codes",
    "reconstructions"}``, each N×2.
    """
    from sklearn.manifold import TSNE

    x = np.asarray(images)
    if x.dtype != np.float32 or x.ndim != 4:
        raise InvalidArgumentError(f"images: expected N×C×H×W float32, got {x.dtype} of shape {x.shape}")
    if len(x) <= perplexity:
        raise InvalidArgumentError(f"images: t-SNE with perplexity {perplexity} needs more than {perplexity} "
                                   f"images, got {len(x)}")
    model.eval()
    codes, recs = [], []
    for i in range(0, len(x), batch):
        y = model.encode(np.ascontiguousarray(x[i:i + batch]))
        yq, _ = model.quantize(y)
        codes.append(np.asarray(y).reshape(len(y), -1))
        recs.append(model.decode(yq).reshape(len(y), -1))
    feats = {"inputs": x.reshape(len(x), -1), "codes": np.concatenate(codes), "reconstructions": np.concatenate(recs)}
    return {k: TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(v.astype(np.float64))
            for k, v in feats.items()}


def tsne_figure(model, images, labels, *, perplexity: float = 30.0, seed: int = 0, path=None, title: str = ""):
    """A three-panel matplotlib figure (inputs, codes, reconstructions) coloured by ``labels``; saved to ``path``
    when given. Returns the figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise InvalidArgumentError(f"labels: expected {len(images)} labels, got {len(labels)}")
    emb = tsne_embeddings(model, images, perplexity=perplexity, seed=seed)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    for ax, (name, e) in zip(axes, emb.items()):
        sc = ax.scatter(e[:, 0], e[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(sc, ax=axes, ticks=range(10), label="label", fraction=0.02)
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig
