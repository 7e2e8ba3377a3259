/* 第 6 章 卷积代价探索器（与 lib.viz.ch6_channels.CostExplorer 相同）：选输入通道 C、卷积核数 F、边长 k、
 * 步幅 s、填充 p 与输入边长 H，看三个体（输入、F 个卷积核、输出）的形状，以及 lib.summary 数的三本账：
 *   输出边长 H′ = ⌊(H + 2p − k) / s⌋ + 1（与 lib.output_size 相同）
 *   参数 F·C·k² + F，乘加 N·F·C·k²·H′·W′，输出（激活）N·F·H′·W′·4 字节（float32），
 *   im2col 的窗口矩阵 N·C·k²·H′·W′·4 字节，输入 N·C·H·H·4 字节。N = 1。
 * 配置：{values: {C, F, k, stride, padding, H}, ranges: {名字: [min, max, step, 标签]}, N, colors: [输入, 卷积核, 输出], palette}
 * explorerState：{C, F, k, stride, padding, H, N, valid, input_shape, weight_shape, output_shape, parameters,
 *                 multiply_adds, input_bytes, activation_bytes, columns_bytes}
 */
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const NAMES = ['C', 'F', 'k', 'stride', 'padding', 'H'];

  // 与 Python 的 f'{n:,}' 相同：千位用逗号分开
  const thousands = n => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // 三个伪三维的长方体（与 lib.viz.ch6_channels.cuboid 同样的比例：正面 height×width，向右上伸出 depth/2）
  function volumes(s, colors) {
    const [, F, Ho, Wo] = s.output_shape;
    const scale = 1 / Math.max(s.H, Ho, s.C, F, 1), unit = 110;
    const shapes = [[s.C, s.H, s.H, colors[0], `输入 (${s.C}, ${s.H}, ${s.H})`],
      [s.C, s.k, s.k, colors[1], `${F} 个卷积核，各 (${s.C}, ${s.k}, ${s.k})`],
      [F, Ho, Wo, colors[2], `输出 (${F}, ${Ho}, ${Wo})`]];
    const gaps = [0, 0.3, 0.6];
    const parts = [];
    let x = 0, top = 0;
    shapes.forEach(([depth, height, width, colour, label], n) => {
      const x0 = x + gaps[n], h = height * scale, w = width * scale, d = depth * scale * 0.5;
      parts.push({x0, h, w, d, colour, label});
      top = Math.max(top, h + d);
      x = x0 + w + d;
    });
    const W = (x + 0.1) * unit, textRoom = 40, H = top * unit + textRoom + 8;
    const root = svg('svg', {viewBox: `${-0.05 * unit} 0 ${W + 0.1 * unit} ${H}`, width: Math.round(W + 0.1 * unit), height: Math.round(H),
      role: 'img', 'data-role': 'volumes', style: 'max-width:100%;height:auto;background:#fff',
      'aria-label': shapes.map(p => p[4]).join('；')});
    const Y = v => (top - v) * unit + 4;          // 纵坐标向上
    parts.forEach((p, n) => {
      const X = v => v * unit;
      const front = [[p.x0, 0], [p.x0 + p.w, 0], [p.x0 + p.w, p.h], [p.x0, p.h]];
      const lid = [[p.x0, p.h], [p.x0 + p.w, p.h], [p.x0 + p.w + p.d, p.h + p.d], [p.x0 + p.d, p.h + p.d]];
      const side = [[p.x0 + p.w, 0], [p.x0 + p.w + p.d, p.d], [p.x0 + p.w + p.d, p.h + p.d], [p.x0 + p.w, p.h]];
      for (const [points, alpha] of [[front, 0.55], [lid, 0.35], [side, 0.25]]) {
        root.append(svg('polygon', {points: points.map(([a, b]) => `${X(a).toFixed(1)},${Y(b).toFixed(1)}`).join(' '),
          fill: p.colour, 'fill-opacity': alpha, stroke: '#000', 'stroke-width': 1}));
      }
      root.append(svg('text', {x: X(p.x0 + p.w / 2).toFixed(1), y: Y(0) + 16 + (n === 1 ? 16 : 0), 'text-anchor': 'middle',
        'font-size': 12, fill: '#222'}, p.label));
    });
    return root;
  }

  function init(div, config, ui) {
    const {el} = ui;
    const N = config.N;
    const sliders = {};
    for (const name of NAMES) {
      const [min, max, step, label] = config.ranges[name];
      sliders[name] = ui.range(label, min, max, config.values[name], name);
      sliders[name].input.step = String(step);
    }
    const message = el('p', {class: 'bx-note bx-strong', 'data-role': 'message', 'aria-live': 'polite'});
    const picture = el('div', {class: 'bx-scroll', 'data-role': 'picture'});
    const numbers = el('dl', {class: 'bx-note', 'data-role': 'numbers', style: 'margin:6px 0 0'});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, ['C', 'F', 'k'].map(n => sliders[n].node)),
      el('div', {class: 'bx-row'}, ['stride', 'padding', 'H'].map(n => sliders[n].node)),
      message, picture, numbers]));
    let last = null;

    function compute(v) {
      const out = Math.floor((v.H + 2 * v.padding - v.k) / v.stride) + 1;
      return Object.assign({}, v, {N, valid: true, input_shape: [N, v.C, v.H, v.H], weight_shape: [v.F, v.C, v.k, v.k],
        output_shape: [N, v.F, out, out], parameters: v.F * v.C * v.k * v.k + v.F,
        multiply_adds: N * v.F * v.C * v.k * v.k * out * out, input_bytes: N * v.C * v.H * v.H * 4,
        activation_bytes: N * v.F * out * out * 4, columns_bytes: N * v.C * v.k * v.k * out * out * 4});
    }

    function update() {
      const v = {};
      for (const name of NAMES) v[name] = Number(sliders[name].input.value);
      if (v.H + 2 * v.padding < v.k) {
        // 与控件一样：给出提示，图与数字停在上一个有效的设置
        message.textContent = `卷积核 ${v.k}×${v.k} 大于填充后的输入 ${v.H + 2 * v.padding}：请加大 H 或 p`;
        div.explorerState = Object.assign({}, last, {valid: false, requested: v});
        return;
      }
      message.textContent = '';
      const s = compute(v);
      picture.replaceChildren(volumes(s, config.colors));
      const item = (term, value, role) => [el('dt', {text: term, style: 'font-weight:bold'}),
        el('dd', {text: value, 'data-role': role, style: 'margin:0 0 4px 1em'})];
      const [, F, Ho, Wo] = s.output_shape;
      numbers.replaceChildren(
        ...item('形状', `输入 (${s.input_shape.join(', ')})，卷积核 (${s.weight_shape.join(', ')})，` +
          `输出 (${s.output_shape.join(', ')})；H′ = ⌊(${s.H} + 2·${s.padding} − ${s.k}) / ${s.stride}⌋ + 1 = ${Ho}`, 'shapes'),
        ...item('参数 F·C·k² + F', `${F}·${s.C}·${s.k}² + ${F} = ${thousands(s.parameters)}`, 'parameters'),
        ...item('乘加 N·F·C·k²·H′·W′', `${N}·${F}·${s.C}·${s.k}²·${Ho}·${Wo} = ${thousands(s.multiply_adds)}`, 'multiply-adds'),
        ...item('输出（激活）', `${thousands(s.activation_bytes)} 字节（${thousands(s.activation_bytes / 4)} 个 float32）`, 'activation'),
        ...item('im2col 的窗口矩阵', `${thousands(s.columns_bytes)} 字节（输入 ${thousands(s.input_bytes)} 字节）`, 'columns'));
      last = s;
      div.explorerState = s;
    }

    NAMES.forEach(name => ui.onChange(sliders[name].input, update));
    update();
  }

  window.bookExplorer.register('cost', init);
})();
