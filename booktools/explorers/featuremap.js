/* 第 3 章 特征图探索器（与 lib.viz.ch3_training.FeatureMapExplorer 相同）：训练好的卷积层，
 * 选一张测试数字和一个通道，看数字、这个通道的卷积核（连同偏置）与它的特征图；可选“经过 ReLU”。
 * 卷积层的权重是本书构建时训练出来的（Python 在构建时把它写进配置），不是手工提交的文件。
 * 配置：{digits, predicted: [类别…], weight: float32 base64 (F, 1, k, k), bias: 同 (F), channels, k, index, palette}
 * explorerState：{index, channel, relu, kernel, bias, map}
 */
(function () {
  'use strict';
  const SCALE = 8;

  function init(div, config, ui) {
    const {el, fmt, colour} = ui;
    const digits = ui.digits(config.digits), F = config.channels, k = config.k;
    const weight = ui.floats(config.weight), bias = ui.floats(config.bias);
    const side = digits.size, size = side - k + 1;
    const digit = ui.number(`测试集序号（0–${digits.count - 1}）`, 0, digits.count - 1, config.index || 0, 'digit');
    const channel = ui.range('通道', 0, F - 1, config.channel || 0, 'channel');
    const relu = ui.checkbox('经过 ReLU', 'relu', config.relu);
    const title = el('p', {class: 'bx-note bx-strong', 'data-role': 'title'});
    const image = ui.canvas('digit', SCALE), fmap = ui.canvas('feature-map', SCALE);
    const kernelTable = ui.table(k, k, 'kernel');
    const kernelTitle = el('figcaption', {});
    const mapTitle = el('figcaption', {});
    div.append(el('div', {class: 'bx-ui'}, [
      el('div', {class: 'bx-row'}, [digit.node, channel.node, relu.node]),
      title,
      el('div', {class: 'bx-row'}, [
        el('figure', {}, [el('figcaption', {text: '数字'}), image]),
        el('figure', {}, [kernelTitle, kernelTable.table]),
        el('figure', {}, [mapTitle, fmap]),
      ]),
    ]));

    function update() {
      const index = digit.read(), c = Number(channel.input.value), X = digits.image(index);
      const W = weight.slice(c * k * k, (c + 1) * k * k);
      let Y = ui.nn.conv2d(X, 1, side, side, W, [bias[c]], 1, k, 1, 0).data;
      if (relu.input.checked) Y = ui.nn.relu(Y);
      const parts = [`数字 ${digits.labels[index]}`, `序号 ${index}`];
      if (config.predicted) parts.push(`网络判为 ${config.predicted[index]}`);
      title.textContent = parts.join('，');
      ui.drawMatrix(image, X, side, side, colour.gray);
      image.setAttribute('aria-label', `测试集第 ${index} 张：数字 ${digits.labels[index]}`);
      const kc = colour.scale('diverging', W);
      W.forEach((v, r) => ui.paint(kernelTable.cells[r], v, kc(v), 2));
      kernelTitle.textContent = `通道 ${c} 的卷积核（偏置 ${bias[c] >= 0 ? '+' : ''}${fmt(bias[c], 3)}）`;
      let lo = Infinity, hi = -Infinity;
      for (const v of Y) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      mapTitle.textContent = `${relu.input.checked ? '卷积 + ReLU' : '特征图'}：最小 ${fmt(lo, 2)}，最大 ${fmt(hi, 2)}`;
      ui.drawMatrix(fmap, Y, size, size, colour.scale('diverging', Y));
      fmap.setAttribute('aria-label', `通道 ${c} 的 ${size}×${size} 特征图（红正蓝负），${mapTitle.textContent}`);
      div.explorerState = {index, channel: c, relu: relu.input.checked, kernel: Array.from(W), bias: bias[c],
        map: Array.from(Y)};
    }

    [digit.input, channel.input, relu.input].forEach(input => ui.onChange(input, update));
    update();
  }

  window.bookExplorer.register('featuremap', init);
})();
