'use strict';
const assert = require('assert');
const { Emitter } = require('./emitter');

{
  const e = new Emitter();
  const seen = [];
  e.once('x', (v) => seen.push('a' + v));
  e.once('x', (v) => seen.push('b' + v));
  e.on('x', (v) => seen.push('c' + v));
  e.once('x', (v) => seen.push('d' + v));
  assert.strictEqual(e.emit('x', 1), true);
  e.emit('x', 2);
  assert.deepStrictEqual(seen, ['a1', 'b1', 'c1', 'd1', 'c2']);
  assert.strictEqual(e.listenerCount('x'), 1);
}
{
  const e = new Emitter();
  const seen = [];
  const h = () => seen.push('h');
  e.on('y', () => { seen.push('first'); e.off('y', h); });
  e.on('y', h);
  e.emit('y');
  e.emit('y');
  assert.deepStrictEqual(seen, ['first', 'h', 'first']);
}
{
  const e = new Emitter();
  const fn = () => { throw new Error('should not run'); };
  e.once('z', fn);
  e.off('z', fn);
  assert.strictEqual(e.emit('z'), false);
}
console.log('hidden ok');
