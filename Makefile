# 《卷积层》：两个命令完成一切，都会自己在 .venv 里按 requirements.txt 准备环境。
#   make book   构建整本书（HTML 在 _build/html）
#   make test   运行全部测试（代码检查、书的构建、lib 与控件测试、nbval 运行每个笔记本）
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# 本课的矩阵都很小，多线程 BLAS 在 2 核的共享机器上常常互相争抢、反而慢十倍；默认单线程
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
CJK    := fc-list 2>/dev/null | grep -qi -E 'wqy|cjk|source han|simhei|yahei|pingfang'

.PHONY: all venv fonts book test pytest lint bench clean

all: book

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# 图中的汉字需要中文字体：没有就尝试安装（root 时），否则给出明确提示
fonts:
	@$(CJK) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq fonts-wqy-microhei >/dev/null; } || true
	@$(CJK) || { echo '缺少中文字体：请先运行 sudo apt-get install fonts-wqy-microhei'; exit 1; }

book: $(STAMP) fonts
	rm -rf _build/html _build/jupyter_execute _build/.doctrees
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: lint book pytest

pytest: $(STAMP) fonts
	$(BIN)/python -m pytest tests chapters --nbval-lax --nbval-current-env --nbval-cell-timeout=300

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
