'use strict';

function normalize(path) {
  const absolute = path.startsWith('/');
  const out = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') {
        out.pop();
      } else if (!absolute) {
        out.push('..');
      }
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return absolute ? '/' + joined : joined;
}

function join(...parts) {
  return normalize(parts.filter((p) => p !== '').join('/'));
}

function dirname(path) {
  const norm = normalize(path);
  const i = norm.lastIndexOf('/');
  if (i === -1) return '.';
  if (i === 0) return '/';
  return norm.slice(0, i);
}

module.exports = { normalize, join, dirname };
