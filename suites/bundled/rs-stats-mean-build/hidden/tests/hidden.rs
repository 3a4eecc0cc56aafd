use numstats::{mean, percentile, variance};

#[test]
fn means() {
    assert_eq!(mean(&[-3, 3]), Some(0.0));
    assert_eq!(mean(&[7]), Some(7.0));
    assert_eq!(mean(&[1, 2]), Some(1.5));
    assert_eq!(mean(&[i32::MAX as i64, i32::MAX as i64]), Some(i32::MAX as f64));
}

#[test]
fn variances() {
    assert_eq!(variance(&[2, 4, 4, 4, 5, 5, 7, 9]), Some(4.0));
    assert_eq!(variance(&[]), None);
}

#[test]
fn percentiles() {
    let xs = [3, 6, 7, 8, 8, 10, 13, 15, 16, 20];
    assert_eq!(percentile(&xs, 0), Some(3));
    assert_eq!(percentile(&xs, 25), Some(7));
    assert_eq!(percentile(&xs, 50), Some(8));
    assert_eq!(percentile(&xs, 100), Some(20));
    assert_eq!(percentile(&xs, 101), None);
}
