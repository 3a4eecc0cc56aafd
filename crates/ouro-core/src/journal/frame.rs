//! The on-disk framing of one record.
//!
//! ```text
//! offset  size  field
//!      0     4  payload length, u32 little-endian
//!      4     4  CRC32C (Castagnoli) of bytes 0..4, 8..16 and the payload
//!      8     8  lsn, u64 little-endian
//!     16     n  payload
//! ```
//!
//! The checksum covers the length and the lsn as well as the payload, so a flipped bit
//! anywhere in a frame is caught.

use super::{JournalError, Lsn};

/// Size of a frame's header (length, checksum, lsn).
pub(crate) const FRAME_HEADER_LEN: usize = 16;

/// The largest payload one frame can carry.
pub(crate) const MAX_PAYLOAD: usize = u32::MAX as usize;

/// A decoded frame header (not yet checked against its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Payload length in bytes.
    pub len: u32,
    /// Stored checksum.
    pub crc: u32,
    /// Stored sequence number.
    pub lsn: Lsn,
}

impl FrameHeader {
    /// Decodes a header from its 16 bytes.
    pub fn parse(bytes: &[u8; FRAME_HEADER_LEN]) -> FrameHeader {
        let [
            l0,
            l1,
            l2,
            l3,
            c0,
            c1,
            c2,
            c3,
            s0,
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            s7,
        ] = *bytes;
        FrameHeader {
            len: u32::from_le_bytes([l0, l1, l2, l3]),
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            lsn: u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
        }
    }

    /// Whether `payload` (of length `self.len`) matches the stored checksum.
    pub fn matches(&self, payload: &[u8]) -> bool {
        payload.len() == self.len as usize && checksum(self.len, self.lsn, payload) == self.crc
    }

    /// Total frame size (header and payload).
    pub fn frame_len(&self) -> u64 {
        FRAME_HEADER_LEN as u64 + u64::from(self.len)
    }
}

/// The checksum stored in a frame.
fn checksum(len: u32, lsn: Lsn, payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &lsn.to_le_bytes());
    crc32c::crc32c_append(crc, payload)
}

/// Replaces the contents of `buf` with the frame for `payload` at `lsn`.
pub(crate) fn encode(buf: &mut Vec<u8>, lsn: Lsn, payload: &[u8]) -> Result<(), JournalError> {
    let len = u32::try_from(payload.len()).map_err(|_| JournalError::RecordTooLarge {
        len: payload.len(),
        max: MAX_PAYLOAD,
    })?;
    buf.clear();
    buf.reserve(FRAME_HEADER_LEN + payload.len());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&checksum(len, lsn, payload).to_le_bytes());
    buf.extend_from_slice(&lsn.to_le_bytes());
    buf.extend_from_slice(payload);
    Ok(())
}

/// Whether `bytes` starts with a complete, valid frame whose lsn satisfies `lsn_ok`.
pub(crate) fn valid_frame_at(bytes: &[u8], lsn_ok: impl Fn(Lsn) -> bool) -> Option<FrameHeader> {
    let header: &[u8; FRAME_HEADER_LEN] = bytes.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
    let header = FrameHeader::parse(header);
    if !lsn_ok(header.lsn) {
        return None;
    }
    let end = usize::try_from(header.frame_len()).ok()?;
    let payload = bytes.get(FRAME_HEADER_LEN..end)?;
    header.matches(payload).then_some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(lsn: Lsn, payload: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        assert!(encode(&mut buf, lsn, payload).is_ok());
        buf
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let bytes = frame(7, b"hello");
        assert_eq!(bytes.len(), FRAME_HEADER_LEN + 5);
        let header = valid_frame_at(&bytes, |lsn| lsn == 7);
        assert_eq!(header.map(|h| (h.len, h.lsn)), Some((5, 7)));
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = frame(3, b"payload bytes");
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                valid_frame_at(&flipped, |lsn| lsn == 3).is_none(),
                "flip of bit {bit} not detected"
            );
        }
    }

    #[test]
    fn truncated_frames_are_not_valid() {
        let bytes = frame(1, b"abc");
        for cut in 0..bytes.len() {
            assert!(valid_frame_at(&bytes[..cut], |_| true).is_none());
        }
    }

    #[test]
    fn empty_payload_is_a_valid_frame() {
        let bytes = frame(9, b"");
        assert!(valid_frame_at(&bytes, |lsn| lsn == 9).is_some());
        assert!(valid_frame_at(&bytes, |lsn| lsn == 8).is_none());
    }
}
