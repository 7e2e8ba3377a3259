"""数据集：tinymnist 的读取、分批、打乱，以及各种坏文件。"""

import numpy as np
import pytest

import lib
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


# ---- 验证集的划分与准确率的区间 ----

def test_split_validation_is_stratified_seeded_and_leaves_the_original_alone():
    dataset = lib.MNISTDataset(batch_size=32)
    split = lib.split_validation(dataset, size=500, seed=0)
    again = lib.split_validation(lib.MNISTDataset(batch_size=32), size=500, seed=0)
    other = lib.split_validation(dataset, size=500, seed=1)
    assert len(split.train_features) == 3500 and len(split.test_features) == 500
    assert np.all(np.bincount(split.test_labels.argmax(axis=1), minlength=10) == 50)
    assert np.array_equal(split.test_features, again.test_features)            # 同一个种子，同一批
    assert not np.array_equal(split.test_features, other.test_features)
    train = {image.tobytes() for image in split.train_features}
    held = {image.tobytes() for image in split.test_features}
    assert not train & held and len(train | held) == len({x.tobytes() for x in dataset.train_features})
    assert len(dataset.train_features) == 4000 and dataset.test_features.shape[0] == 1000
    assert split.held_out == '验证集' and dataset.held_out == '测试集'
    split.eval()
    assert len(split.features) == 500                                          # model.test 看到的是验证集
    with pytest.raises(ValueError, match='验证集'):
        split.estimate(np.zeros((1000, 10)))


def test_split_validation_keeps_the_dataset_class_and_its_own_shuffling():
    from lib.augment import ShiftedMNISTDataset
    dataset = ShiftedMNISTDataset(batch_size=16, seed=3)
    split = lib.split_validation(dataset)
    assert isinstance(split, ShiftedMNISTDataset) and split.rng is not dataset.rng
    next(iter(split))
    assert not np.array_equal(split.order[:10], np.arange(10))
    assert np.array_equal(dataset.order, np.arange(4000))                       # 原数据集没被打乱


def test_split_validation_on_arrays_and_uneven_classes():
    labels = np.array([0] * 70 + [1] * 20 + [2] * 10)
    features = np.arange(100)
    x_train, y_train, x_val, y_val = lib.split_validation((features, labels), size=10, seed=0)
    assert np.bincount(y_val, minlength=3).tolist() == [7, 2, 1]                # 与各类的比例相同
    assert sorted(np.concatenate([x_train, x_val]).tolist()) == list(range(100))
    _, _, _, y_odd = lib.split_validation((features, labels), size=11, seed=0)
    assert len(y_odd) == 11 and np.bincount(y_odd, minlength=3).tolist() == [8, 2, 1]


@pytest.mark.parametrize('bad, message', [
    (dict(size=0), '验证集大小'), (dict(size=4000), '验证集大小'), (dict(size=2.5), '验证集大小'),
])
def test_split_validation_rejects_bad_sizes(bad, message):
    with pytest.raises(ValueError, match=message):
        lib.split_validation(lib.MNISTDataset(), **bad)
    with pytest.raises(TypeError, match='Dataset 或'):
        lib.split_validation(np.zeros((10, 3)))


def test_accuracy_interval_matches_the_wilson_formula():
    from scipy import stats
    for accuracy, n in [(0.95, 1000), (0.5, 20), (1.0, 50), (0.0, 7), (0.941, 1000)]:
        z = stats.norm.ppf(0.975)
        centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n))
        low, high = lib.accuracy_interval(accuracy, n)
        assert np.isclose(low, max(0, centre - half)) and np.isclose(high, min(1, centre + half))
        assert 0 <= low <= accuracy <= high <= 1
    low, high = lib.accuracy_interval(0.95, 1000)
    assert 0.013 < (high - low) / 2 < 0.015                      # 1000 张图、95% 左右：约 ±1.4 个百分点
    low99, high99 = lib.accuracy_interval(0.95, 1000, confidence=0.99)
    assert low99 < low and high < high99
    assert lib.describe_accuracy(0.941, 1000) == '94.1%（95% 区间 92.5%–95.4%，n = 1000）'


@pytest.mark.parametrize('args, message', [((1.2, 100), '0 到 1'), ((0.5, 0), '正整数'),
                                           ((0.5, 10.0), '正整数'), ((0.5, 10, 1.0), '置信水平')])
def test_accuracy_interval_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        lib.accuracy_interval(*args)
