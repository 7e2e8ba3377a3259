"""数据增强（lib.augment）：平移与参照一致、随机位移的范围、ShiftedMNISTDataset 的行为与错误输入。"""

import numpy as np
import pytest

import lib
from lib.augment import ShiftedMNISTDataset, augment_shift, shift_images


def shift_reference(image, dy, dx):
    """逐像素的参照：输出 (i, j) 取输入 (i - dy, j - dx)，越界补 0。"""
    H, W = image.shape
    out = np.zeros_like(image)
    for i in range(H):
        for j in range(W):
            if 0 <= i - dy < H and 0 <= j - dx < W:
                out[i, j] = image[i - dy, j - dx]
    return out


def test_shift_matches_reference(rng):
    images = rng.standard_normal((6, 2, 5, 7)).astype(np.float32)
    dy, dx = np.array([0, 1, -2, 4, -4, 3]), np.array([0, -1, 2, 6, -6, 0])
    shifted = shift_images(images, dy, dx)
    assert shifted.dtype == np.float32 and shifted.shape == images.shape
    for n in range(6):
        for c in range(2):
            np.testing.assert_array_equal(shifted[n, c], shift_reference(images[n, c], dy[n], dx[n]))


def test_shift_by_zero_is_identity_and_scalars_broadcast(rng):
    images = rng.random((3, 1, 4, 4))
    np.testing.assert_array_equal(shift_images(images, 0, 0), images)
    np.testing.assert_array_equal(shift_images(images, 1, 0)[:, :, 1:], images[:, :, :-1])


def test_augment_shift_stays_within_max_shift():
    rng = np.random.default_rng(1)
    images = np.zeros((200, 1, 11, 11))
    images[:, 0, 5, 5] = 1.0                                  # 每张图只有中心一个亮点
    shifted = augment_shift(images, rng, max_shift=2)
    _, _, rows, cols = np.nonzero(shifted)
    assert len(rows) == 200                                   # 亮点没有移出图
    assert set(rows.tolist()) == set(range(3, 8)) and set(cols.tolist()) == set(range(3, 8))   # −2…2 都取到


def test_shifted_dataset_same_order_and_labels_shifted_features():
    plain = lib.MNISTDataset(batch_size=16, seed=4)
    shifted = ShiftedMNISTDataset(batch_size=16, seed=4, max_shift=2)
    batches = list(zip(plain, shifted, strict=True))
    assert len(batches) == 250
    for (x0, y0), (x1, y1) in batches[:5]:
        np.testing.assert_array_equal(y0.data, y1.data)       # 同一个种子：同一串批次顺序
        assert x1.data.dtype == np.float32 and x1.data.shape == x0.data.shape
        assert not x1.requires_grad
    assert any(not np.array_equal(x0.data, x1.data) for (x0, _), (x1, _) in batches[:5])
    # 每张图都是原图的某个平移
    (x0, _), (x1, _) = batches[0]
    for a, b in zip(x0.data[:, 0], x1.data[:, 0], strict=True):
        assert any(np.array_equal(shift_reference(a, dy, dx), b)
                   for dy in range(-2, 3) for dx in range(-2, 3))


def test_shifted_dataset_eval_and_zero_shift_unchanged():
    data = ShiftedMNISTDataset(batch_size=8, seed=0, max_shift=2)
    data.eval()
    x, _ = data[0]
    np.testing.assert_array_equal(x.data, data.test_features[:8])
    data = ShiftedMNISTDataset(batch_size=8, seed=0, max_shift=0)
    x, _ = data[3]
    np.testing.assert_array_equal(x.data, data.train_features[data.order[24:32]])


def test_shifted_dataset_is_reproducible():
    runs = []
    for _ in range(2):
        data = ShiftedMNISTDataset(batch_size=32, seed=7)
        runs.append([x.data.copy() for x, _ in list(data)[:3]])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_inputs(raises_chinese):
    with raises_chinese(ValueError, 'shift_images', '(N, C, H, W)', '(4, 4)'):
        shift_images(np.zeros((4, 4)), 0, 0)
    with raises_chinese(ValueError, 'shift_images', '高 4', '5'):
        shift_images(np.zeros((1, 1, 4, 4)), [5], [0])
    with raises_chinese(ValueError, 'max_shift', '-1'):
        augment_shift(np.zeros((1, 1, 4, 4)), np.random.default_rng(0), -1)
    with raises_chinese(ValueError, 'ShiftedMNISTDataset', 'max_shift', '1.5'):
        ShiftedMNISTDataset(max_shift=1.5)


@pytest.mark.parametrize('max_shift', [0, 1, 2])
def test_ink_mostly_kept_for_centered_digits(max_shift):
    """tinymnist 的数字居中、四周留有空白：平移 ≤ 2 个像素时，绝大多数数字的笔画一点也不会移出图。"""
    data = ShiftedMNISTDataset(batch_size=256, seed=0, max_shift=max_shift)
    x, _ = data[0]
    original = data.train_features[data.order[:256]]
    lost = 1 - x.data.sum(axis=(1, 2, 3)) / original.sum(axis=(1, 2, 3))
    assert np.all(lost > -1e-5) and np.all(lost < 0.1)
    assert np.mean(lost > 1e-3) < 0.1
