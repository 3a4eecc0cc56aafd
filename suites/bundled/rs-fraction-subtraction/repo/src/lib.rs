//! Exact fractions, always kept in lowest terms with a positive denominator.

use std::fmt;
use std::ops::{Add, Div, Mul, Sub};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    num: i64,
    den: i64,
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        let t = b;
        b = a % b;
        a = t;
    }
    a.abs()
}

impl Fraction {
    pub fn new(num: i64, den: i64) -> Fraction {
        assert!(den != 0, "zero denominator");
        let g = gcd(num, den).max(1);
        let sign = if den < 0 { -1 } else { 1 };
        Fraction { num: sign * num / g, den: sign * den / g }
    }

    pub fn numer(&self) -> i64 {
        self.num
    }

    pub fn denom(&self) -> i64 {
        self.den
    }
}

impl Add for Fraction {
    type Output = Fraction;
    fn add(self, o: Fraction) -> Fraction {
        Fraction::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }
}

impl Sub for Fraction {
    type Output = Fraction;
    fn sub(self, o: Fraction) -> Fraction {
        Fraction::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }
}

impl Mul for Fraction {
    type Output = Fraction;
    fn mul(self, o: Fraction) -> Fraction {
        Fraction::new(self.num * o.num, self.den * o.den)
    }
}

impl Div for Fraction {
    type Output = Fraction;
    fn div(self, o: Fraction) -> Fraction {
        Fraction::new(self.num * o.den, self.den * o.num)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}
