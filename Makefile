# 《卷积层》：两个命令完成一切，都会自己在 .venv 里按 requirements.txt 准备环境。
#   make book   构建整本书（HTML 在 _build/html）
#   make test   运行全部测试（lib 单元测试、笔记本、书的构建与浏览器检查）
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all venv book test lint bench clean

all: book

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute
	$(BIN)/jupyter-book build . --warningiserror --keep-going --path-output .

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check lib tests data images

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
