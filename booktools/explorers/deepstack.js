/* 第 7 章 深网络探索器（与 lib.viz.ch7_modern.DeepStackExplorer 相同）：开关批归一化与捷径、换块数，
 * 看初始化时的逐层统计量：每个块输出的标准差、损失对块输出的梯度（均方根）、每个卷积层权重梯度的范数。
 * 控件只有 2 × 2 × 4 种取值，Python 在构建时用 lib（stack_statistics，同一批数字、同一个种子）把每一种
 * 都算好写进配置；网页只负责显示，所以显示的每个数都就是 lib 的数。
 * 配置：{depths: [4, 8, 16, 24], blocks, batchnorm, shortcut, configs: {"bn,sc": 名字}, colors: {"bn,sc": 颜色},
 *        stats: {"bn,sc,blocks": {activation_std, activation_grad, weight_grad, loss}}, palette}
 * explorerState：{batchnorm, shortcut, blocks, activation_std, activation_grad, weight_grad, loss, ratio}
 */
(function () {
  'use strict';
  const PANELS = [['activation_std', '每个块输出的标准差', '块'],
    ['activation_grad', '损失对块输出的梯度（均方根）', '块'],
    ['weight_grad', '卷积层权重梯度的范数', '卷积层（从输入数起）']];
  const SUPERSCRIPT = {'-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹'};
  const SVG = 'http://www.w3.org/2000/svg';

  // 与 Python 的 f'{x:.3g}' 相同的写法
  function g3(x, p) {
    p = p || 3;
    if (x === 0) return '0';
    if (!Number.isFinite(x)) return String(x);
    const [mantissa, e] = x.toExponential(p - 1).split('e');
    const exp = Number(e);
    const strip = s => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
    if (exp < -4 || exp >= p) return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return strip(x.toFixed(p - 1 - exp));
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // 一张纵轴对数的折线图：values 从 1 数起；[lo, hi] 是纵轴范围（log10，整数）
  function chart(values, lo, hi, colour, xlabel, label) {
    const W = 300, H = 210, left = 44, right = 8, top = 8, bottom = 36;
    const n = values.length, xMax = Math.max(n, 2);
    const x = i => left + (i - 1) / (xMax - 1) * (W - left - right);
    const y = v => top + (hi - Math.log10(v)) / (hi - lo) * (H - top - bottom);
    const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label,
      style: 'max-width:100%;height:auto;background:#fff'});
    for (let d = lo; d <= hi; d++) {
      const yy = y(10 ** d);
      root.append(svg('line', {x1: left, x2: W - right, y1: yy, y2: yy, stroke: '#ddd'}));
      const exponent = String(d).split('').map(c => SUPERSCRIPT[c]).join('');
      root.append(svg('text', {x: left - 4, y: yy + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#333'}, `10${exponent}`));
    }
    const step = Math.max(1, Math.ceil(n / 6));
    for (let i = 1; i <= n; i += step) {
      root.append(svg('text', {x: x(i), y: H - bottom + 14, 'text-anchor': 'middle', 'font-size': 11, fill: '#333'}, String(i)));
    }
    root.append(svg('text', {x: (left + W - right) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 11, fill: '#333'}, xlabel));
    root.append(svg('rect', {x: left, y: top, width: W - left - right, height: H - top - bottom, fill: 'none', stroke: '#999'}));
    const points = Array.from(values, (v, i) => `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`);
    root.append(svg('polyline', {points: points.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2, 'data-role': 'line'}));
    for (const p of points) {
      const [cx, cy] = p.split(',');
      root.append(svg('circle', {cx, cy, r: 2.5, fill: colour}));
    }
    return root;
  }

  function init(div, config, ui) {
    const {el} = ui;
    const batchnorm = ui.checkbox('批归一化', 'batchnorm', config.batchnorm);
    const shortcut = ui.checkbox('捷径（残差连接）', 'shortcut', config.shortcut);
    const blocks = ui.radios('深度', config.depths.map(d => [d, `${d} 个块`]), config.blocks, 'blocks');
    const title = el('p', {class: 'bx-note bx-strong', 'data-role': 'title', 'aria-live': 'polite'});
    const charts = el('div', {class: 'bx-row', 'data-role': 'charts'});
    const numbers = el('div', {class: 'bx-scroll'});
    const details = el('details', {}, [el('summary', {text: '逐层的数值（与图中的点相同）'}), numbers]);
    div.append(el('div', {class: 'bx-ui'}, [el('div', {class: 'bx-row'}, [batchnorm.node, shortcut.node, blocks.node]),
      title, charts, el('p', {class: 'bx-note', text: '纵轴是对数刻度；同一张图在各种结构、各种深度下用同一个纵轴范围，切换时可以直接比较高低。'}),
      details]));

    // 每张图的纵轴范围：覆盖全部 16 种情形，取整到 10 的幂
    const range = {};
    for (const [key] of PANELS) {
      let lo = Infinity, hi = -Infinity;
      for (const stats of Object.values(config.stats)) {
        for (const v of stats[key]) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
      }
      range[key] = [Math.floor(lo), Math.max(Math.ceil(hi), Math.floor(lo) + 1)];
    }

    function update() {
      const bn = batchnorm.input.checked, sc = shortcut.input.checked, d = Number(blocks.read());
      const name = `${bn},${sc}`, stats = config.stats[`${bn},${sc},${d}`];
      const wg = stats.weight_grad, ratio = wg[0] / wg[wg.length - 1];
      title.textContent = `${config.configs[name]}，${d} 个块（${2 * d + 1} 个卷积层）：初始损失 ${g3(stats.loss)}，` +
        `第一层与最后一层的权重梯度之比 ${g3(ratio)}`;
      charts.replaceChildren(...PANELS.map(([key, text, xlabel]) => {
        const values = stats[key];
        const label = `${text}（${config.configs[name]}，${d} 个块）：从 ${g3(values[0])} 到 ${g3(values[values.length - 1])}`;
        return el('figure', {'data-role': key}, [el('figcaption', {text}),
          chart(values, range[key][0], range[key][1], config.colors[name], xlabel, label)]);
      }));
      const rows = wg.map((v, i) => el('tr', {}, [el('th', {scope: 'row', text: String(i + 1)}),
        el('td', {text: i < d ? g3(stats.activation_std[i]) : ''}),
        el('td', {text: i < d ? g3(stats.activation_grad[i]) : ''}),
        el('td', {text: g3(v)})]));
      numbers.replaceChildren(el('table', {}, [
        el('thead', {}, [el('tr', {}, [el('th', {scope: 'col', text: '序号'}), el('th', {scope: 'col', text: '块输出的标准差'}),
          el('th', {scope: 'col', text: '块输出的梯度（均方根）'}), el('th', {scope: 'col', text: '卷积层权重梯度的范数'})])]),
        el('tbody', {}, rows)]));
      div.explorerState = {batchnorm: bn, shortcut: sc, blocks: d, activation_std: stats.activation_std,
        activation_grad: stats.activation_grad, weight_grad: wg, loss: stats.loss, ratio, title: title.textContent};
    }

    [batchnorm.input, shortcut.input].concat(blocks.inputs).forEach(input => ui.onChange(input, update));
    update();
  }

  window.bookExplorer.register('deepstack', init);
})();
