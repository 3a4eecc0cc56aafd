'use strict';

function split(path) {
  if (Array.isArray(path)) return path;
  return String(path).split('.').filter((p) => p !== '');
}

function get(obj, path, fallback) {
  let cur = obj;
  for (const part of split(path)) {
    cur = cur[part];
  }
  return cur === undefined ? fallback : cur;
}

function set(obj, path, value) {
  const parts = split(path);
  let cur = obj;
  parts.slice(0, -1).forEach((part) => {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part];
  });
  cur[parts[parts.length - 1]] = value;
  return obj;
}

function has(obj, path) {
  const marker = {};
  return get(obj, path, marker) !== marker;
}

module.exports = { get, set, has };
