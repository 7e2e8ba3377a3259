# 《卷积层》：两个命令完成一切，都会自己在 .venv 里按 requirements.txt 准备环境。
#   make book   构建整本书（HTML 在 _build/html）
#   make test   运行全部测试（代码检查、书的构建、lib 与控件测试、nbval 运行每个笔记本）
#   make student       生成学生版笔记本（去掉参考答案与隐藏检查）到 _build/student/chapters
#   make student-book  构建学生版的书（HTML 在 _build/student_book/html）
#   make lab           学习者：在 JupyterLab 里打开学生版笔记本（在 workspace/ 里做练习，不会被覆盖）
#   make lab-instructor  教师：在 JupyterLab 里打开教师版笔记本（chapters/，带参考答案）
#   make assignments   教师：用 nbgrader 的命令行把各章变成作业（课程目录 COURSE，默认 _build/course）
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# 本课的矩阵都很小，多线程 BLAS 在 2 核的共享机器上常常互相争抢、反而慢十倍；默认单线程
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# nbgrader 只给教师在命令行里用（生成学生版、评分）。它的 JupyterLab 扩展（Nbgrader 菜单、
# Validate 按钮、Create Assignment 面板、Formgrader）和服务器扩展对学习者没有用，在本环境里停用
NBGRADER_SERVER_EXTENSIONS := formgrader validate_assignment assignment_list course_list
CJK    := fc-list 2>/dev/null | grep -qi -E 'wqy|cjk|source han|simhei|yahei|pingfang'
# 浏览器测试（书页与 JupyterLab 的无头检查）用的 Chromium 与 chromedriver：先看 CHROMIUM_BINARY、CHROMEDRIVER
# 指定的路径（与 tests/browser.py 相同，默认 /usr/bin/…），再看 PATH
BROWSER := { [ -x "$${CHROMIUM_BINARY:-/usr/bin/chromium}" ] || command -v chromium; } >/dev/null 2>&1 && \
	{ [ -x "$${CHROMEDRIVER:-/usr/bin/chromedriver}" ] || command -v chromedriver; } >/dev/null 2>&1
# pip 的所有调用都从环境变量读取软件源：PIP_INDEX_URL（以及 PIP_TRUSTED_HOST 等）。
# 在国内可以用镜像，例如 make test PIP_INDEX_URL=https://mirrors.aliyun.com/pypi/simple/（见 README）
ifdef PIP_INDEX_URL
export PIP_INDEX_URL
endif
ifdef PIP_TRUSTED_HOST
export PIP_TRUSTED_HOST
endif

.PHONY: all venv fonts browser axe book test pytest lint bench clean student student-book assignments lab lab-instructor

all: book

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "pip 软件源：$${PIP_INDEX_URL:-https://pypi.org/simple（默认；国内可设 PIP_INDEX_URL，见 README）}"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader
	$(BIN)/jupyter labextension lock --level=sys_prefix @jupyter/nbgrader
	for name in $(NBGRADER_SERVER_EXTENSIONS); do \
		$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$name || exit 1; \
	done
	touch $(STAMP)

venv: $(STAMP)

# 图中的汉字需要中文字体：没有就尝试安装（root 时），否则给出明确提示
fonts:
	@$(CJK) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq fonts-wqy-microhei >/dev/null; } || true
	@$(CJK) || { echo '缺少中文字体：请先运行 sudo apt-get install fonts-wqy-microhei'; exit 1; }

# axe-core（浏览器里的无障碍检查，tests/test_accessibility.py）来自 npm 注册表：npm pack 取包，
# 只解出 axe.min.js，放在 .venv 里（不提交进仓库，页面也不从 CDN 加载）
AXE := $(VENV)/axe-core/axe.min.js

$(AXE):
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq npm >/dev/null; } || { echo '缺少 npm：请先安装 Node.js 与 npm'; exit 1; }
	mkdir -p $(VENV)/axe-core
	cd $(VENV)/axe-core && npm pack --silent axe-core@4 >/dev/null && \
		tar xzf axe-core-*.tgz package/axe.min.js && mv package/axe.min.js . && rm -rf package axe-core-*.tgz

axe: $(AXE)

# 浏览器测试需要 Chromium 与 chromedriver：没有就尝试安装（root 且有 apt-get 时，必要时先 apt-get update），
# 否则说明要装什么。缺少它们时浏览器测试跳过（CI=true 时失败），其余测试照常运行
browser:
	@$(BROWSER) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null; }; }; } || true
	@$(BROWSER) || echo '没有找到 Chromium 与 chromedriver，浏览器测试会跳过：请安装 chromium 与 chromium-driver' \
		'（Debian/Ubuntu：sudo apt-get install chromium chromium-driver），或用环境变量 CHROMIUM_BINARY、CHROMEDRIVER 指定路径'

book: $(STAMP) fonts
	rm -rf _build/html _build/jupyter_execute _build/.doctrees
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: lint book student-book pytest

pytest: $(STAMP) fonts browser $(AXE)
	$(BIN)/python -m pytest tests chapters --durations=25 --nbval-lax --nbval-current-env --nbval-cell-timeout=300

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

# ---- 教师用的 nbgrader 课程目录 ----
# 把各章放进课程目录的 source/chN/（01_convolution_intuition.ipynb → ch1 ……），复制课程配置
# booktools/nbgrader_config.py，再用 nbgrader 自己的命令行生成学生版 release/chN/（并建好成绩库）。
# 之后在课程目录里照常使用 nbgrader：autograde、generate_feedback、export（见教师指南）。
# 重新运行只刷新 source/、配置和 release/，不删成绩库与收上来的作业；make clean 会删掉整个 _build/，
# 真正开课时把课程目录放在 _build/ 外面，例如 make assignments COURSE=$$HOME/juanjiceng-course。
COURSE ?= _build/course

assignments: $(STAMP)
	mkdir -p "$(COURSE)/source"
	cp booktools/nbgrader_config.py "$(COURSE)/nbgrader_config.py"
	for nb in chapters/[0-9][0-9]_*.ipynb; do \
		name=$$(basename "$$nb"); \
		assignment=ch$$(expr "$$(echo "$$name" | cut -c1-2)" + 0); \
		mkdir -p "$(COURSE)/source/$$assignment" && cp "$$nb" "$(COURSE)/source/$$assignment/" || exit 1; \
	done
	# 建成绩库要运行 alembic：venv 的 bin/ 必须在 PATH 上
	cd "$(COURSE)" && for dir in source/ch*; do \
		PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/nbgrader" generate_assignment "$$(basename "$$dir")" --force \
			|| exit 1; \
	done
	@echo "学生版：$(COURSE)/release/（成绩库：$(COURSE)/gradebook.db）"

# 学习者的 JupyterLab：学生版笔记本复制到 $(LAB_DIR)/chapters（已有的不覆盖：那里是学习者的答案），
# 图片放在旁边的 $(LAB_DIR)/images（笔记本里写的是 ../images/…）。只监听本机。
LAB_DIR ?= workspace
LAB_FLAGS = --ServerApp.ip=127.0.0.1 --FileContentsManager.preferred_dir=chapters \
	$$([ "$$(id -u)" = 0 ] && echo --allow-root)

lab: student fonts
	mkdir -p $(LAB_DIR)/chapters
	for nb in _build/student/chapters/*.ipynb; do \
		test -e $(LAB_DIR)/chapters/$${nb##*/} || cp $$nb $(LAB_DIR)/chapters/ || exit 1; \
	done
	rm -rf $(LAB_DIR)/images && cp -r images $(LAB_DIR)/images
	$(BIN)/jupyter lab --ServerApp.root_dir=$(LAB_DIR) $(LAB_FLAGS)

# 教师：教师版笔记本（带参考答案），仓库根目录作为 JupyterLab 的根目录
lab-instructor: $(STAMP) fonts
	$(BIN)/jupyter lab --ServerApp.root_dir=. --FileContentsManager.preferred_dir=chapters \
		--ServerApp.ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
