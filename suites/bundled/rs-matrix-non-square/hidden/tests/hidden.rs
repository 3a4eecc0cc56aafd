use minimat::Matrix;

#[test]
fn transpose_rect() {
    let a = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
    let t = a.transpose();
    assert_eq!(t, Matrix::from_rows(&[vec![1.0, 3.0, 5.0], vec![2.0, 4.0, 6.0]]));
    assert_eq!(t.shape(), (2, 3));
    assert_eq!(t.transpose(), a);
}

#[test]
fn mul_rect() {
    let a = Matrix::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    let b = Matrix::from_rows(&[vec![7.0, 8.0], vec![9.0, 10.0], vec![11.0, 12.0]]);
    assert_eq!(a.mul(&b).unwrap(), Matrix::from_rows(&[vec![58.0, 64.0], vec![139.0, 154.0]]));
    assert!(a.mul(&a).is_none());
    let row = Matrix::from_rows(&[vec![1.0, 2.0, 3.0, 4.0]]);
    assert_eq!(row.mul(&row.transpose()).unwrap().get(0, 0), 30.0);
}

#[test]
fn set_get_all() {
    let mut m = Matrix::zeros(3, 5);
    for r in 0..3 {
        for c in 0..5 {
            m.set(r, c, (r * 10 + c) as f64);
        }
    }
    for r in 0..3 {
        for c in 0..5 {
            assert_eq!(m.get(r, c), (r * 10 + c) as f64);
        }
    }
}
