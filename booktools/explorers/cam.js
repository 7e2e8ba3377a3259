/* 第 7 章 类激活图查看器（与 lib.viz.ch7_modern.CAMExplorer 相同）：换测试数字、换类别，看网络“看”哪里。
 * 网络是本书构建时训练的小残差网络。Python 在构建时用 lib（class_activation_maps）算好前 100 张测试数字
 * 每个类别的类激活图 cam[c] = Σ_k W[c, k]·features[k]（h×w）与十个分数；网页在这里做 softmax、选类别，
 * 把激活图的正的部分双线性放大到 28×28（与 scipy.ndimage.zoom(order=1) 相同），半透明地盖在数字上。
 * 配置：{digits, cams: float32 base64 (N, 10, h, w), scores: float32 base64 (N, 10), bias: [10], h, w,
 *        classes, index, target, jet: [[r, g, b]…]（matplotlib 的 jet）, alpha, palette}
 * explorerState：{index, target, chosen, cam: [h·w], probabilities: [10], overlay: [28·28]（放大、归一化后的正的部分）}
 */
(function () {
  'use strict';
  const SCALE = 5;

  // 双线性放大（角点对齐，与 scipy.ndimage.zoom(…, order=1) 相同）：rows×cols → size×size
  function upsample(values, rows, cols, size) {
    const out = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      const y = size > 1 ? i * (rows - 1) / (size - 1) : 0, y0 = Math.min(Math.floor(y), rows - 2), fy = y - y0;
      for (let j = 0; j < size; j++) {
        const x = size > 1 ? j * (cols - 1) / (size - 1) : 0, x0 = Math.min(Math.floor(x), cols - 2), fx = x - x0;
        const a = values[y0 * cols + x0], b = values[y0 * cols + x0 + 1];
        const c = values[(y0 + 1) * cols + x0], d = values[(y0 + 1) * cols + x0 + 1];
        out[i * size + j] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
      }
    }
    return out;
  }

  function init(div, config, ui) {
    const {el, fmt, colour} = ui;
    const digits = ui.digits(config.digits), side = digits.size, h = config.h, w = config.w, K = config.classes;
    const cams = ui.floats(config.cams), scores = ui.floats(config.scores);
    const digit = ui.number(`测试集序号（0–${digits.count - 1}）`, 0, digits.count - 1, config.index || 0, 'digit');
    const target = ui.select('类别', [['-1', '预测的类别'], ...Array.from({length: K}, (_, c) => [String(c), String(c)])],
      'target');
    target.input.value = String(config.target);
    const title = el('p', {class: 'bx-note bx-strong', 'data-role': 'title', 'aria-live': 'polite'});
    const image = ui.canvas('digit', SCALE), overlay = ui.canvas('overlay', SCALE);
    const overlayTitle = el('figcaption', {});
    const camTable = ui.table(h, w, 'cam');
    camTable.table.classList.add('bx-compact');
    const camTitle = el('figcaption', {});
    const bars = el('div', {class: 'bx-bars', 'data-role': 'bars'});
    const equation = el('p', {class: 'bx-note', 'data-role': 'equation'});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [digit.node, target.node]),
      title,
      el('div', {class: 'bx-row'}, [
        el('figure', {}, [el('figcaption', {text: '测试数字'}), image]),
        el('figure', {}, [overlayTitle, overlay]),
        el('figure', {}, [el('figcaption', {text: '各类别的概率（橙色：当前类别）'}), bars]),
      ]),
      el('div', {class: 'bx-row'}, [el('figure', {}, [camTitle, camTable.table])]),
      equation,
    ]));

    function update() {
      const index = digit.read(), t = Number(target.input.value), X = digits.image(index);
      const z = scores.slice(index * K, (index + 1) * K), p = ui.nn.softmax(z);
      let best = 0;
      for (let c = 1; c < K; c++) if (z[c] > z[best]) best = c;
      const chosen = t < 0 ? best : t;
      const cam = cams.slice((index * K + chosen) * h * w, (index * K + chosen + 1) * h * w);
      // 原图
      ui.drawMatrix(image, X, side, side, colour.gray);
      image.setAttribute('aria-label', `测试集第 ${index} 张：数字 ${digits.labels[index]}`);
      // 类激活图：只取正的部分，放大到 28×28，除以最大值，用 jet 色图半透明地盖在原图上
      const big = upsample(cam.map(v => Math.max(v, 0)), h, w, side);
      let top = 1e-12;
      for (const v of big) top = Math.max(top, v);
      const shown = big.map(v => v / top), jet = config.jet, a = config.alpha;
      ui.drawMatrix(overlay, shown, side, side, (v, i, j) => {
        const g = X[i * side + j] * 255, c = jet[Math.round(Math.max(0, Math.min(1, v)) * (jet.length - 1))];
        return c.map(ch => Math.round((1 - a) * g + a * ch));
      });
      overlayTitle.textContent = `类别 ${chosen} 的类激活图`;
      let peak = 0;
      for (let k = 1; k < h * w; k++) if (cam[k] > cam[peak]) peak = k;
      overlay.setAttribute('aria-label', `类别 ${chosen} 的类激活图盖在数字上：票最多的地方在 ${h}×${w} 图的第 ${Math.floor(peak / w)} 行、第 ${peak % w} 列`);
      // 激活图本身（h×w 个数，红正蓝负）
      const scale = colour.scale('diverging', cam);
      cam.forEach((v, k) => ui.paint(camTable.cells[k], v, scale(v), 1));
      camTitle.textContent = `类别 ${chosen} 的激活图本身：${h}×${w} 个数（红正蓝负）`;
      let mean = 0;
      for (const v of cam) mean += v / (h * w);
      equation.textContent = `类别 ${chosen} 的分数 = 激活图的平均值 + 偏置 = ${fmt(mean, 3)} + ${fmt(config.bias[chosen], 3)}` +
        ` = ${fmt(z[chosen], 3)}（全局平均池化与线性层都是线性的）`;
      bars.replaceChildren(...p.flatMap((v, k) => [
        el('span', {text: String(k)}),
        el('div', {'aria-hidden': 'true'}, [el('div', {class: k === chosen ? 'bx-bar bx-top' : 'bx-bar', style: `width:${(100 * v).toFixed(1)}%`})]),
        el('span', {class: 'bx-num', 'data-role': 'probability', text: `${fmt(100 * v, 1)}%`}),
      ]));
      const label = digits.labels[index];
      title.textContent = `数字 ${label}（测试集第 ${index} 张），网络判为 ${best}（概率 ${fmt(100 * p[best], 1)}%）` +
        `${best === label ? '' : '，认错了'}；显示类别 ${chosen}`;
      div.explorerState = {index, target: t, chosen, cam: Array.from(cam), probabilities: Array.from(p),
        overlay: Array.from(shown), mean};
    }

    [digit.input, target.input].forEach(input => ui.onChange(input, update));
    update();
  }

  window.bookExplorer.register('cam', init);
})();
