/* 第 4 章 池化探索器（与 lib.viz.ch4_pooling.PoolingExplorer 相同）：固定卷积核（填充 1）→ ReLU → 池化。
 * 上排是原图与各卷积核的特征图，下排是池化后的样子；同一列共用色阶（magma，0 到该列特征图的最大值）。
 * 配置：{digits, kernels: {名字: 3×3}, sizes: [2, 3, 4], modes: {max: 名字, avg: 名字}, index, size, mode, palette}
 * explorerState：{index, size, mode, maps: [[H·W]…], pooled: [[h·w]…], cropped: [行, 列]}
 */
(function () {
  'use strict';

  function init(div, config, ui) {
    const {el, colour} = ui;
    const digits = ui.digits(config.digits), names = Object.keys(config.kernels);
    const side = digits.size;
    const digit = ui.number(`测试集序号（0–${digits.count - 1}）`, 0, digits.count - 1, config.index || 0, 'digit');
    const size = ui.radios('池化窗口', config.sizes.map(s => [s, `${s}×${s}`]), config.size, 'size');
    const mode = ui.radios('方式', Object.entries(config.modes), config.mode, 'mode');
    const grid = el('div', {class: 'bx-row', 'data-role': 'panels'});
    const summary = el('p', {class: 'bx-note', 'data-role': 'summary'});
    div.append(el('div', {class: 'bx-ui'}, [el('div', {class: 'bx-row'}, [digit.node, size.node, mode.node]),
      summary, grid]));
    const weights = names.map(n => config.kernels[n].flat());

    function update() {
      const index = digit.read(), X = digits.image(index), s = Number(size.read()), m = mode.read();
      const conv = ui.nn.conv2d(X, 1, side, side, weights.flat(), null, names.length, 3, 1, 1);
      const maps = ui.nn.relu(conv.data);
      const pooled = ui.nn.pool(maps, names.length, side, side, s, m);
      const h = pooled.height, w = pooled.width, n = side * side;
      const scaleTop = 112 / side, scaleBottom = 112 / h;
      const figures = [];
      const original = ui.canvas('original', 4, `原图：数字 ${digits.labels[index]}（测试集第 ${index} 张）`);
      ui.drawMatrix(original, X, side, side, colour.gray);
      figures.push(el('figure', {}, [el('figcaption', {text: `原图（数字 ${digits.labels[index]}）`}), original]));
      const result = {index, size: s, mode: m, maps: [], pooled: [], cropped: [side % s, side % s]};
      names.forEach((name, f) => {
        const map = maps.slice(f * n, (f + 1) * n), small = pooled.data.slice(f * h * w, (f + 1) * h * w);
        let vmax = 1e-6;
        for (const v of map) vmax = Math.max(vmax, v);                    // 同一列共用色阶
        const top = ui.canvas('map', Math.max(1, Math.round(scaleTop)), `${name}：卷积 + ReLU，${side}×${side}`);
        const bottom = ui.canvas('pooled', Math.max(1, Math.round(scaleBottom)),
          `${name}：${config.modes[m]} ${s}×${s} 之后，${h}×${w}`);
        ui.drawMatrix(top, map, side, side, v => colour.sequential(v / vmax));
        ui.drawMatrix(bottom, small, h, w, v => colour.sequential(v / vmax));
        figures.push(el('figure', {}, [el('figcaption', {text: `${name}：卷积 + ReLU`}), top,
          el('figcaption', {text: `${config.modes[m]} ${s}×${s} → ${h}×${w}`}), bottom]));
        result.maps.push(Array.from(map));
        result.pooled.push(Array.from(small));
      });
      grid.replaceChildren(...figures);
      let text = `${config.modes[m]}，窗口 ${s}×${s}，步幅 ${s}：${side}×${side} → ${h}×${w}，每张图 ${n} → ${h * w} 个数`;
      if (side % s) text += `（裁掉最后 ${side % s} 行、${side % s} 列）`;
      summary.textContent = text;
      div.explorerState = result;
    }

    ui.onChange(digit.input, update);
    size.inputs.concat(mode.inputs).forEach(input => ui.onChange(input, update));
    update();
  }

  window.bookExplorer.register('pooling', init);
})();
