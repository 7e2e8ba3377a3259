"""数据集：tinymnist 的读取、分批、打乱，以及各种坏文件。"""

import numpy as np
import pytest

from lib import TINYMNIST_PATH, MNISTDataset, Tensor


@pytest.fixture(scope='module')
def dataset():
    return MNISTDataset(batch_size=2)


def test_tinymnist_shapes_and_ranges(dataset):
    dataset.train()
    assert dataset.features.shape == (4000, 1, 28, 28) and dataset.features.dtype == np.float32
    assert dataset.labels.shape == (4000, 10)
    assert 0 <= dataset.features.min() and dataset.features.max() <= 1 and dataset.features.max() > 0.9
    np.testing.assert_array_equal(dataset.labels.sum(axis=1), 1)
    assert set(np.unique(dataset.labels)) == {0.0, 1.0}
    np.testing.assert_array_equal(np.bincount(dataset.digits()), [400] * 10)
    dataset.eval()
    assert dataset.features.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(dataset.digits()), [100] * 10)
    dataset.train()


def test_normalize_matches_raw(dataset, tinymnist_arrays):
    np.testing.assert_allclose(dataset.train_features[:, 0], tinymnist_arrays['x_train'] / 255, rtol=1e-6)
    np.testing.assert_array_equal(dataset.train_labels.argmax(axis=1), tinymnist_arrays['y_train'])


def test_seed_cell_usage(dataset):
    """种子课程的用法：dataset[0] 是一批，shape() 给出 (特征数, 类别数)。"""
    dataset.train()
    feature, label = dataset[0]
    _, channels, rows, columns = feature.shape()
    assert (channels, rows, columns) == (1, 28, 28)
    assert feature.shape()[0] == 2 and label.shape() == (2, 10)
    assert dataset.shape() == (784, 10)
    assert dataset.shape()[1] == 10


def test_batches_cover_everything_once(small_npz):
    ds = MNISTDataset(small_npz(n_train=11, n_test=3), batch_size=4)
    assert len(ds) == 3
    batches = list(ds)
    assert [len(f.data) for f, _ in batches] == [4, 4, 3]
    seen = np.concatenate([f.data for f, _ in batches])
    assert sorted(map(bytes, seen)) == sorted(map(bytes, ds.train_features))
    ds.eval()
    assert len(ds) == 1 and len(ds[0][0].data) == 3


def test_index_out_of_range(small_npz):
    ds = MNISTDataset(small_npz(n_train=10), batch_size=5)
    assert isinstance(ds[-1][0], Tensor)
    with pytest.raises(IndexError):
        ds[2]


def test_shuffle_depends_on_seed(small_npz):
    path = small_npz(n_train=40)

    def first_epoch(seed):
        return np.concatenate([labels.data.argmax(axis=1) for _, labels in MNISTDataset(path, 4, seed=seed)])

    np.testing.assert_array_equal(first_epoch(1), first_epoch(1))
    assert not np.array_equal(first_epoch(1), first_epoch(2))
    ds = MNISTDataset(path, 4, seed=1)
    a = np.concatenate([f.data for f, _ in ds])
    b = np.concatenate([f.data for f, _ in ds])
    assert not np.array_equal(a, b)  # 每轮重新打乱


def test_no_shuffle_keeps_order(small_npz):
    ds = MNISTDataset(small_npz(n_train=8), batch_size=3, shuffle=False)
    np.testing.assert_array_equal(np.concatenate([f.data for f, _ in ds]), ds.train_features)


# ---- estimate ----

def test_estimate(dataset):
    dataset.eval()
    scores = dataset.labels.copy()
    assert dataset.estimate(scores) == 1.0
    assert dataset.estimate(Tensor(scores)) == 1.0
    wrong = np.roll(scores, 1, axis=1)
    wrong[:250] = scores[:250]
    assert dataset.estimate(wrong) == 0.25
    dataset.train()


def test_estimate_wrong_shape(raises_chinese, dataset):
    dataset.eval()
    with raises_chinese(ValueError, '(1000, 10)', '(4000, 10)'):
        dataset.estimate(np.zeros((4000, 10)))
    dataset.train()


# ---- 坏文件 ----

def test_missing_file(raises_chinese, tmp_path):
    path = tmp_path / 'nothing.npz'
    with raises_chinese(FileNotFoundError, 'make_tinymnist.py', str(path)):
        MNISTDataset(path)


def test_default_path_is_the_course_file():
    assert TINYMNIST_PATH.name == 'tinymnist.npz' and TINYMNIST_PATH.is_file()


def test_missing_keys(raises_chinese, tmp_path, tinymnist_arrays):
    path = tmp_path / 'partial.npz'
    np.savez(path, x_train=tinymnist_arrays['x_train'][:5], y_train=tinymnist_arrays['y_train'][:5])
    with raises_chinese(ValueError, 'x_test', 'y_test'):
        MNISTDataset(path)


@pytest.mark.parametrize('key, bad, fragment', [
    ('x_train', np.zeros((5, 784), np.uint8), '(5, 784)'),
    ('y_train', np.zeros((4,), np.uint8), '(4,)'),
    ('y_test', np.zeros((3, 10), np.uint8), '(3, 10)'),
    ('x_test', np.zeros((3, 1, 28, 28), np.uint8), '(3, 1, 28, 28)'),
])
def test_wrong_shapes(raises_chinese, tmp_path, key, bad, fragment):
    arrays = dict(x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(5, np.uint8),
                  x_test=np.zeros((3, 28, 28), np.uint8), y_test=np.zeros(3, np.uint8))
    arrays[key] = bad
    path = tmp_path / 'bad.npz'
    np.savez(path, **arrays)
    with raises_chinese(ValueError, key, fragment):
        MNISTDataset(path)


def test_labels_out_of_range(raises_chinese, tmp_path):
    path = tmp_path / 'labels.npz'
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([3, 10]),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.array([0]))
    with raises_chinese(ValueError, 'y_train', '10'):
        MNISTDataset(path)


class Trap:
    """被反序列化时会创建一个标记文件：用来确认数据集从不加载 pickle。"""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_pickled_object_array_is_not_loaded(raises_chinese, tmp_path, tinymnist_arrays):
    """含 pickle 的 object 数组：报错（中文），而且绝不反序列化。"""
    marker = tmp_path / 'unpickled.txt'
    path = tmp_path / 'pickled.npz'
    labels = np.empty(5, dtype=object)
    labels[:] = [Trap(marker)] * 5
    np.savez(path, x_train=tinymnist_arrays['x_train'][:5], y_train=labels,
             x_test=tinymnist_arrays['x_test'][:5], y_test=tinymnist_arrays['y_test'][:5])
    with raises_chinese(ValueError, 'pickle', 'object', str(path)):
        MNISTDataset(path)
    assert not marker.exists()
    # 对照：允许 pickle 时这个文件确实会“执行”，说明陷阱有效
    with np.load(path, allow_pickle=True) as f:
        f['y_train']
    assert marker.exists()


def test_failed_load_returns_nothing(tmp_path):
    path = tmp_path / 'bad.npz'
    np.savez(path, x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((3, 28, 28), np.uint8), y_test=np.zeros((3, 2), np.uint8))
    result = None
    with pytest.raises(ValueError):
        result = MNISTDataset(path)
    assert result is None


def test_failed_reload_keeps_old_data(small_npz, tmp_path):
    """已有的数据集重新 load() 一个坏文件：原来的数据原封不动，不会只换掉一半。"""
    ds = MNISTDataset(small_npz(n_train=6, n_test=4))
    before = {name: getattr(ds, name) for name in
              ('train_features', 'train_labels', 'test_features', 'test_labels')}
    bad = tmp_path / 'bad_test.npz'
    np.savez(bad, x_train=np.ones((7, 28, 28), np.uint8), y_train=np.ones(7, np.uint8),
             x_test=np.ones((3, 28, 28), np.uint8), y_test=np.ones(2, np.uint8))
    ds.filename = bad
    with pytest.raises(ValueError):
        ds.load()
    for name, value in before.items():
        assert getattr(ds, name) is value


@pytest.mark.parametrize('batch_size', [0, -1, 2.0])
def test_invalid_batch_size(raises_chinese, batch_size):
    with raises_chinese(ValueError, repr(batch_size)):
        MNISTDataset(batch_size=batch_size)
