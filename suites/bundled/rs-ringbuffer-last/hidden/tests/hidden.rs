use ringbuf::RingBuffer;

#[test]
fn last_through_wraparound() {
    let mut r = RingBuffer::with_capacity(3);
    assert_eq!(r.last(), None);
    for i in 1..=10 {
        r.push(i);
        assert_eq!(r.last(), Some(&i));
    }
    assert_eq!(r.to_vec(), vec![&8, &9, &10]);
    assert_eq!(r.first(), Some(&8));
}

#[test]
fn last_after_pops() {
    let mut r = RingBuffer::with_capacity(2);
    r.push("a");
    r.push("b");
    r.push("c");
    assert_eq!(r.pop_front(), Some("b"));
    assert_eq!(r.last(), Some(&"c"));
    assert_eq!(r.pop_front(), Some("c"));
    assert_eq!(r.last(), None);
    assert_eq!(r.first(), None);
}

#[test]
fn capacity_one() {
    let mut r = RingBuffer::with_capacity(1);
    assert_eq!(r.push(5), None);
    assert_eq!(r.push(6), Some(5));
    assert_eq!(r.last(), Some(&6));
    assert_eq!(r.len(), 1);
}
