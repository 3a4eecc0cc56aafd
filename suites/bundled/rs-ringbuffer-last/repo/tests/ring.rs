use ringbuf::RingBuffer;

#[test]
fn push_and_read() {
    let mut r = RingBuffer::with_capacity(3);
    r.push(1);
    r.push(2);
    assert_eq!(r.first(), Some(&1));
    assert_eq!(r.last(), Some(&2));
}
