/* 第 4 章 “写一个数字”：读者在画布上用鼠标或手指写数字，页面像 MNIST 那样预处理，
 * 再用本书构建时训练好的网络（权重由 Python 在构建时写进配置）在浏览器里做前向传播：
 * 每一层的特征图与十个类别的概率随笔画更新。
 *
 * 预处理（与 MNIST 的做法相同）：
 *   1. 取墨迹的外接矩形，保持长宽比缩放到长边 20 像素（按面积取平均，得到灰度）；
 *   2. 算出质心，平移到 28×28 的中心（13.5, 13.5）附近（整数像素平移）。
 * 配置：{layers: [{type: 'conv'|'relu'|'maxpool'|'avgpool'|'flatten'|'linear', …}], examples, palette}
 * explorerState：{input: [784], logits: [10], probabilities: [10], predicted, ink}
 */
(function () {
  'use strict';
  const SIDE = 28, BOX = 20, PAD = 280;                    // 输入 28×28，数字缩放到 20×20，画布 280×280

  // 一维的面积平均：源区间 [0, n) 缩成 m 格；返回每格的 [(源下标, 权重)…]
  function areaWeights(n, m) {
    const f = n / m, out = [];
    for (let t = 0; t < m; t++) {
      const a = t * f, b = (t + 1) * f, parts = [];
      for (let s = Math.floor(a); s < Math.ceil(b - 1e-9); s++) {
        const w = Math.min(b, s + 1) - Math.max(a, s);
        if (w > 0) parts.push([s, w / f]);
      }
      out.push(parts);
    }
    return out;
  }

  // 画布上的墨迹（0–1，行优先，PAD×PAD）→ 28×28 的网络输入（Float64Array），没有墨迹时全 0
  function preprocess(ink) {
    let top = PAD, bottom = -1, left = PAD, right = -1;
    for (let y = 0; y < PAD; y++) {
      for (let x = 0; x < PAD; x++) {
        if (ink[y * PAD + x] > 0.1) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
      }
    }
    const out = new Float64Array(SIDE * SIDE);
    if (bottom < 0) return out;
    const h = bottom - top + 1, w = right - left + 1, f = BOX / Math.max(h, w);
    const th = Math.max(1, Math.round(h * f)), tw = Math.max(1, Math.round(w * f));
    const wy = areaWeights(h, th), wx = areaWeights(w, tw);
    const patch = new Float64Array(th * tw);
    let mass = 0, my = 0, mx = 0;
    for (let i = 0; i < th; i++) {
      for (let j = 0; j < tw; j++) {
        let v = 0;
        for (const [sy, ay] of wy[i]) for (const [sx, ax] of wx[j]) v += ay * ax * ink[(top + sy) * PAD + left + sx];
        v = Math.min(1, v);
        patch[i * tw + j] = v;
        mass += v; my += v * i; mx += v * j;
      }
    }
    // 质心平移到中心：整数像素，且整块留在 28×28 之内
    const oy = Math.max(0, Math.min(SIDE - th, Math.round((SIDE - 1) / 2 - my / mass)));
    const ox = Math.max(0, Math.min(SIDE - tw, Math.round((SIDE - 1) / 2 - mx / mass)));
    for (let i = 0; i < th; i++) for (let j = 0; j < tw; j++) out[(oy + i) * SIDE + ox + j] = patch[i * tw + j];
    return out;
  }

  // 按配置里的层依次前向；返回每层的输出 [{name, shape: [C, H, W] 或 [n], data}]
  function forward(layers, x, ui) {
    let data = x, shape = [1, SIDE, SIDE];
    const outputs = [];
    for (const layer of layers) {
      if (layer.type === 'conv') {
        const r = ui.nn.conv2d(data, shape[0], shape[1], shape[2], layer.w, layer.b, layer.out, layer.k,
          layer.stride, layer.padding);
        data = r.data; shape = [r.channels, r.height, r.width];
      } else if (layer.type === 'relu') {
        data = ui.nn.relu(data);
      } else if (layer.type === 'maxpool' || layer.type === 'avgpool') {
        const r = ui.nn.pool(data, shape[0], shape[1], shape[2], layer.k, layer.type === 'maxpool' ? 'max' : 'avg');
        data = r.data; shape = [r.channels, r.height, r.width];
      } else if (layer.type === 'flatten') {
        shape = [data.length];
      } else if (layer.type === 'linear') {
        data = ui.nn.linear(data, layer.w, layer.b, layer.out);
        shape = [data.length];
      }
      outputs.push({name: layer.name, type: layer.type, shape: shape.slice(), data});
    }
    return outputs;
  }

  function init(div, config, ui) {
    const {el, fmt, colour} = ui;
    const layers = config.layers.map(l => Object.assign({}, l, l.weight ? {w: ui.floats(l.weight), b: ui.floats(l.bias)} : {}));
    const pad = el('canvas', {width: PAD, height: PAD, 'data-role': 'pad', role: 'img', tabindex: '0',
      'aria-label': '书写区：按住鼠标或用手指在这里写一个数字', style: 'touch-action:none;cursor:crosshair;width:min(280px,100%);background:#000'});
    const clear = ui.button('清除', 'clear');
    const example = ui.select('或者用测试集的数字', [['', '（选一张）']].concat(
      config.examples.map((e, k) => [String(k), `数字 ${e.label}（测试集第 ${e.index} 张）`])), 'example');
    const input = ui.canvas('input', 5, '');
    const verdict = el('p', {class: 'bx-note bx-strong', 'data-role': 'verdict', 'aria-live': 'polite'});
    const bars = el('div', {class: 'bx-bars', 'data-role': 'bars'});
    const maps = el('div', {'data-role': 'layers'});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [
        el('figure', {}, [el('figcaption', {text: '在这里写一个数字（0–9）'}), pad,
          el('div', {class: 'bx-row'}, [clear, example.node])]),
        el('figure', {}, [el('figcaption', {text: '网络的输入：28×28（像 MNIST 那样缩放、居中）'}), input]),
        el('figure', {}, [el('figcaption', {text: '十个类别的概率'}), bars, verdict]),
      ]),
      maps,
    ]));

    const ctx = pad.getContext('2d', {willReadFrequently: true});
    function wipe() {
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, PAD, PAD);
    }
    wipe();
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = ctx.lineJoin = 'round';

    function ink() {
      const rgba = ctx.getImageData(0, 0, PAD, PAD).data, out = new Float64Array(PAD * PAD);
      for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i] / 255;
      return out;
    }

    let pending = false;
    function schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; update(); });
    }

    function update() {
      const x = preprocess(ink());
      const outputs = forward(layers, x, ui);
      const logits = outputs[outputs.length - 1].data, p = ui.nn.softmax(logits);
      const empty = x.every(v => v === 0);
      let best = 0;
      p.forEach((v, k) => { if (v > p[best]) best = k; });
      ui.drawMatrix(input, x, SIDE, SIDE, colour.gray);
      input.setAttribute('aria-label', empty ? '网络的输入：还没有笔画' : `网络的输入：28×28 的灰度图，网络认为是 ${best}`);
      bars.replaceChildren(...(empty ? [] : p).flatMap((v, k) => [
        el('span', {text: String(k)}),
        el('div', {'aria-hidden': 'true'}, [el('div', {class: k === best ? 'bx-bar bx-top' : 'bx-bar', style: `width:${(100 * v).toFixed(1)}%`})]),
        el('span', {class: 'bx-num', 'data-role': 'probability', text: `${fmt(100 * v, 1)}%`}),
      ]));
      verdict.textContent = empty ? '还没有笔画：写一个数字试试。' : `网络认为是 ${best}（概率 ${fmt(100 * p[best], 1)}%）`;
      // 每一层的特征图（三维的输出）：卷积层红蓝（红正蓝负），ReLU 与池化之后用 magma
      const rows = outputs.filter(o => o.shape.length === 3).map(o => {
        const [C, H, W] = o.shape, n = H * W, scale = Math.max(2, Math.round(56 / W));
        const canvases = [];
        for (let c = 0; c < C; c++) {
          const part = o.data.slice(c * n, (c + 1) * n);
          const cv = ui.canvas('layer-map', scale, `${o.name} 的第 ${c} 张特征图（${H}×${W}）`);
          ui.drawMatrix(cv, part, H, W, o.type === 'conv' ? colour.scale('diverging', part) : colour.scale('sequential', part));
          canvases.push(cv);
        }
        return el('figure', {}, [el('figcaption', {text: `${o.name} → ${C}×${H}×${W}`}),
          el('div', {class: 'bx-row', style: 'gap:3px'}, canvases)]);
      });
      maps.replaceChildren(...rows);
      div.explorerState = {input: Array.from(x), logits: Array.from(logits), probabilities: p, predicted: best,
        ink: !empty};
      div.dataset.predicted = empty ? '' : String(best);
    }

    // ---- 书写：指针事件同时覆盖鼠标、触屏与手写笔 ----
    let last = null;
    function point(event) {
      const r = pad.getBoundingClientRect();
      return [(event.clientX - r.left) * PAD / r.width, (event.clientY - r.top) * PAD / r.height];
    }
    pad.addEventListener('pointerdown', event => {
      event.preventDefault();
      if (pad.setPointerCapture && event.pointerId !== undefined) {
        try { pad.setPointerCapture(event.pointerId); } catch (e) { /* 合成的事件没有真实指针 */ }
      }
      last = point(event);
      ctx.beginPath();
      ctx.moveTo(...last);
      ctx.lineTo(...last);
      ctx.stroke();
      example.input.value = '';
      schedule();
    });
    pad.addEventListener('pointermove', event => {
      if (!last) return;
      event.preventDefault();
      const p = point(event);
      ctx.beginPath();
      ctx.moveTo(...last);
      ctx.lineTo(...p);
      ctx.stroke();
      last = p;
      schedule();
    });
    for (const type of ['pointerup', 'pointercancel', 'pointerleave']) pad.addEventListener(type, () => { last = null; });

    clear.addEventListener('click', () => { wipe(); example.input.value = ''; update(); });
    pad.addEventListener('keydown', event => {                  // 键盘：Delete / Backspace 清除
      if (event.key === 'Delete' || event.key === 'Backspace') { event.preventDefault(); wipe(); update(); }
    });
    ui.onChange(example.input, () => {
      if (example.input.value === '') return;
      // 把测试数字画到画布上（每个像素一个 10×10 的方块，灰度照原样），再走同样的预处理
      const e = config.examples[Number(example.input.value)];
      wipe();
      e.pixels.forEach((line, y) => line.forEach((v, x) => {
        const g = Math.round(255 * v);
        ctx.fillStyle = `rgb(${g},${g},${g})`;
        ctx.fillRect(x * 10, y * 10, 10, 10);
      }));
      update();
    });
    update();
  }

  window.bookExplorer.register('digit', init);
  window.bookExplorer.digitPreprocess = preprocess;            // 测试用
})();
