'use strict';

const { CM_PER_INCH, INCHES_PER_FOOT, GRAMS_PER_OUNCE, OUNCES_PER_POUND } = require('./constants');

const round = (n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

function inchesToCm(inches) {
  return round(inches * CM_PER_INCH);
}

function cmToInches(cm) {
  return round(cm * CM_PER_INCH);
}

function feetToCm(feet, inches = 0) {
  return inchesToCm(feet * INCHES_PER_FOOT + inches);
}

function cmToFeet(cm) {
  const total = cm / CM_PER_INCH;
  const feet = Math.floor(total / INCHES_PER_FOOT);
  return { feet, inches: round(total - feet * INCHES_PER_FOOT, 1) };
}

function poundsToGrams(pounds) {
  return round(pounds * OUNCES_PER_POUND * GRAMS_PER_OUNCE, 1);
}

module.exports = { inchesToCm, cmToInches, feetToCm, cmToFeet, poundsToGrams };
