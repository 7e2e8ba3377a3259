/* 第 2 章 图转列探索器（与 lib.viz.ch2_im2col.Im2colExplorer 相同）：选输出位置 (i, j)、步幅与填充，
 * 输入里的窗口、窗口矩阵里的那一列、输出里的那个像素同时用橙色框出。点输出像素或列号也能选位置。
 *   窗口矩阵 cols[m·k + n][i·out_w + j] = 填充后的输入[i·s + m][j·s + n]    （与 lib.im2col 相同的排列）
 *   输出 Y[i][j] = W 展平 · 第 p 列 + b，p = i·out_w + j
 * 配置：{image: H×W, kernel: k×k, bias, stride, padding, max_stride, max_padding, palette}
 * explorerState：{row, col, stride, padding, index, window, column, value, cols, output}
 */
(function () {
  'use strict';

  function init(div, config, ui) {
    const {el, fmt, colour} = ui;
    const image = config.image, H = image.length, W = image[0].length;
    const kernel = config.kernel.flat(), k = config.kernel.length, bias = config.bias;
    const row = ui.range('输出行 i', 0, 0, 0, 'row'), col = ui.range('输出列 j', 0, 0, 0, 'col');
    const stride = ui.range('步幅 s', 1, config.max_stride, config.stride, 'stride');
    const padding = ui.range('填充 p（补零）', 0, config.max_padding, config.padding, 'padding');
    const panels = el('div', {class: 'bx-row', 'data-role': 'panels'});
    const equation = el('p', {class: 'bx-note', 'data-role': 'equation', 'aria-live': 'polite'});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [row.node, col.node, stride.node, padding.node]), panels, equation]));

    const kc = colour.scale('diverging', kernel);
    let state = null;

    function compute() {
      const s = Number(stride.input.value), p = Number(padding.input.value);
      const ph = H + 2 * p, pw = W + 2 * p;
      const padded = new Float64Array(ph * pw);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) padded[(y + p) * pw + x + p] = image[y][x];
      const oh = ui.nn.outputSize(H, k, s, p), ow = ui.nn.outputSize(W, k, s, p);
      const cols = [];
      for (let r = 0; r < k * k; r++) {
        const line = [];
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) line.push(padded[(i * s + Math.floor(r / k)) * pw + j * s + r % k]);
        }
        cols.push(line);
      }
      const output = [];
      for (let q = 0; q < oh * ow; q++) {
        let v = bias;
        for (let r = 0; r < k * k; r++) v += kernel[r] * cols[r][q];
        output.push(v);
      }
      return {s, p, ph, pw, padded, oh, ow, cols, output};
    }

    function cell(tag, text, attrs) { return el(tag, attrs || {}, [String(text)]); }

    function update() {
      const c = compute();
      row.setMax(c.oh - 1);
      col.setMax(c.ow - 1);
      const i = Number(row.input.value), j = Number(col.input.value), q = i * c.ow + j;
      const top = i * c.s, left = j * c.s;
      const column = c.cols.map(line => line[q]);
      const windowValues = [];
      for (let m = 0; m < k; m++) for (let n = 0; n < k; n++) windowValues.push(c.padded[(top + m) * c.pw + left + n]);

      // 填充后的输入：窗口里的格子框出，补出来的 0 用灰字
      const inputRows = [];
      for (let y = 0; y < c.ph; y++) {
        inputRows.push(el('tr', {}, Array.from({length: c.pw}, (_, x) => {
          const inside = y >= c.p && y < c.p + H && x >= c.p && x < c.p + W;
          const hit = y >= top && y < top + k && x >= left && x < left + k;
          return cell('td', fmt(c.padded[y * c.pw + x], 0), {'data-role': hit ? 'window' : 'input',
            class: hit ? 'bx-hit' : '', style: inside ? '' : 'color:#595959;background:#eee'});
        })));
      }
      const inputTable = el('table', {}, [el('caption', {class: 'bx-title',
        text: `填充后的输入 ${c.ph}×${c.pw}（窗口左上角在 (${top}, ${left})）`}), el('tbody', {}, inputRows)]);

      const kernelTable = ui.table(k, k, 'kernel', `卷积核 W，偏置 b = ${fmt(bias, 0)}`);
      kernel.forEach((v, r) => ui.paint(kernelTable.cells[r], v, kc(v), 0));

      // 窗口矩阵：表头是列号按钮，点一下就选中那一列（也就是那个输出位置）
      const head = el('tr', {}, [cell('th', '行＼列', {scope: 'col'}), ...c.cols[0].map((_, p) => {
        const b = ui.button(String(p), 'column-button', {'aria-label': `选第 ${p} 列`, 'aria-pressed': String(p === q)});
        b.addEventListener('click', () => select(Math.floor(p / c.ow), p % c.ow));
        return el('th', {scope: 'col', class: p === q ? 'bx-hit' : ''}, [b]);
      })]);
      const body = c.cols.map((line, r) => el('tr', {}, [cell('th', `(${Math.floor(r / k)},${r % k})`, {scope: 'row'}),
        ...line.map((v, p) => cell('td', fmt(v, 0), {'data-role': p === q ? 'column' : 'cols', class: p === q ? 'bx-hit' : ''}))]));
      const colsTable = el('div', {class: 'bx-scroll'}, [el('table', {}, [el('caption', {class: 'bx-title',
        text: `窗口矩阵 ${k * k}×${c.oh * c.ow}（第 ${q} 列 = 窗口）`}), el('thead', {}, [head]), el('tbody', {}, body)])]);

      // 输出：每个像素是一个按钮
      const outRows = [];
      for (let y = 0; y < c.oh; y++) {
        outRows.push(el('tr', {}, Array.from({length: c.ow}, (_, x) => {
          const b = ui.button(fmt(c.output[y * c.ow + x], 0), 'output-button',
            {'aria-label': `输出 (${y}, ${x}) = ${fmt(c.output[y * c.ow + x], 0)}`, 'aria-pressed': String(y === i && x === j)});
          b.addEventListener('click', () => select(y, x));
          return el('td', {'data-role': y === i && x === j ? 'pixel' : 'output', class: y === i && x === j ? 'bx-hit' : ''}, [b]);
        })));
      }
      const outTable = el('table', {}, [el('caption', {class: 'bx-title', text: `输出 ${c.oh}×${c.ow}`}), el('tbody', {}, outRows)]);
      panels.replaceChildren(inputTable, kernelTable.table, colsTable, outTable);

      const value = c.output[q];
      const terms = kernel.map((w, r) => `${fmt(w, 0)}·${fmt(column[r], 0)}`).join(' + ');
      equation.textContent = `Y[${i}, ${j}] = W 展平 · 第 ${q} 列 + b = ${terms} + ${fmt(bias, 0)} = ${fmt(value, 0)}`;
      state = {row: i, col: j, stride: c.s, padding: c.p, index: q, window: windowValues, column, value,
        cols: c.cols, output: c.output};
      div.explorerState = state;
      Object.assign(div.dataset, {row: String(i), col: String(j), value: String(value)});
    }

    function select(i, j) {
      row.set(i);
      col.set(j);
      update();
      const again = div.querySelector(`[data-role="pixel"] button`);   // 重建后把焦点留在选中的像素上
      if (again && document.activeElement === document.body) again.focus();
    }

    [row, col, stride, padding].forEach(r => ui.onChange(r.input, update));
    update();
  }

  window.bookExplorer.register('im2col', init);
})();
