/* 第 1 章 卷积核探索器（与 lib.viz.ch1_intuition.KernelExplorer 相同的数字、预设与计算）。
 * 配置：{digits, presets: {名字: 3×3}, preset, start: [行, 列], palette}
 *   Y[i][j] = Σ_m Σ_n X[i+m][j+n] · W[m][n]      （互相关，不补零，步幅 1，无偏置）
 * explorerState：{index, row, col, window, products, sum}
 */
(function () {
  'use strict';
  const K = 3, SCALE = 8;

  function init(div, config, ui) {
    const {el, fmt, colour} = ui;
    const digits = ui.digits(config.digits), presets = config.presets;
    const side = digits.size, size = side - K + 1;                    // 28 → 26

    const digit = ui.number(`测试集序号（0–${digits.count - 1}）`, 0, digits.count - 1, config.index || 0, 'digit');
    const preset = ui.select('卷积核预设', Object.keys(presets).map(n => [n, n]).concat([['', '自定义']]), 'preset');
    const weights = [];
    for (let k = 0; k < K * K; k++) {
      weights.push(el('input', {type: 'number', step: '0.1', 'data-role': 'weight',
        'aria-label': `卷积核权重 W[${Math.floor(k / K)}, ${k % K}]`}));
    }
    const start = config.start || [Math.floor(size / 2), Math.floor(size / 2)];
    const row = ui.range('行 i', 0, size - 1, start[0], 'row'), col = ui.range('列 j', 0, size - 1, start[1], 'col');
    const prev = ui.button('上一步', 'step', {'data-step': '-1'}), next = ui.button('下一步', 'step', {'data-step': '1'});
    const play = ui.button('播放', 'play', {'aria-pressed': 'false'});
    const label = el('span', {class: 'bx-strong'});

    const input = ui.canvas('input', SCALE), fmap = ui.canvas('feature-map', SCALE);
    const win = ui.table(K, K, 'window'), prod = ui.table(K, K, 'products');
    const sum = el('output', {'data-role': 'sum'});
    const figure = (title, body) => el('figure', {}, [el('figcaption', {text: title}), ...body]);
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [
        el('div', {}, [digit.node, ' ', label]), el('div', {}, [preset.node]),
        el('div', {role: 'group', 'aria-label': '卷积核权重 W（3×3，可编辑）'}, [
          el('div', {class: 'bx-title', text: '卷积核 W（可编辑）'}),
          el('div', {style: 'display:grid;grid-template-columns:repeat(3,5.2em);gap:3px'}, weights)]),
      ]),
      el('div', {class: 'bx-row'}, [row.node, col.node, el('div', {}, [prev, ' ', next, ' ', play])]),
      el('div', {class: 'bx-row'}, [
        figure('输入与 3×3 窗口', [input]),
        figure('窗口 X', [win.table]),
        figure('逐元素乘积 X·W', [prod.table, el('p', {class: 'bx-note bx-strong'}, ['和（输出像素）= ', sum])]),
        figure('特征图（按行算到当前位置）', [fmap]),
      ]),
    ]));

    function setWeights(W) {   // 保留 6 位小数：1/9 显示为 0.111111，与 lib 的差远小于测试容差
      weights.forEach((box, k) => { box.value = String(Math.round(W[Math.floor(k / K)][k % K] * 1e6) / 1e6); });
    }
    function readWeights() {
      return weights.map(box => (Number.isFinite(box.valueAsNumber) ? box.valueAsNumber : 0));
    }
    const position = () => Number(row.input.value) * size + Number(col.input.value);
    function moveTo(p) {
      p = Math.max(0, Math.min(size * size - 1, p));
      row.set(Math.floor(p / size));
      col.set(p % size);
      update();
    }

    function update() {
      const index = digit.read(), X = digits.image(index), W = readWeights();
      const i = Number(row.input.value), j = Number(col.input.value);
      const values = [], products = [];
      for (let k = 0; k < K * K; k++) {
        values.push(X[(i + Math.floor(k / K)) * side + j + k % K]);
        products.push(values[k] * W[k]);
      }
      const total = products.reduce((a, b) => a + b, 0);
      const pc = colour.scale('diverging', products);
      values.forEach((x, k) => ui.paint(win.cells[k], x, colour.gray(x)));
      products.forEach((p, k) => ui.paint(prod.cells[k], p, pc(p)));
      sum.textContent = fmt(total, 4);
      label.textContent = `数字 ${digits.labels[index]}`;
      Object.assign(div.dataset, {sum: String(total), row: String(i), col: String(j)});

      ui.drawMatrix(input, X, side, side, colour.gray, [{row: i, col: j, h: K, w: K}]);
      input.setAttribute('aria-label', `数字 ${digits.labels[index]} 的 ${side}×${side} 灰度图，` +
        `橙色框是第 ${i} 行第 ${j} 列的 3×3 窗口`);
      // 特征图：只画到当前位置（按行），其余灰色；红正蓝负，按整张图的最大绝对值着色
      const Y = ui.nn.conv2d(X, 1, side, side, W, null, 1, K, 1, 0).data;
      const yc = colour.scale('diverging', Y), done = position();
      const pending = [200, 200, 200];
      ui.drawMatrix(fmap, Y, size, size, (v, y, x) => (y * size + x <= done ? yc(v) : pending), [{row: i, col: j}]);
      fmap.setAttribute('aria-label', `${size}×${size} 特征图，已算到第 ${i} 行第 ${j} 列，当前输出像素为 ${fmt(total, 4)}`);
      div.explorerState = {index, row: i, col: j, window: values, products, sum: total};
    }

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
      timer = setInterval(() => (position() >= size * size - 1 ? pause() : moveTo(position() + 1)), 120);
    }

    ui.onChange(digit.input, update);
    ui.onChange(preset.input, () => {
      if (preset.input.value in presets) setWeights(presets[preset.input.value]);
      update();
    });
    weights.forEach(box => box.addEventListener('input', () => {
      // 改过的卷积核若不再等于当前预设，预设框显示“自定义”
      const W = readWeights(), P = presets[preset.input.value];
      if (P && P.flat().some((v, k) => Math.abs(v - W[k]) > 1e-6)) preset.input.value = '';
      update();
    }));
    ui.onChange(row.input, update);
    ui.onChange(col.input, update);
    prev.addEventListener('click', () => moveTo(position() - 1));
    next.addEventListener('click', () => moveTo(position() + 1));
    play.addEventListener('click', () => (timer === null ? resume() : pause()));

    preset.input.value = config.preset in presets ? config.preset : Object.keys(presets)[0];
    setWeights(presets[preset.input.value]);
    update();
  }

  window.bookExplorer.register('kernel', init);
})();
