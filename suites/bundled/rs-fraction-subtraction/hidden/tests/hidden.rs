use ratio::Fraction;

fn f(n: i64, d: i64) -> Fraction {
    Fraction::new(n, d)
}

#[test]
fn subtraction() {
    assert_eq!(f(3, 4) - f(1, 4), f(1, 2));
    assert_eq!(f(1, 3) - f(1, 2), f(-1, 6));
    assert_eq!(f(2, 5) - f(2, 5), f(0, 1));
    assert_eq!((f(2, 5) - f(2, 5)).to_string(), "0");
    assert_eq!(f(-1, 2) - f(-1, 2), f(0, 7));
    assert_eq!(f(7, 1) - f(1, 1), f(6, 1));
}

#[test]
fn identities() {
    for n in -6..=6 {
        for d in 1..=6 {
            let a = f(n, d);
            let b = f(d, 7);
            assert_eq!(a - b + b, a);
            assert_eq!((a - a).numer(), 0);
        }
    }
}

#[test]
fn others_still_work() {
    assert_eq!(f(2, 3) * f(3, 4), f(1, 2));
    assert_eq!(f(2, 3) / f(4, 3), f(1, 2));
}
