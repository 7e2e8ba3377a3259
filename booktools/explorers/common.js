/* 在线书里所有页内探索器共用的小模块（纯 JavaScript，不用任何库，也不访问网络）。
 *
 * 每个探索器是一个 div.book-explorer[data-kind=…]，里面有一段 <script type="application/json">
 * 配置（Python 在构建时写入，见 booktools/web.py）。各探索器的脚本调用
 *   bookExplorer.register(kind, init)
 * 登记自己；init(div, config, ui) 在 div 里搭出控件与图。本模块提供：
 *   ui.el                 建元素
 *   ui.colour             红蓝色图（红正蓝负）、顺序色图（magma）、灰度，与笔记本同一套（palette 来自 lib.viz.style）
 *   ui.drawMatrix         把矩阵画到 canvas 上（每个数一格），可加橙色框
 *   ui.table / ui.paint   写着数字、按数值着色的表格
 *   ui.select / ui.range / ui.number / ui.checkbox / ui.radios / ui.button   带中文标签的控件
 *   ui.nn                 卷积（互相关）、ReLU、池化、线性层：与 lib 同样的定义
 *   ui.digits             解码构建时写入的测试数字（uint8，base64）
 * 测试钩子：控件与输出带 data-role；每个探索器把当前显示的数字放在 div.explorerState 里。
 * 本文件在同一页面里出现多次是无害的：只有第一次定义 bookExplorer。
 */
(function () {
  'use strict';
  if (window.bookExplorer) return;

  const CSS = `
.book-explorer{font-size:14px;line-height:1.4;border:1px solid #767676;border-radius:6px;padding:10px;
  margin:1em 0;background:#fff;color:#222;color-scheme:light;max-width:100%;box-sizing:border-box;overflow-x:auto}
.book-explorer .bx-row{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:flex-start}
.book-explorer .bx-row+.bx-row{margin-top:10px}
.book-explorer label{display:inline-flex;align-items:center;gap:6px;flex-wrap:wrap}
.book-explorer fieldset{border:1px solid #bbb;border-radius:4px;padding:2px 8px 6px;margin:0}
.book-explorer legend{font-size:13px;padding:0 4px}
.book-explorer fieldset label{margin-right:12px}
.book-explorer figure{margin:0;max-width:100%}
.book-explorer figcaption,.book-explorer .bx-title{font-size:13px;color:#333;margin:0 0 4px}
.book-explorer canvas{display:block;max-width:100%;height:auto;border:1px solid #999;image-rendering:pixelated}
.book-explorer table{border-collapse:collapse;margin:0;font-variant-numeric:tabular-nums}
.book-explorer td,.book-explorer th{border:1px solid #bbb;min-width:2.6em;height:1.9em;padding:1px 3px;text-align:center;font-size:13px}
.book-explorer th{background:#f3f3f3;font-weight:normal}
.book-explorer table.bx-compact td{min-width:2.1em;height:1.7em;padding:0 2px;font-size:12px}
.book-explorer td.bx-hit,.book-explorer th.bx-hit{outline:3px solid var(--bx-highlight);outline-offset:-3px}
.book-explorer input[type=range]{width:140px;max-width:60vw}
.book-explorer input[type=number]{width:5em}
.book-explorer .bx-num{min-width:2ch;text-align:right;font-variant-numeric:tabular-nums}
.book-explorer button{padding:3px 10px;cursor:pointer;min-height:28px}
.book-explorer :focus-visible{outline:3px solid #1a5fb4;outline-offset:1px}
.book-explorer .bx-note{margin:6px 0 0;font-size:13px}
.book-explorer .bx-strong{font-weight:bold}
.book-explorer .bx-scroll{max-width:100%;overflow-x:auto}
.book-explorer .bx-bars{display:grid;grid-template-columns:auto 1fr auto;gap:2px 6px;align-items:center;min-width:200px}
.book-explorer .bx-bar{height:14px;background:#4c72b0}
.book-explorer .bx-bar.bx-top{background:var(--bx-highlight)}`;

  // ---- 元素与格式 ----

  // 建一个元素：attrs 里 text 是文字，其余是属性；children 依次追加
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'text') node.textContent = value;
      else if (value !== undefined && value !== null) node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  // 保留 digits 位小数，并且不显示 “-0.00”
  function fmt(x, digits) {
    const s = x.toFixed(digits);
    return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
  }

  // ---- 颜色（palette 由 Python 的 lib.viz.style.palette_data() 写进每个探索器的配置）----

  let palette = null;
  const colour = {
    // 红蓝色图在 t ∈ [-1, 1] 处的 [r, g, b]（取 palette.diverging 里最近的采样点）
    diverging(t) {
      const lut = palette.diverging;
      const a = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
      return lut[Math.round((a + 1) / 2 * (lut.length - 1))];
    },
    // 顺序色图（magma）在 t ∈ [0, 1] 处的颜色
    sequential(t) {
      const lut = palette.sequential;
      const a = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
      return lut[Math.round(a * (lut.length - 1))];
    },
    gray(v) { const g = Math.round(255 * Math.max(0, Math.min(1, v))); return [g, g, g]; },   // 0 黑、1 白
    rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; },
    // 相对亮度（WCAG 2），与 lib.viz.style.relative_luminance 同一公式
    luminance(c) {
      const lin = c.map(v => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    },
    text(c) { return colour.luminance(c) <= palette.luminance_threshold ? '#fff' : '#000'; },
    // 一组数的色阶：'diverging'（±最大绝对值）、'sequential'（0 到最大值）或 'gray'（0 到 1）
    scale(kind, values, limit) {
      let m = limit;
      if (m === undefined) {
        m = 1e-6;
        for (const v of values) m = Math.max(m, kind === 'diverging' ? Math.abs(v) : v);
      }
      if (kind === 'diverging') return v => colour.diverging(v / m);
      if (kind === 'sequential') return v => colour.sequential(v / m);
      return v => colour.gray(v);
    },
  };

  // ---- 画图 ----

  // 把 rows×cols 的矩阵（扁平数组，按行）画进 canvas：每个数一格 scale×scale 像素。
  // boxes：[{row, col, h, w}] 橙色框（以格为单位）；框画在格子外沿，格子的颜色仍看得见
  function drawMatrix(canvas, values, rows, cols, toColour, boxes) {
    const scale = Number(canvas.dataset.scale);
    if (canvas.width !== cols * scale) canvas.width = cols * scale;
    if (canvas.height !== rows * scale) canvas.height = rows * scale;
    const ctx = canvas.getContext('2d');
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        ctx.fillStyle = colour.rgb(toColour(values[i * cols + j], i, j));
        ctx.fillRect(j * scale, i * scale, scale, scale);
      }
    }
    ctx.strokeStyle = palette.highlight;
    ctx.lineWidth = 2;
    for (const b of boxes || []) {
      ctx.strokeRect(b.col * scale + 1, b.row * scale + 1, (b.w || 1) * scale - 2, (b.h || 1) * scale - 2);
    }
  }

  // 画布：role=img，名字（aria-label）随内容更新
  function canvas(role, scale, label) {
    return el('canvas', {role: 'img', 'data-role': role, 'data-scale': scale, width: scale, height: scale,
      'aria-label': label || ''});
  }

  // rows×cols 的表格，返回 {table, cells}（cells 按行扁平）；header=true 时第一行是列号
  function table(rows, cols, role, caption) {
    const cells = [];
    const body = [];
    for (let i = 0; i < rows; i++) {
      const tr = el('tr');
      for (let j = 0; j < cols; j++) {
        const td = el('td', {'data-role': role});
        cells.push(td);
        tr.append(td);
      }
      body.push(tr);
    }
    const t = el('table', {}, [caption ? el('caption', {class: 'bx-title', text: caption}) : '', el('tbody', {}, body)]);
    return {table: t, cells};
  }

  // 表格的一格：写上数值，按颜色 c 涂底色，并选对比度高的字色
  function paint(cell, value, c, digits) {
    Object.assign(cell.style, {background: colour.rgb(c), color: colour.text(c)});
    cell.textContent = fmt(value, digits === undefined ? 2 : digits);
    cell.dataset.value = String(value);
  }

  // ---- 控件：每个都有看得见的中文标签 ----

  function onChange(input, handler) {
    for (const type of ['input', 'change']) input.addEventListener(type, handler);   // 有的浏览器只发 change
  }

  function select(label, options, role) {
    const input = el('select', {'data-role': role},
      options.map(([value, text]) => el('option', {value, text})));
    return {input, node: el('label', {}, [label, input])};
  }

  // 滑块，旁边显示当前值（读屏软件直接读滑块的值，数字对它隐藏）
  function range(label, min, max, value, role) {
    const input = el('input', {type: 'range', min, max, step: 1, value, 'data-role': role});
    const shown = el('span', {class: 'bx-num', 'aria-hidden': 'true', text: String(value)});
    onChange(input, () => { shown.textContent = input.value; });
    const setMax = m => { input.max = String(m); if (Number(input.value) > m) input.value = String(m); shown.textContent = input.value; };
    const set = v => { input.value = String(v); shown.textContent = input.value; };
    return {input, node: el('label', {}, [label, input, shown]), setMax, set};
  }

  function number(label, min, max, value, role) {
    const input = el('input', {type: 'number', min, max, step: 1, value, 'data-role': role, inputmode: 'numeric'});
    // 读数：越界或空白时夹到范围内
    const read = () => {
      const v = Math.round(Number(input.value));
      return Math.max(min, Math.min(max, Number.isFinite(v) ? v : min));
    };
    return {input, node: el('label', {}, [label, input]), read};
  }

  function checkbox(label, role, checked) {
    const input = el('input', {type: 'checkbox', 'data-role': role});
    input.checked = Boolean(checked);
    return {input, node: el('label', {}, [input, label])};
  }

  let radioGroups = 0;
  // 一组单选按钮（fieldset + legend）；read() 返回选中的值
  function radios(legend, options, value, role) {
    const name = `bx-radio-${++radioGroups}`;
    const inputs = options.map(([v]) => {
      const input = el('input', {type: 'radio', name, value: v, 'data-role': role});
      input.checked = String(v) === String(value);
      return input;
    });
    const node = el('fieldset', {}, [el('legend', {text: legend}),
      ...options.map(([, text], k) => el('label', {}, [inputs[k], text]))]);
    const read = () => inputs.find(input => input.checked).value;
    return {inputs, node, read};
  }

  function button(text, role, attrs) {
    return el('button', Object.assign({type: 'button', 'data-role': role, text}, attrs || {}));
  }

  // ---- 数据 ----

  function base64Bytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // 构建时写入的数字：{labels, size, pixels: uint8 的 base64（n·size·size）}；
  // 返回 {count, size, labels, image(k)}，image(k) 是取值 [0, 1] 的 Float64Array（与 lib.load_digits 相同：除以 255）
  function digits(data) {
    const bytes = base64Bytes(data.pixels), n = data.size * data.size;
    return {
      count: data.labels.length, size: data.size, labels: data.labels,
      image(k) { const out = new Float64Array(n); for (let i = 0; i < n; i++) out[i] = bytes[k * n + i] / 255; return out; },
    };
  }

  // float32 数组（小端，base64）→ Float64Array
  function floats(text) {
    const bytes = base64Bytes(text);
    return Float64Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  }

  // ---- 与 lib 同样定义的网络运算（数组按 (C, H, W) 扁平存放）----

  const nn = {
    outputSize(n, k, stride, padding) { return Math.floor((n + 2 * padding - k) / stride) + 1; },
    // 互相关：x (C, H, W)，weight (F, C, k, k)，bias (F)；返回 {data (F, oh, ow), channels, height, width}
    conv2d(x, C, H, W, weight, bias, F, k, stride, padding) {
      const oh = nn.outputSize(H, k, stride, padding), ow = nn.outputSize(W, k, stride, padding);
      const out = new Float64Array(F * oh * ow);
      for (let f = 0; f < F; f++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let s = bias ? bias[f] : 0;
            for (let c = 0; c < C; c++) {
              for (let m = 0; m < k; m++) {
                const y = i * stride + m - padding;
                if (y < 0 || y >= H) continue;
                for (let n = 0; n < k; n++) {
                  const xx = j * stride + n - padding;
                  if (xx < 0 || xx >= W) continue;
                  s += x[(c * H + y) * W + xx] * weight[((f * C + c) * k + m) * k + n];
                }
              }
            }
            out[(f * oh + i) * ow + j] = s;
          }
        }
      }
      return {data: out, channels: F, height: oh, width: ow};
    },
    relu(x) { return x.map(v => (v > 0 ? v : 0)); },
    // 池化：窗口 size×size，步幅 size，不补零，凑不满窗口的边缘丢掉（与 lib.MaxPool / AvgPool 相同）
    pool(x, C, H, W, size, mode) {
      const oh = Math.floor((H - size) / size) + 1, ow = Math.floor((W - size) / size) + 1;
      const out = new Float64Array(C * oh * ow);
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let best = -Infinity, sum = 0;
            for (let m = 0; m < size; m++) {
              for (let n = 0; n < size; n++) {
                const v = x[(c * H + i * size + m) * W + j * size + n];
                if (v > best) best = v;
                sum += v;
              }
            }
            out[(c * oh + i) * ow + j] = mode === 'max' ? best : sum / (size * size);
          }
        }
      }
      return {data: out, channels: C, height: oh, width: ow};
    },
    // 线性层：weight 形状 (out, in)，y = W x + b（与 lib.Linear 相同）
    linear(x, weight, bias, nOut) {
      const nIn = x.length, y = new Float64Array(nOut);
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        for (let i = 0; i < nIn; i++) s += weight[o * nIn + i] * x[i];
        y[o] = s;
      }
      return y;
    },
    softmax(z) {
      const m = Math.max(...z), e = Array.from(z, v => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
      return e.map(v => v / s);
    },
  };

  // ---- 登记与启动 ----

  const kinds = {};
  function initDiv(div) {
    if (div.dataset.ready) return;
    const init = kinds[div.dataset.kind];
    if (!init) return;                                   // 这个探索器的脚本还没加载
    div.dataset.ready = '1';
    try {
      const config = JSON.parse(div.querySelector('script[type="application/json"]').textContent);
      palette = palette || config.palette;
      div.style.setProperty('--bx-highlight', palette.highlight);
      init(div, config, ui);
    } catch (error) {
      div.append(el('p', {text: `探索器无法启动：${error.message}`}));
      console.error(error);
    }
  }
  function initAll() { document.querySelectorAll('div.book-explorer').forEach(initDiv); }
  function register(kind, init) {
    kinds[kind] = init;
    initAll();
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initAll);
  }

  const ui = {el, fmt, colour, drawMatrix, canvas, table, paint, onChange, select, range, number, checkbox,
    radios, button, digits, floats, nn};
  document.head.append(el('style', {id: 'book-explorer-style', text: CSS}));
  window.bookExplorer = {register, initAll, ui};
})();
