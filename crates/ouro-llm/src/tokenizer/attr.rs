//! Token attributes: what kind of token an id is (normal, control, byte, ...), as llama.cpp
//! derives them from `tokenizer.ggml.token_type` and from token texts.

/// A set of token attribute bits (llama.cpp's `llama_token_attr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenAttr(u16);

impl TokenAttr {
    pub const UNDEFINED: TokenAttr = TokenAttr(0);
    pub const UNKNOWN: TokenAttr = TokenAttr(1 << 0);
    pub const UNUSED: TokenAttr = TokenAttr(1 << 1);
    pub const NORMAL: TokenAttr = TokenAttr(1 << 2);
    pub const CONTROL: TokenAttr = TokenAttr(1 << 3);
    pub const USER_DEFINED: TokenAttr = TokenAttr(1 << 4);
    pub const BYTE: TokenAttr = TokenAttr(1 << 5);
    pub const LSTRIP: TokenAttr = TokenAttr(1 << 7);
    pub const RSTRIP: TokenAttr = TokenAttr(1 << 8);

    /// The attribute of a GGUF token type (`tokenizer.ggml.token_type`); unknown types are
    /// undefined, as in llama.cpp.
    pub fn from_token_type(token_type: i64) -> TokenAttr {
        match token_type {
            1 => TokenAttr::NORMAL,
            2 => TokenAttr::UNKNOWN,
            3 => TokenAttr::CONTROL,
            4 => TokenAttr::USER_DEFINED,
            5 => TokenAttr::UNUSED,
            6 => TokenAttr::BYTE,
            _ => TokenAttr::UNDEFINED,
        }
    }

    /// True when any bit of `other` is set here.
    pub fn intersects(self, other: TokenAttr) -> bool {
        self.0 & other.0 != 0
    }

    /// These bits plus those of `other`.
    pub fn with(self, other: TokenAttr) -> TokenAttr {
        TokenAttr(self.0 | other.0)
    }

    /// These bits less those of `other`.
    pub fn without(self, other: TokenAttr) -> TokenAttr {
        TokenAttr(self.0 & !other.0)
    }
}

impl std::ops::BitOr for TokenAttr {
    type Output = TokenAttr;

    fn bitor(self, rhs: TokenAttr) -> TokenAttr {
        self.with(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_types_map_to_attributes() {
        assert_eq!(TokenAttr::from_token_type(3), TokenAttr::CONTROL);
        assert_eq!(TokenAttr::from_token_type(6), TokenAttr::BYTE);
        assert_eq!(TokenAttr::from_token_type(42), TokenAttr::UNDEFINED);
        let a = TokenAttr::NORMAL | TokenAttr::CONTROL;
        assert!(a.intersects(TokenAttr::CONTROL));
        assert!(!a.without(TokenAttr::CONTROL).intersects(TokenAttr::CONTROL));
    }
}
