"""The full-size study behind notebook 12: which regularisers help LeNet-5 on the 28 x 28 digits?

The notebook compares six training recipes on 1,000 training images for 10 epochs, to fit in a
couple of minutes. This script runs the same recipes on all 4,000 training images of
`cnnlab.data.load_mnist` for more epochs, with several seeds, and prints the test accuracy of
each (mean, standard deviation over the seeds, and every seed), the gap between training and
test accuracy (both measured in evaluation mode after training), and the CPU time per run.

    python benchmarks/generalisation.py                    # 4,000 images, 20 epochs, 3 seeds
    python benchmarks/generalisation.py --n-train 1000 --epochs 8     # the notebook's table

With ``--n-train`` below 4,000 the images are chosen as in the notebook (its validation split,
50 per digit, set aside first, then the same number of each digit), so
``--n-train 1000 --epochs 8`` repeats the notebook's table exactly.

Models, recipes, optimiser and seeds are those of notebooks/12_generalisation.ipynb: LeNet-5
(modern form) in float32; augmentation by random shifts (2 pixels), rotations (10 degrees) and
scalings (10 %); dropout 0.3 after the two hidden dense layers; AdamW with weight decay 0.05;
batch norm after every convolution and hidden dense layer; Adam, lr 0.002, batches of 32.
Not a test: figures for the README and the lesson. Run it with one BLAS thread
(OPENBLAS_NUM_THREADS=1) for figures comparable with the notebook's.
"""

import argparse
import time

import numpy as np

import cnnlab as cl
from cnnlab import augment, data
from cnnlab.train import Adam, AdamW, accuracy, fit

RECIPES = {
    "baseline": dict(),
    "augmentation": dict(augment=True),
    "dropout 0.3": dict(dropout=0.3),
    "weight decay": dict(weight_decay=0.05),
    "batch norm": dict(batchnorm=True),
    "all four": dict(augment=True, dropout=0.3, weight_decay=0.05, batchnorm=True),
}
LEARNING_RATE = 2e-3
BATCH_SIZE = 32


def make_lenet5(seed=0, dropout=0.0, batchnorm=False):
    """LeNet-5 (modern form) in float32, optionally with dropout and batch norm (as in notebook 12)."""
    rng = np.random.default_rng(seed)
    f32 = dict(rng=rng, dtype=np.float32)

    def norm(layer, features):
        return [layer(features, dtype=np.float32)] if batchnorm else []

    def drop():                  # a new Dropout layer each time, if asked for
        return [cl.Dropout(dropout, rng=rng)] if dropout else []

    return cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2, bias=not batchnorm, **f32), *norm(cl.BatchNorm2D, 6),
        cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5, bias=not batchnorm, **f32), *norm(cl.BatchNorm2D, 16),
        cl.ReLU(), cl.AvgPool2D(2),
        cl.Flatten(),
        cl.Linear(400, 120, **f32), *norm(cl.BatchNorm1D, 120), cl.ReLU(), *drop(),
        cl.Linear(120, 84, **f32), *norm(cl.BatchNorm1D, 84), cl.ReLU(), *drop(),
        cl.Linear(84, 10, **f32),
    )


def prepare(images):
    """uint8 images (N, 28, 28) -> float32 batch (N, 1, 28, 28) with values 0..1."""
    return (images / 255.0).astype(np.float32)[:, None]


def per_digit(labels, n, seed=0):
    """Indices of n randomly chosen images of each digit (a seeded, stratified sample)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(np.flatnonzero(labels == d))[:n] for d in range(10)])


def training_images(n_train):
    """(X, y): all 4,000 training images, or n_train of them chosen as in notebook 12."""
    images, labels = data.load_mnist("train")
    if n_train < len(labels):
        is_val = np.zeros(len(labels), dtype=bool)
        is_val[per_digit(labels, 50)] = True          # the notebook's validation split
        images, labels = images[~is_val], labels[~is_val]
        index = per_digit(labels, n_train // 10)
        images, labels = images[index], labels[index]
    return prepare(images), labels


def train_recipe(recipe, seed, X, y, epochs, augmentation):
    """Train LeNet-5 with one recipe; the seeds match the notebook's."""
    model = make_lenet5(seed, dropout=recipe.get("dropout", 0.0),
                        batchnorm=recipe.get("batchnorm", False))
    decay = recipe.get("weight_decay", 0.0)
    optimizer = (AdamW(model, lr=LEARNING_RATE, weight_decay=decay) if decay
                 else Adam(model, lr=LEARNING_RATE))
    fit(model, X, y, epochs=epochs, batch_size=BATCH_SIZE, optimizer=optimizer, rng=seed + 100,
        augment=augmentation if recipe.get("augment") else None, progress=False)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-train", type=int, default=4000,
                        help="training images, the same number per digit (default: all 4,000)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES), choices=list(RECIPES),
                        metavar="RECIPE", help=f"a subset of {list(RECIPES)}")
    args = parser.parse_args(argv)

    X, y = training_images(args.n_train)
    test_images, y_test = data.load_mnist("test")
    X_test = prepare(test_images)
    aug = augment.random_affine(max_shift=2, max_rotation=10, max_scale=0.1)
    print(f"LeNet-5 on {len(X):,} training images, {args.epochs} epochs, seeds 0..{args.seeds - 1}, "
          f"tested on {len(X_test):,} images", flush=True)

    rows = []
    for name in args.recipes:
        test_acc, gaps, seconds = [], [], []
        for seed in range(args.seeds):
            start = time.process_time()   # CPU time: comparable between rows on a busy machine
            model = train_recipe(RECIPES[name], seed, X, y, args.epochs, aug)
            seconds.append(time.process_time() - start)
            test_acc.append(accuracy(model, X_test, y_test))
            gaps.append(accuracy(model, X, y) - test_acc[-1])
        test_acc = np.array(test_acc)
        rows.append((name, test_acc, np.mean(gaps), np.mean(seconds)))
        print(f"  {name}: " + ", ".join(f"{a:.2%}" for a in test_acc)
              + f" ({np.mean(seconds):.0f} CPU s per run)", flush=True)

    base = rows[0][1].mean() if args.recipes[0] == "baseline" else None
    print()
    print("| recipe | test accuracy (mean) | std over seeds | vs baseline | train - test | CPU s per run |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, acc, gap, sec in rows:
        change = "" if base is None else f"{100 * (acc.mean() - base):+.1f} pt"
        print(f"| {name} | {acc.mean():.2%} | {100 * acc.std(ddof=1):.2f} pt | {change} | "
              f"{100 * gap:.1f} pt | {sec:.0f} |")


if __name__ == "__main__":
    main()
