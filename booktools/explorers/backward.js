/* 第 5 章 反向传播探索器（与 lib.viz.ch5_backward.BackwardExplorer 相同）：size×size 输入、k×k 卷积核、
 * 不填充的卷积，步幅 1 或 2。前向时输出 (i, j) 读输入 (i·s + m, j·s + n)，乘权重 (m, n)。
 *   选输出像素：它的梯度 dY[i, j] 到达窗口里的 k² 个输入像素和全部 k² 个权重；
 *   选输入像素 (p, q)：读它的输出是满足 p = i·s + m、q = j·s + n 的 (i, j)，
 *   也就是膨胀（插 0）并填充的 dY 上，翻转的卷积核在 (p, q) 处盖住的非零元素。
 * 四张格子表：输入 X、卷积核 W（权重记作 a、b、c……）、dY、膨胀并填充的 dY；底色：普通、被牵连、选中。
 * 点 X 的格子选输入像素，点 dY 的格子选输出像素（键盘用“看什么”与行、列滑块）。
 * 配置：{size, k, stride, mode, row, col, modes: {input: 说明, output: 说明}, names: [k·k 个权重名],
 *        cell_colors: [普通, 被牵连, 选中], palette}
 * explorerState：与 backward_state 同样的内容，像素与权重写成列表：
 *   {size, k, stride, mode, out, row, col, inputs: [[p, q, m|null, n|null]…], outputs: [[i, j, m|null, n|null]…],
 *    weights: [[m, n]…], dilated: [[u, v, i, j]…], window: [p, q] | null}
 */
(function () {
  'use strict';

  // 与 backward_state 同样的几何关系
  function geometry(size, k, s, mode, row, col) {
    const out = Math.floor((size - k) / s) + 1;
    const limit = (mode === 'input' ? size : out) - 1;
    row = Math.min(Math.max(row, 0), limit);
    col = Math.min(Math.max(col, 0), limit);
    const inputs = new Map(), outputs = new Map(), weights = new Map();
    const key = (a, b) => `${a},${b}`;
    if (mode === 'output') {
      for (let m = 0; m < k; m++) {
        for (let n = 0; n < k; n++) {
          inputs.set(key(row * s + m, col * s + n), [row * s + m, col * s + n, m, n]);
          weights.set(key(m, n), [m, n]);
        }
      }
      outputs.set(key(row, col), [row, col, null, null]);
    } else {
      for (let m = 0; m < k; m++) {
        for (let n = 0; n < k; n++) {
          if ((row - m) % s !== 0 || (col - n) % s !== 0) continue;
          const i = (row - m) / s, j = (col - n) / s;
          if (i < 0 || i >= out || j < 0 || j >= out) continue;
          outputs.set(key(i, j), [i, j, m, n]);
          weights.set(key(m, n), [m, n]);
        }
      }
      inputs.set(key(row, col), [row, col, null, null]);
    }
    const dilated = new Map();
    for (let i = 0; i < out; i++) {
      for (let j = 0; j < out; j++) dilated.set(key(i * s + k - 1, j * s + k - 1), [i * s + k - 1, j * s + k - 1, i, j]);
    }
    return {size, k, stride: s, mode, out, row, col, inputs, outputs, weights, dilated,
      window: mode === 'input' ? [row, col] : null, key};
  }

  function init(div, config, ui) {
    const {el, colour} = ui;
    const size = config.size, k = config.k, names = config.names;
    const mode = ui.radios('看什么', Object.entries(config.modes), config.mode, 'mode');
    const stride = ui.radios('步幅', [[1, '1'], [2, '2']], config.stride, 'stride');
    const row = ui.range('行', 0, size - 1, config.row, 'row'), col = ui.range('列', 0, size - 1, config.col, 'col');
    const title = el('p', {class: 'bx-note bx-strong', 'data-role': 'title', 'aria-live': 'polite'});
    const panels = el('div', {class: 'bx-row', 'data-role': 'panels'});
    const legend = el('p', {class: 'bx-note'});
    const swatch = c => el('span', {'aria-hidden': 'true',
      style: `display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #999;background:${c}`});
    legend.append(swatch(config.cell_colors[2]), ' 选中的像素　', swatch(config.cell_colors[1]),
      ' 被牵连的像素与权重（格子里的字母是连接它们的权重）');
    div.append(el('div', {class: 'bx-ui'}, [el('div', {class: 'bx-row'}, [mode.node, stride.node]),
      el('div', {class: 'bx-row'}, [row.node, col.node]), title, panels, legend]));
    const rgb = config.cell_colors.map(hex => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)));

    // 一张格子表：levels、labels 是 Map（键 "行,列"）；box 是 [行, 列, 高, 宽] 或 null；
    // pick(行, 列) 给出时，点格子就选中它
    function grid(role, rows, cols, levels, labels, caption, box, pick) {
      const body = [];
      for (let i = 0; i < rows; i++) {
        const tr = el('tr');
        for (let j = 0; j < cols; j++) {
          const level = levels.get(`${i},${j}`) || 0, c = rgb[level];
          const inBox = box && i >= box[0] && i < box[0] + box[2] && j >= box[1] && j < box[1] + box[3];
          const td = el('td', {'data-role': role, 'data-level': level, 'data-row': i, 'data-col': j,
            class: inBox ? 'bx-box' : '', text: labels.get(`${i},${j}`) || ''});
          Object.assign(td.style, {background: colour.rgb(c), color: colour.text(c)});
          if (inBox) {                                    // 框：只画外沿，深色（选中的格子本身是橙色）
            const edge = '3px solid #222';
            if (i === box[0]) td.style.borderTop = edge;
            if (i === box[0] + box[2] - 1) td.style.borderBottom = edge;
            if (j === box[1]) td.style.borderLeft = edge;
            if (j === box[1] + box[3] - 1) td.style.borderRight = edge;
          }
          if (pick) {
            td.style.cursor = 'pointer';
            td.addEventListener('click', () => pick(i, j));
          }
          tr.append(td);
        }
        body.push(tr);
      }
      return el('figure', {}, [el('table', {class: 'bx-compact'}, [el('caption', {class: 'bx-title', text: caption}),
        el('tbody', {}, body)])]);
    }

    function update() {
      const m = mode.read(), s = Number(stride.read());
      const out = Math.floor((size - k) / s) + 1;
      const limit = (m === 'input' ? size : out) - 1;
      row.setMax(limit);
      col.setMax(limit);
      const g = geometry(size, k, s, m, Number(row.input.value), Number(col.input.value));
      const name = (a, b) => names[a * k + b];
      const levelsOf = map => new Map([...map].map(([key, v]) => [key, v[2] === null ? 2 : 1]));
      const labelsOf = map => new Map([...map].filter(([, v]) => v[2] !== null).map(([key, v]) => [key, name(v[2], v[3])]));
      // 输入 X
      const xLabels = labelsOf(g.inputs);
      const xTitle = m === 'output' ? `X：窗口里的 ${xLabels.size} 个像素收到梯度` : `X：选中像素 (${g.row}, ${g.col})`;
      // 卷积核 W
      const wLevels = new Map([...g.weights.keys()].map(key => [key, 1]));
      const wLabels = new Map();
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) wLabels.set(`${a},${b}`, name(a, b));
      // dY
      const yLabels = labelsOf(g.outputs);
      const yTitle = m === 'output' ? `dY：选中输出 (${g.row}, ${g.col})` : `dY：${yLabels.size} 个输出读了它（步幅 ${s}）`;
      // 膨胀并填充的 dY：数字是输出的行列；选输入像素时框出翻转的卷积核
      const side = (out - 1) * s + 1 + 2 * (k - 1);
      const dLevels = new Map([...g.dilated].map(([key, v]) => [key, g.outputs.has(g.key(v[2], v[3])) ? 2 : 1]));
      const dLabels = new Map([...g.dilated].map(([key, v]) => [key, `${v[2]}${v[3]}`]));
      let box = null, dTitle = '膨胀、填充的 dY（数字是输出的行列）';
      if (m === 'input') {
        const [p, q] = g.window;
        for (let u = 0; u < k; u++) {
          for (let v = 0; v < k; v++) {
            const flipped = name(k - 1 - u, k - 1 - v), here = g.dilated.get(g.key(p + u, q + v));
            dLabels.set(g.key(p + u, q + v), here ? `${here[2]}${here[3]}·${flipped}` : flipped);
          }
        }
        box = [p, q, k, k];
        dTitle = '膨胀、填充的 dY；框里是翻转的 W';
      }
      const pickInput = (i, j) => select('input', i, j), pickOutput = (i, j) => select('output', i, j);
      panels.replaceChildren(
        grid('x', size, size, levelsOf(g.inputs), xLabels, xTitle, null, pickInput),
        grid('w', k, k, wLevels, wLabels, `W：用到 ${g.weights.size} 个权重`, null, null),
        grid('dy', out, out, levelsOf(g.outputs), yLabels, yTitle, null, pickOutput),
        grid('dilated', side, side, dLevels, dLabels, dTitle, box, null));
      title.textContent = `${size}×${size} 输入，${k}×${k} 卷积核，步幅 ${s}：${config.modes[m]}`;
      div.explorerState = {size, k, stride: s, mode: m, out, row: g.row, col: g.col,
        inputs: [...g.inputs.values()], outputs: [...g.outputs.values()], weights: [...g.weights.values()],
        dilated: [...g.dilated.values()], window: g.window};
    }

    function select(m, i, j) {
      mode.inputs.forEach(input => { input.checked = input.value === m; });
      const s = Number(stride.read()), limit = (m === 'input' ? size : Math.floor((size - k) / s) + 1) - 1;
      row.setMax(limit);
      col.setMax(limit);
      row.set(i);
      col.set(j);
      update();
    }

    mode.inputs.concat(stride.inputs).forEach(input => ui.onChange(input, update));
    [row, col].forEach(r => ui.onChange(r.input, update));
    update();
  }

  window.bookExplorer.register('backward', init);
})();
