"""Do the initialization schemes draw what their formulas say, and do deep nets behave as the lectures show?"""
import numpy as np
import pytest

from trainlab import init

FAN_IN, FAN_OUT = 300, 700


@pytest.mark.parametrize("scheme, std, uniform", [
    ("small_random", 0.01, False), ("large_random", 1.0, False),
    ("xavier", 1 / np.sqrt(FAN_IN), False), ("he", np.sqrt(2 / FAN_IN), False),
    ("xavier_uniform", 1 / np.sqrt(FAN_IN), True), ("he_uniform", np.sqrt(2 / FAN_IN), True)])
def test_scheme_std_and_shape_of_the_distribution(scheme, std, uniform):
    """Has each scheme its std (1%), zero mean, and the uniform ones the bound sqrt(3) std, the normal ones tails beyond it?"""
    w = init.init_weights(FAN_IN, FAN_OUT, scheme, np.random.default_rng(0))
    assert w.shape == (FAN_IN, FAN_OUT) and w.dtype == np.float64
    assert abs(w.std() - std) < 0.01 * std
    assert abs(w.mean()) < 0.01 * std
    bound = np.sqrt(3) * std
    if uniform:
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    else:
        assert np.mean(np.abs(w) > bound) > 0.05  # a Gaussian has 8% beyond sqrt(3) std


def test_zeros_are_exact_and_draws_are_reproducible():
    """Are zeros exactly zero, and does a seeded rng give the same weights twice?"""
    assert np.array_equal(init.init_weights(3, 4, "zeros"), np.zeros((3, 4)))
    a = init.init_weights(20, 30, "he", np.random.default_rng(5))
    b = init.init_weights(20, 30, "he", np.random.default_rng(5))
    assert np.array_equal(a, b)


def test_conv_fan_in_counts_channels_and_kernel():
    """Is the conv fan-in C*kH*kW (not F*kH*kW, not kH*kW)?"""
    assert init.conv_fan_in((64, 3, 7, 7)) == 147
    assert init.conv_fan_in((10, 16, 3, 5)) == 240


def test_tanh_xavier_reproduces_the_lectures_numbers():
    """10 tanh layers of 500 with Xavier on unit Gaussians: std about 0.63 after layer 1, about 0.23 after layer 10?"""
    means, stds = init.activation_statistics([500] * 11, "xavier", "tanh", rng=np.random.default_rng(0))
    assert means.shape == stds.shape == (10,)
    assert abs(stds[0] - 0.63) < 0.01 and abs(stds[-1] - 0.23) < 0.01
    assert np.all(np.diff(stds) < 0) and np.all(np.abs(means) < 0.01)


@pytest.mark.parametrize("scheme, activation, check", [
    ("small_random", "tanh", lambda s: s[-1] < 1e-6),      # activations collapse to zero
    ("large_random", "tanh", lambda s: np.all(s > 0.97)),  # saturated at +-1
    ("xavier", "relu", lambda s: s[-1] < 0.05 * s[0]),     # ReLU with Xavier dies out
    ("he", "relu", lambda s: s[-1] > 0.6)])                # He keeps it alive
def test_deep_net_regimes(scheme, activation, check):
    """Do the four classic failure/success regimes of a 10-layer net show in the per-layer stds?"""
    _, stds = init.activation_statistics([500] * 11, scheme, activation, rng=np.random.default_rng(0),
                                         num_samples=500)
    assert check(stds), stds


def test_deep_activations_uses_the_given_input_and_draw_order():
    """With X given, are the weights the first draws of rng, layer by layer?"""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 6))
    outs = init.deep_activations([6, 5, 4], "xavier", "relu", X=X, rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    w1, w2 = init.init_weights(6, 5, "xavier", rng), init.init_weights(5, 4, "xavier", rng)
    assert [o.shape for o in outs] == [(8, 5), (8, 4)]
    assert np.allclose(outs[1], np.maximum(np.maximum(X @ w1, 0) @ w2, 0))
    with pytest.raises(ValueError, match="tanh"):
        init.deep_activations([6, 5], "xavier", "swish")
