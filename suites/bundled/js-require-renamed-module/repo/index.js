'use strict';

const { slugify } = require('./lib/slug');
const { excerpt, readingMinutes } = require('./lib/text');

function indexEntry(post) {
  return {
    slug: post.slug || slugify(post.title),
    title: post.title,
    excerpt: excerpt(post.body, 80),
    minutes: readingMinutes(post.body),
  };
}

function buildIndex(posts) {
  const seen = new Set();
  return posts.map(indexEntry).map((entry) => {
    let slug = entry.slug;
    for (let n = 2; seen.has(slug); n++) slug = `${entry.slug}-${n}`;
    seen.add(slug);
    return { ...entry, slug };
  });
}

module.exports = { indexEntry, buildIndex };
