# 《卷积层》：两个命令完成一切，都会自己在 .venv 里按 requirements.txt 准备环境。
#   make book   构建整本书（HTML 在 _build/html）
#   make test   运行全部测试（代码检查、书的构建、lib 与控件测试、nbval 运行每个笔记本）
#   make student       生成学生版笔记本（去掉参考答案与隐藏检查）到 _build/student/chapters
#   make student-book  构建学生版的书（HTML 在 _build/student_book/html）
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# 本课的矩阵都很小，多线程 BLAS 在 2 核的共享机器上常常互相争抢、反而慢十倍；默认单线程
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
CJK    := fc-list 2>/dev/null | grep -qi -E 'wqy|cjk|source han|simhei|yahei|pingfang'

.PHONY: all venv fonts book test pytest lint bench clean student student-book

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

test: lint book student-book pytest

pytest: $(STAMP) fonts
	$(BIN)/python -m pytest tests chapters --nbval-lax --nbval-current-env --nbval-cell-timeout=300

lint: $(STAMP)
	$(BIN)/ruff check .

# 学生版笔记本：nbgrader 的预处理器去掉参考答案与隐藏检查（见 lib/student.py）
student: $(STAMP)
	rm -rf _build/student
	$(BIN)/python -m booktools.student chapters _build/student/chapters

# 学生版的书：在 _build/student_src 里搭好源文件（学生版各章 + 改过的配置），构建后移到
# _build/student_book/html；页面里不能有 .ipynb 或 _sources/（拿不到笔记本源文件）
student-book: student fonts
	$(BIN)/python -m booktools.student --stage-book . _build/student/chapters _build/student_src
	rm -rf _build/student_book
	$(BIN)/jupyter-book build _build/student_src --warningiserror --keep-going
	mkdir -p _build/student_book
	mv _build/student_src/_build/html _build/student_book/html
	test ! -e _build/student_book/html/_sources
	test -z "$$(find _build/student_book/html -name '*.ipynb')"

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
