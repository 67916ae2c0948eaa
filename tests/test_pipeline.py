"""Lecture 13's library: the pieces of the PyTorch pipeline, checked against the numpy lectures and by their properties."""
import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trainlab import data, losses, pipeline, regularization  # noqa: E402


def _net():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 9, 3))


def test_param_groups_split_the_pipeline_net():
    """Are exactly the conv and linear weights decayed, biases and batch norm not, and the frozen whitening layer left out?"""
    config = pipeline.CONFIGS["quick"]
    net = pipeline.init_net(pipeline.make_net(config), config, torch.randn(8, 3, 32, 32))
    decayed, other = pipeline.param_groups(net, 5e-4)
    names = {id(p): name for name, p in net.named_parameters()}
    assert all(isinstance(net.get_submodule(names[id(p)].rsplit(".", 1)[0]), (torch.nn.Conv2d, torch.nn.Linear))
               and names[id(p)].endswith("weight") for p in decayed["params"])
    assert all(names[id(p)].endswith("bias") or isinstance(net.get_submodule(names[id(p)].rsplit(".", 1)[0]),
                                                           torch.nn.BatchNorm2d) for p in other["params"])
    assert all(p is not net[0].weight for g in (decayed, other) for p in g["params"]), "the frozen whitening weights"
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    assert {id(p) for g in (decayed, other) for p in g["params"]} == trainable
    assert (decayed["weight_decay"], other["weight_decay"]) == (5e-4, 0.0)


def test_whitening_filters_match_lecture_02_whiten():
    """Does the whitening conv's output equal lecture 02's PCA whitening of the flattened patches (up to each sign)?"""
    rng = np.random.default_rng(0)
    patches = rng.standard_normal((500, 3, 2, 2)) @ np.diag([1.0, 3.0]) + np.array([1.0, -2.0])
    weight, bias = pipeline.whitening_filters(torch.from_numpy(patches), eps=1e-5)
    x = patches.reshape(500, -1)
    out = x @ weight[:12].reshape(12, -1).numpy().T + bias[:12].numpy()
    want, _ = data.whiten(x, x[:1], eps=1e-5)
    signs = np.sign(np.sum(out * want, axis=0))
    np.testing.assert_allclose(out * signs, want, atol=1e-8)
    np.testing.assert_allclose(weight[12:].numpy(), -weight[:12].numpy())
    np.testing.assert_allclose(np.cov(out, rowvar=False, bias=True), np.eye(12), atol=1e-3)


def test_whitening_filters_of_real_images_whiten_them():
    """On real CIFAR-like patches (bundled photos), are the outputs zero-mean with unit variance?"""
    from sklearn.datasets import load_sample_images

    images = torch.tensor(np.stack(load_sample_images().images)[:, :64, :64] / 255.0).permute(0, 3, 1, 2)
    patches = pipeline.image_patches(images.contiguous(), 2)
    assert tuple(patches.shape) == (2 * 63 * 63, 3, 2, 2)
    weight, bias = pipeline.whitening_filters(patches, eps=1e-12)
    out = torch.nn.functional.conv2d(images, weight, bias)
    first = out[:, :12].permute(1, 0, 2, 3).reshape(12, -1)
    assert first.mean(dim=1).abs().max() < 1e-6
    np.testing.assert_allclose(first.var(dim=1, unbiased=False).numpy(), 1.0, rtol=1e-4)


def test_label_smoothing_of_train_step_is_lecture_07s_with_rescaled_eps():
    """Is train_step's loss the soft-target cross-entropy of lecture 07 with eps * (C - 1) / C spread on the others?"""
    net, eps = _net().double(), 0.2
    X, y = torch.randn(6, 3, 3, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 2, 1, 0])
    with torch.no_grad():
        scores = net.train()(X).numpy()
    want, _ = losses.soft_cross_entropy(scores, regularization.label_smoothing(y.numpy(), 3, eps * 2 / 3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.0)
    assert abs(pipeline.train_step(net, optimizer, X, y, label_smoothing=eps) - want) < 1e-12


def test_train_step_is_one_nesterov_update():
    """Does one step move each weight by torch's Nesterov update of its gradient (from a zero velocity: lr (1 + mu) g)?"""
    net = _net().double()
    X, y = torch.randn(4, 3, 3, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 0])
    probe = __import__("copy").deepcopy(net)
    torch.nn.functional.cross_entropy(probe.train()(X), y).backward()
    before = [p.detach().clone() for p in net.parameters()]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    pipeline.train_step(net, optimizer, X, y)
    for w0, w1, p in zip(before, net.parameters(), probe.parameters()):
        torch.testing.assert_close(w1, w0 - 0.1 * 1.9 * p.grad, rtol=1e-12, atol=1e-14)


def test_ema_update_torch_matches_lecture_11():
    """Does ema_update_torch average like regularization.ema_update, buffers included, counters copied?"""
    model, ema = _net().double(), _net().double()
    with torch.no_grad():
        model.train()(torch.randn(5, 3, 3, 3, dtype=torch.float64))
    ema_np = {k: v.numpy().copy() for k, v in ema.state_dict().items() if v.is_floating_point()}
    cur_np = {k: v.numpy().copy() for k, v in model.state_dict().items() if v.is_floating_point()}
    regularization.ema_update(ema_np, cur_np, decay=0.9)
    pipeline.ema_update_torch(ema, model, 0.9)
    for key, value in ema.state_dict().items():
        if value.is_floating_point():
            np.testing.assert_allclose(value.numpy(), ema_np[key], rtol=1e-14)
        else:
            assert int(value) == int(model.state_dict()[key])


def test_evaluate_tta_is_mirror_invariant_and_restores_the_mode():
    """Does flip TTA give the same probabilities for an image and its mirror, rows summing to 1, mode kept?"""
    net = _net().double().train()
    X = torch.randn(7, 3, 3, 3, dtype=torch.float64)
    probs = pipeline.evaluate_tta(net, X, batch_size=3)
    torch.testing.assert_close(probs, pipeline.evaluate_tta(net, X.flip(-1)), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(7, dtype=torch.float64))
    assert net.training


def test_augment_batch_gives_flipped_shifted_crops():
    """Is every augmented image a crop of its reflected-padded original (or of its mirror) within the shift range?"""
    X = torch.randn(16, 2, 6, 5)
    g = torch.Generator().manual_seed(0)
    out = pipeline.augment_batch(X, g, flip=True, translate=2)
    padded = torch.nn.functional.pad(torch.cat([X, X.flip(-1)]), (2, 2, 2, 2), mode="reflect")
    for i in range(16):
        found = any(torch.equal(out[i], padded[i + 16 * m, :, a:a + 6, b:b + 5])
                    for m in (0, 1) for a in range(5) for b in range(5))
        assert found, f"image {i} is no shifted crop"
    assert torch.equal(pipeline.augment_batch(X, g, flip=False, translate=0), X)


def test_lr_factor_warms_up_then_decays_to_zero():
    """Does the rate rise linearly to its peak over the warm-up and fall linearly to 0 at the last update?"""
    factors = [pipeline.lr_factor(t, 100, 0.2) for t in range(100)]
    assert factors[0] < 0.1 and max(factors) == pytest.approx(1.0, abs=0.05) and factors[-1] == pytest.approx(0.0125)
    assert np.all(np.diff(factors[:20]) > 0) and np.all(np.diff(factors[20:]) < 0)
    assert pipeline.lr_factor(50, 100, 0.0, decay=False) == 1.0


def test_initial_loss_is_ln_10():
    """Does the freshly initialized net start at a loss of ln 10 (small classifier, babysitting check 1)?"""
    config = pipeline.CONFIGS["quick"]
    net = pipeline.init_net(pipeline.make_net(config), config, torch.randn(16, 3, 32, 32))
    loss = pipeline.initial_loss(net, torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)))
    assert abs(loss - math.log(10)) < 0.02


@pytest.fixture
def digits(tmp_path, monkeypatch):
    """The bundled-data fallback: TRAINLAB_DATA points to an empty folder."""
    monkeypatch.setenv("TRAINLAB_DATA", str(tmp_path))
    loaded, message = pipeline.load_data()
    return loaded, message


def test_load_data_falls_back_to_the_bundled_digits_and_says_so(digits):
    """Without CIFAR-10, does load_data use the bundled MNIST digits (32x32, one channel, no flips) and say how to get it?"""
    loaded, message = digits
    assert loaded["name"].startswith("MNIST") and not loaded["flip_ok"]
    assert loaded["X_train"].shape[1:] == (32, 32, 1) and len(loaded["X_test"]) == 1000
    assert "CIFAR-10 is not available" in message and "cifar10.npz" in message
    runs, described = pipeline.settings(loaded)
    assert runs["main"] == pipeline.CONFIGS["quick"] and "bundled" in described


@pytest.mark.slow
def test_training_is_reproducible_from_the_seed_on_the_cpu(digits):
    """Do two runs with the same seed (one thread) give identical losses and accuracies, and another seed not?"""
    loaded, _ = digits
    config = dataclasses.replace(pipeline.CONFIGS["quick"], num_train=600, num_epochs=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        first, second = (pipeline.train(config, loaded) for _ in range(2))
        other = pipeline.train(dataclasses.replace(config, seed=1), loaded)
    finally:
        torch.set_num_threads(threads)
    assert first["history"]["loss"] == second["history"]["loss"] and first["test"] == second["test"]
    assert other["history"]["loss"] != first["history"]["loss"]


@pytest.mark.slow
def test_quick_setting_learns_the_digits(digits):
    """Does the quick setting reach a useful accuracy on the bundled digits (the notebook without CIFAR-10)?"""
    loaded, _ = digits
    torch.set_num_threads(1)
    result = pipeline.train(pipeline.CONFIGS["quick"], loaded)
    assert result["test"] > 0.85, result["test"]


def test_torch_lr_range_test_restores_the_model_and_stops_on_explosion():
    """Does the range test sweep rates geometrically, stop once the loss explodes and leave the weights as they were?"""
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X, y = torch.randn(64, 3, 3, 3), torch.randint(0, 3, (64,))
    lrs, losses_ = pipeline.torch_lr_range_test(net, X, y, lr_start=1e-3, lr_end=1e3, num_iters=40, batch_size=16)
    assert len(lrs) == len(losses_) <= 40 and np.allclose(np.diff(np.log(lrs)), np.log(1e6) / 39)
    assert len(lrs) < 40, "a rate of 1000 must blow the loss up before the end"
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
