use ratio::Fraction;

#[test]
fn add() {
    assert_eq!(Fraction::new(1, 2) + Fraction::new(1, 3), Fraction::new(5, 6));
}

#[test]
fn sub() {
    assert_eq!(Fraction::new(1, 2) - Fraction::new(1, 3), Fraction::new(1, 6));
}

#[test]
fn display() {
    assert_eq!(Fraction::new(6, -8).to_string(), "-3/4");
}
