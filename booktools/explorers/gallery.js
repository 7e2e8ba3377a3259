/* 第 1 章 特征图画廊（与 lib.viz.ch1_intuition.GalleryExplorer 相同）：一张数字在所选卷积核下的特征图，
 * 每张按自己的最大绝对值着色（红正蓝负）。一个都没选时显示“恒等”。
 * 配置：{digits, presets, selected: [名字…], index, palette}
 * explorerState：{index, names, maps: [[26·26 个数]…]}
 */
(function () {
  'use strict';
  const SCALE = 4;

  function init(div, config, ui) {
    const {el, colour} = ui;
    const digits = ui.digits(config.digits), presets = config.presets, names = Object.keys(presets);
    const side = digits.size, size = side - 2;
    const digit = ui.number(`测试集序号（0–${digits.count - 1}）`, 0, digits.count - 1, config.index || 0, 'digit');
    const boxes = names.map(name => ui.checkbox(name, 'kernel', config.selected.includes(name)));
    boxes.forEach((box, k) => { box.input.value = names[k]; });
    const panels = el('div', {class: 'bx-row', 'data-role': 'panels'});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [digit.node,
        el('fieldset', {}, [el('legend', {text: '卷积核'}), ...boxes.map(b => b.node)])]),
      panels,
    ]));

    function panel(title, canvas, kernel) {
      const parts = [el('figcaption', {text: title})];
      if (kernel) {
        const t = ui.table(3, 3, 'kernel-cell');
        const kc = colour.scale('diverging', kernel);
        kernel.forEach((v, k) => ui.paint(t.cells[k], v, kc(v), 2));
        t.table.classList.add('bx-small');
        parts.push(t.table);
      }
      parts.push(canvas);
      return el('figure', {}, parts);
    }

    function update() {
      const index = digit.read(), X = digits.image(index), label = digits.labels[index];
      let chosen = boxes.filter(b => b.input.checked).map(b => b.input.value);
      if (!chosen.length) chosen = ['恒等'];
      const original = ui.canvas('original', SCALE, `原图：数字 ${label}（测试集第 ${index} 张）`);
      ui.drawMatrix(original, X, side, side, colour.gray);
      const figures = [panel(`原图（数字 ${label}）`, original)], maps = [];
      for (const name of chosen) {
        const W = presets[name].flat();
        const Y = ui.nn.conv2d(X, 1, side, side, W, null, 1, 3, 1, 0).data;
        maps.push(Array.from(Y));
        const c = ui.canvas('feature-map', SCALE, `${name}卷积核的 ${size}×${size} 特征图（红正蓝负）`);
        c.dataset.kernel = name;
        ui.drawMatrix(c, Y, size, size, colour.scale('diverging', Y));
        figures.push(panel(name, c, W));
      }
      panels.replaceChildren(...figures);
      div.explorerState = {index, names: chosen, maps};
    }

    ui.onChange(digit.input, update);
    boxes.forEach(b => ui.onChange(b.input, update));
    update();
  }

  window.bookExplorer.register('gallery', init);
})();
