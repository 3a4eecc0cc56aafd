'use strict';

const PATTERN = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

function parse(version) {
  const m = PATTERN.exec(String(version).trim());
  if (!m) {
    throw new Error(`invalid version: ${version}`);
  }
  return {
    major: m[1],
    minor: m[2],
    patch: m[3],
    prerelease: m[4] ? m[4].split('.') : [],
  };
}

function compareIdentifiers(a, b) {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(a, b) {
  const x = parse(a);
  const y = parse(b);
  for (const key of ['major', 'minor', 'patch']) {
    if (x[key] > y[key]) return 1;
    if (x[key] < y[key]) return -1;
  }
  // a version without prerelease ranks above one with it
  if (!x.prerelease.length || !y.prerelease.length) {
    return Math.sign(y.prerelease.length - x.prerelease.length);
  }
  const n = Math.max(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < n; i++) {
    if (x.prerelease[i] === undefined) return -1;
    if (y.prerelease[i] === undefined) return 1;
    const c = compareIdentifiers(x.prerelease[i], y.prerelease[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function sort(versions) {
  return [...versions].sort(compare);
}

function latest(versions) {
  if (!versions.length) return null;
  return versions.reduce((best, v) => (compare(v, best) > 0 ? v : best));
}

module.exports = { parse, compare, sort, latest };
