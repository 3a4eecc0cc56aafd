'use strict';

module.exports = Object.freeze({
  CM_PER_INCH: 2.45,
  INCHES_PER_FOOT: 12,
  GRAMS_PER_OUNCE: 28.349523125,
  OUNCES_PER_POUND: 16,
});
