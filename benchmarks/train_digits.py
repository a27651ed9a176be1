"""Train the small CNN of notebook 09 on the 8 x 8 digits and print time and accuracy.

Not a test: a quick way to see how fast cnnlab trains on this machine, and whether the
notebook's model still reaches its accuracy (at least 97 % on the test split).

    python benchmarks/train_digits.py            # float64 and float32 layers
    python benchmarks/train_digits.py --lenet    # also LeNet-5 on digits enlarged to 28 x 28

The model, data preparation, optimiser and seeds are those of notebooks/09_training_digits.ipynb.
"""

import argparse
import time

import numpy as np

import cnnlab as cl
from cnnlab import data
from cnnlab.train import Adam, accuracy, fit

EPOCHS = 8
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
SEED = 1


def make_small_cnn(seed=SEED, dtype=np.float64):
    """The notebook-09 model: two conv-ReLU-maxpool blocks and a dense layer (6,090 parameters)."""
    rng = np.random.default_rng(seed)
    return cl.Sequential(
        cl.Conv2D(1, 16, 3, padding=1, rng=rng, dtype=dtype), cl.ReLU(), cl.MaxPool2D(2),
        cl.Conv2D(16, 32, 3, padding=1, rng=rng, dtype=dtype), cl.ReLU(), cl.MaxPool2D(2),
        cl.Flatten(),
        cl.Linear(32 * 2 * 2, 10, rng=rng, dtype=dtype),
    )


def make_lenet5(seed=0, dtype=np.float64):
    """LeNet-5 in its common modern form (61,706 parameters), as in notebook 09."""
    rng = np.random.default_rng(seed)
    return cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2, rng=rng, dtype=dtype), cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5, rng=rng, dtype=dtype), cl.ReLU(), cl.AvgPool2D(2),
        cl.Flatten(),
        cl.Linear(16 * 5 * 5, 120, rng=rng, dtype=dtype), cl.ReLU(),
        cl.Linear(120, 84, rng=rng, dtype=dtype), cl.ReLU(),
        cl.Linear(84, 10, rng=rng, dtype=dtype),
    )


def load(size=8):
    """Digits scaled to 0..1 as (N, 1, size, size); size 28 enlarges them with scipy.ndimage.zoom."""
    (train_images, y_train), (test_images, y_test) = data.load_digits("train"), data.load_digits("test")
    if size == 8:
        prepare = lambda images: (images / 16.0)[:, None]  # noqa: E731
    else:
        from scipy import ndimage

        prepare = lambda images: np.stack(  # noqa: E731
            [ndimage.zoom(im, size / 8, order=1) for im in images])[:, None] / 16.0
    return prepare(train_images), y_train, prepare(test_images), y_test


def run(name, model, X_train, y_train, X_test, y_test, epochs, lr):
    X_train = X_train.astype(model.params["0.W"].dtype)
    X_test = X_test.astype(model.params["0.W"].dtype)
    start = time.perf_counter()
    history = fit(model, X_train, y_train, epochs=epochs, batch_size=BATCH_SIZE,
                  optimizer=Adam(model, lr=lr), rng=SEED, progress=False)
    seconds = time.perf_counter() - start
    acc = accuracy(model, X_test, y_test)
    print(f"{name:<28} {seconds:7.2f} s  {epochs:2d} epochs  {seconds / epochs:6.2f} s/epoch  "
          f"final training loss {history['loss'][-1]:.4f}  test accuracy {acc:.2%}")
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lenet", action="store_true",
                        help="also train LeNet-5 on digits enlarged to 28 x 28 (about 10 epochs)")
    parser.add_argument("--no-float32", action="store_true", help="skip the float32 run")
    args = parser.parse_args()

    X_train, y_train, X_test, y_test = load(8)
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(sorted({f"{i['internal_api']} {i['num_threads']} thread(s)"
                                 for i in threadpool_info() if i.get("user_api") == "blas"}))
        print(f"BLAS: {blas or 'unknown'} (OPENBLAS_NUM_THREADS=1 is often faster for these small matrices)")
    except ImportError:
        pass
    print(f"digits: {len(X_train)} training, {len(X_test)} test images of 8 x 8; "
          f"batch size {BATCH_SIZE}, Adam lr {LEARNING_RATE}, seed {SEED}")
    acc = run("small CNN, float64", make_small_cnn(), X_train, y_train, X_test, y_test,
              EPOCHS, LEARNING_RATE)
    if not args.no_float32:
        run("small CNN, float32", make_small_cnn(dtype=np.float32), X_train, y_train, X_test,
            y_test, EPOCHS, LEARNING_RATE)
    if args.lenet:
        X28_train, _, X28_test, _ = load(28)
        run("LeNet-5 (28 x 28), float64", make_lenet5(), X28_train, y_train, X28_test, y_test,
            10, 2e-3)
    print("notebook-09 target (test accuracy >= 97%):", "reached" if acc >= 0.97 else "NOT reached")


if __name__ == "__main__":
    main()
