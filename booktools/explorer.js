/* 卷积核探索器（在线书用）：纯 JavaScript，不需要 Python 内核，不用任何库，也不访问网络。
 *
 * 页面里每个 div.kernel-explorer 都带一个 <script type="application/json"> 配置：
 *   {"digits": [{"label": 7, "index": 0, "pixels": 28×28}], "presets": {"竖直边缘": 3×3}, "preset": "竖直边缘"}
 * 本脚本在 div 里搭出控件；每次输入都重算窗口、逐元素乘积与输出像素：
 *   Y[i][j] = Σ_m Σ_n X[i+m][j+n] · W[m][n]      （互相关，不补零，步幅 1，无偏置）
 * 测试钩子：控件与输出带 data-role 属性；div.dataset.row / col / sum 是当前的数字。
 * 同一页面里运行本脚本多次是无害的：每个 div 只初始化一次。
 */
(function () {
  'use strict';
  if (window.kernelExplorer) {          // 已经定义过：只初始化新出现的探索器
    window.kernelExplorer.initAll();
    return;
  }
  const K = 3;                          // 卷积核边长
  const SCALE = 8;                      // 画布上每个像素占 8×8 个屏幕像素
  const CSS = `
.kernel-explorer{font-size:14px;line-height:1.4;border:1px solid #ccc;border-radius:6px;padding:10px;
  margin:1em 0;background:#fff;color:#222;color-scheme:light}
.kernel-explorer .ke-row{display:flex;flex-wrap:wrap;gap:10px 20px;align-items:flex-start}
.kernel-explorer .ke-row+.ke-row{margin-top:10px}
.kernel-explorer label{display:inline-flex;align-items:center;gap:6px}
.kernel-explorer figure{margin:0;max-width:100%}
.kernel-explorer figcaption,.kernel-explorer .ke-title{font-size:13px;color:#444;margin:0 0 4px}
.kernel-explorer canvas{display:block;max-width:100%;height:auto;border:1px solid #999}
.kernel-explorer table{border-collapse:collapse;margin:0;font-variant-numeric:tabular-nums}
.kernel-explorer td{border:1px solid #bbb;width:3.4em;height:2em;padding:1px 3px;text-align:center}
.kernel-explorer .ke-weights{display:grid;grid-template-columns:repeat(3,6.2em);gap:3px}
.kernel-explorer .ke-weights input{width:100%;box-sizing:border-box}
.kernel-explorer input[type=range]{width:150px}
.kernel-explorer .ke-num{min-width:2ch;text-align:right;font-variant-numeric:tabular-nums}
.kernel-explorer button{padding:2px 10px;cursor:pointer}
.kernel-explorer .ke-sum{margin:6px 0 0;font-weight:bold}`;

  // 建一个元素：attrs 里 text 是文字，其余是属性；children 依次追加
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  // 保留 digits 位小数，并且不显示 “-0.00”
  function fmt(x, digits) {
    const s = x.toFixed(digits);
    return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
  }

  // 颜色都来自配置里的 palette（Python 的 lib.viz.style.palette_data() 在构建时写入），
  // 与笔记本里的图同一套：红蓝色图（红正蓝负，0 为近白色）、框线色、黑白字的亮度分界。
  let palette = null;

  // 红蓝色图在 t ∈ [-1, 1] 处的颜色 [r, g, b]（在 palette.diverging 的采样点里取最近的一个）
  function diverging(t) {
    const lut = palette.diverging;
    const a = Math.max(-1, Math.min(1, t));
    return lut[Math.round((a + 1) / 2 * (lut.length - 1))];
  }

  // 相对亮度（WCAG 2），与 lib.viz.style.relative_luminance 同一公式
  function luminance(c) {
    const lin = c.map(v => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }

  function gray(v) { const g = Math.round(255 * v); return [g, g, g]; }   // 灰度：0 黑、1 白
  function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }

  // 表格的一格：写上数值，按颜色 c 涂底色，并选对比度高的字色
  function paint(cell, value, c) {
    const dark = luminance(c) <= palette.luminance_threshold;
    Object.assign(cell.style, {background: rgb(c), color: dark ? '#fff' : '#000'});
    cell.textContent = fmt(value, 2);
    cell.dataset.value = cell.title = String(value);
  }

  // 整张特征图（26×26），用于着色范围与“已算到的部分”
  function correlate(X, W) {
    const outH = X.length - K + 1, outW = X[0].length - K + 1;
    const Y = [];
    for (let i = 0; i < outH; i++) {
      Y.push([]);
      for (let j = 0; j < outW; j++) {
        let s = 0;
        for (let m = 0; m < K; m++) for (let n = 0; n < K; n++) s += X[i + m][j + n] * W[m][n];
        Y[i].push(s);
      }
    }
    return Y;
  }

  // 3×3 表格，返回 [表格, 9 个格子（按行）]
  function grid(role) {
    const cells = [];
    const rows = [0, 1, 2].map(() => el('tr', {}, [0, 1, 2].map(() => {
      const td = el('td', {'data-role': role});
      cells.push(td);
      return td;
    })));
    return [el('table', {}, [el('tbody', {}, rows)]), cells];
  }

  function init(div) {
    if (div.dataset.ready) return;
    div.dataset.ready = '1';
    const source = div.querySelector('script[type="application/json"]');
    const config = JSON.parse(source.textContent);
    const digits = config.digits, presets = config.presets;
    palette = config.palette;
    const side = digits[0].pixels.length;                 // 输入边长 28
    const size = side - K + 1;                            // 输出边长：28 - 3 + 1 = 26

    // ---- 控件 ----
    const digit = el('select', {'data-role': 'digit'}, digits.map((d, k) =>
      el('option', {value: k, text: `${d.label}（测试集第 ${d.index} 张）`})));
    const preset = el('select', {'data-role': 'preset'}, Object.keys(presets).map(name =>
      el('option', {value: name, text: name})).concat(el('option', {value: '', text: '自定义'})));
    const weights = [];
    for (let k = 0; k < K * K; k++) {
      weights.push(el('input', {type: 'number', step: '0.1', 'data-role': 'weight',
        'aria-label': `卷积核权重 W[${Math.floor(k / K)}, ${k % K}]`}));
    }
    const start = config.start || [Math.floor(size / 2), Math.floor(size / 2)];   // 一开始的位置 (行, 列)
    const slider = (role, value) => el('input', {type: 'range', min: 0, max: size - 1, step: 1, value,
      'data-role': role});
    const row = slider('row', start[0]), col = slider('col', start[1]);
    const rowText = el('span', {class: 'ke-num', 'aria-hidden': 'true'});
    const colText = el('span', {class: 'ke-num', 'aria-hidden': 'true'});
    const prev = el('button', {type: 'button', 'data-role': 'step', 'data-step': '-1', text: '上一步'});
    const next = el('button', {type: 'button', 'data-role': 'step', 'data-step': '1', text: '下一步'});
    const play = el('button', {type: 'button', 'data-role': 'play', text: '播放', 'aria-pressed': 'false'});

    // ---- 输出 ----
    const canvas = (n, role) => el('canvas', {width: n * SCALE, height: n * SCALE, role: 'img',
      'data-role': role});
    const input = canvas(side, 'input'), fmap = canvas(size, 'feature-map');
    const [windowTable, windowCells] = grid('window');
    const [productTable, productCells] = grid('products');
    const sum = el('output', {'data-role': 'sum'});
    const sumLine = el('p', {class: 'ke-sum'}, ['和（输出像素）= ', sum]);
    const figure = (title, body) => el('figure', {}, [el('figcaption', {text: title}), ...body]);

    const ui = el('div', {class: 'ke-ui'}, [
      el('div', {class: 'ke-row'}, [
        el('div', {}, [el('label', {}, ['数字', digit])]),
        el('div', {}, [el('label', {}, ['卷积核预设', preset])]),
        el('div', {role: 'group', 'aria-label': '卷积核权重 W（3×3，可编辑）'}, [
          el('div', {class: 'ke-title', text: '卷积核 W（可编辑）'}), el('div', {class: 'ke-weights'}, weights)]),
      ]),
      el('div', {class: 'ke-row'}, [
        el('label', {}, ['行 i', row, rowText]), el('label', {}, ['列 j', col, colText]),
        el('div', {}, [prev, ' ', next, ' ', play]),
      ]),
      el('div', {class: 'ke-row'}, [
        figure('输入与 3×3 窗口', [input]),
        figure('窗口 X', [windowTable]),
        figure('逐元素乘积 X·W', [productTable, sumLine]),
        figure('特征图（按行算到当前位置）', [fmap]),
      ]),
    ]);
    div.append(ui);

    // ---- 计算与绘制 ----
    function setWeights(W) {
      // 保留 6 位小数：1/9 显示为 0.111111，与 lib 的差远小于测试容差
      weights.forEach((box, k) => {
        box.value = String(Math.round(W[Math.floor(k / K)][k % K] * 1e6) / 1e6);
      });
    }
    function readWeights() {
      const w = weights.map(box => (Number.isFinite(box.valueAsNumber) ? box.valueAsNumber : 0));
      return [0, 1, 2].map(m => w.slice(m * K, m * K + K));
    }
    function position() { return Number(row.value) * size + Number(col.value); }
    function moveTo(p) {
      p = Math.max(0, Math.min(size * size - 1, p));
      row.value = String(Math.floor(p / size));
      col.value = String(p % size);
      update();
    }

    function update() {
      const d = digits[Number(digit.value)], X = d.pixels, W = readWeights();
      const i = Number(row.value), j = Number(col.value);
      const values = windowCells.map((c, k) => X[i + Math.floor(k / K)][j + k % K]);
      const products = values.map((x, k) => x * W[Math.floor(k / K)][k % K]);
      const total = products.reduce((a, b) => a + b, 0);
      const limit = Math.max(1e-6, ...products.map(Math.abs));   // 乘积按本窗口的最大绝对值着色
      values.forEach((x, k) => paint(windowCells[k], x, gray(x)));
      products.forEach((p, k) => paint(productCells[k], p, diverging(p / limit)));
      sum.textContent = fmt(total, 4);
      rowText.textContent = String(i);
      colText.textContent = String(j);
      Object.assign(div.dataset, {sum: String(total), row: String(i), col: String(j)});

      // 输入图：灰度，橙色框出窗口
      let ctx = input.getContext('2d');
      X.forEach((line, y) => line.forEach((v, x) => {
        ctx.fillStyle = rgb(gray(v));
        ctx.fillRect(x * SCALE, y * SCALE, SCALE, SCALE);
      }));
      ctx.strokeStyle = palette.highlight;
      ctx.lineWidth = 2;
      ctx.strokeRect(j * SCALE + 1, i * SCALE + 1, K * SCALE - 2, K * SCALE - 2);
      input.setAttribute('aria-label', `数字 ${d.label} 的 ${side}×${side} 灰度图，` +
        `橙色框是第 ${i} 行第 ${j} 列的 3×3 窗口`);

      // 特征图：只画到当前位置（按行），其余灰色；红正蓝负，按整张图的最大绝对值着色
      const Y = correlate(X, W);
      const fmax = Math.max(1e-6, ...Y.map(line => Math.max(...line.map(Math.abs))));
      ctx = fmap.getContext('2d');
      const done = position();
      Y.forEach((line, y) => line.forEach((v, x) => {
        ctx.fillStyle = y * size + x <= done ? rgb(diverging(v / fmax)) : palette.pending;
        ctx.fillRect(x * SCALE, y * SCALE, SCALE, SCALE);
      }));
      ctx.strokeStyle = palette.highlight;                             // 框在格子外沿，格子本身的颜色仍看得见
      ctx.lineWidth = 2;
      ctx.strokeRect(j * SCALE - 1, i * SCALE - 1, SCALE + 2, SCALE + 2);
      fmap.setAttribute('aria-label', `${size}×${size} 特征图，已算到第 ${i} 行第 ${j} 列，` +
        `当前输出像素为 ${fmt(total, 4)}`);
    }

    // ---- 事件 ----
    let timer = null;
    function pause() {
      clearInterval(timer);
      timer = null;
      play.textContent = '播放';
      play.setAttribute('aria-pressed', 'false');
    }
    function resume() {
      if (position() === size * size - 1) moveTo(0);     // 在最后一格时从头开始
      play.textContent = '暂停';
      play.setAttribute('aria-pressed', 'true');
      timer = setInterval(() => {
        if (position() >= size * size - 1) pause();
        else moveTo(position() + 1);
      }, 120);
    }

    for (const type of ['input', 'change']) {   // 下拉框：有的浏览器只发 change
      digit.addEventListener(type, update);
      preset.addEventListener(type, () => {
        if (preset.value in presets) setWeights(presets[preset.value]);
        update();
      });
    }
    weights.forEach(box => box.addEventListener('input', () => {
      // 改过的卷积核若不再等于当前预设，预设框显示“自定义”
      const W = readWeights(), P = presets[preset.value];
      if (P && P.some((line, m) => line.some((v, n) => Math.abs(v - W[m][n]) > 1e-6))) preset.value = '';
      update();
    }));
    row.addEventListener('input', update);
    col.addEventListener('input', update);
    prev.addEventListener('click', () => moveTo(position() - 1));
    next.addEventListener('click', () => moveTo(position() + 1));
    play.addEventListener('click', () => (timer === null ? resume() : pause()));

    preset.value = config.preset in presets ? config.preset : Object.keys(presets)[0];
    setWeights(presets[preset.value]);
    update();
  }

  function initAll() {
    document.querySelectorAll('div.kernel-explorer').forEach(div => {
      try {
        init(div);
      } catch (error) {
        div.append(el('p', {text: `卷积核探索器无法启动：${error.message}`}));
        console.error(error);
      }
    });
  }

  // 样式只注入一次
  if (!document.getElementById('kernel-explorer-style')) {
    document.head.append(el('style', {id: 'kernel-explorer-style', text: CSS}));
  }
  window.kernelExplorer = {init, initAll};
  initAll();
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initAll);
})();
