use numstats::{mean, min_max, percentile};

#[test]
fn basic() {
    assert_eq!(mean(&[1, 2, 3, 4]), Some(2.5));
    assert_eq!(mean(&[]), None);
    assert_eq!(min_max(&[3, -1, 7]), Some((-1, 7)));
    assert_eq!(percentile(&[15, 20, 35, 40, 50], 40), Some(20));
}
