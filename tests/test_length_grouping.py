"""Training in batches of nearly equal lengths (``length_grouped_order``): Motion2Language's training set is read in
order (a reading pass, then the mix), so its examples are reordered only within windows, and each batch padded to its
longest example then carries little padding."""
import numpy as np

from tdmm_train.training_utils import length_grouped_order


def padded_share(lengths: np.ndarray, batch: int) -> float:
    """Share of a padded batch's positions that are padding, over consecutive batches of ``lengths``."""
    padded = sum(lengths[i:i + batch].max() * len(lengths[i:i + batch]) for i in range(0, len(lengths), batch))
    return 1 - lengths.sum() / padded


def test_grouped_order_is_a_permutation_within_windows_with_little_padding():
    lengths = np.random.default_rng(0).integers(200, 420, size=1000)
    order = length_grouped_order(lengths, batch_size=16, window_batches=8, seed=0)  # 2 processes x 8
    assert sorted(order.tolist()) == list(range(1000))
    window = 8 * 16
    for start in range(0, 1000, window):  # nothing leaves its window: a first pass stays first
        assert set(order[start:start + window].tolist()) == set(range(start, min(start + window, 1000)))
    assert padded_share(lengths, 8) > 0.1
    assert padded_share(lengths[order], 8) < 0.02
    # two data-parallel processes split each run of 16: the batches of one step have nearly equal lengths
    def spread(values):
        return np.median([np.ptp(values[i:i + 16]) for i in range(0, len(values) - 16, 16)])
    assert spread(lengths[order]) < 0.25 * spread(lengths)


def test_grouped_order_is_seeded_and_off_for_one_batch_windows():
    lengths = np.random.default_rng(1).integers(1, 50, size=300)
    first = length_grouped_order(lengths, 4, 8, seed=3)
    assert np.array_equal(first, length_grouped_order(lengths, 4, 8, seed=3))  # a resumed run sees the same order
    assert not np.array_equal(first, length_grouped_order(lengths, 4, 8, seed=4))
    assert np.array_equal(length_grouped_order(lengths, 4, 1, seed=3), np.arange(300))
    assert np.array_equal(length_grouped_order(lengths, 4, 0, seed=3), np.arange(300))
