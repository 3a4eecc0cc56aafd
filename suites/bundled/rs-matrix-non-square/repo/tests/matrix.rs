use minimat::Matrix;

#[test]
fn identity_mul() {
    let a = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0]]);
    assert_eq!(a.mul(&Matrix::identity(2)).unwrap(), a);
}

#[test]
fn get_non_square() {
    let a = Matrix::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    assert_eq!(a.get(1, 0), 4.0);
    assert_eq!(a.get(0, 2), 3.0);
}
