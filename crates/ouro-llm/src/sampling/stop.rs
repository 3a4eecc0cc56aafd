//! Stop strings over streamed text: [`StopMatcher`] emits decoded text as soon as it
//! cannot be the start of a stop string, holds back a tail that might still become one
//! (such as `"<|im"` while waiting for `"_end|>"`), and ends the stream at the first stop
//! string, dropping it and everything after it.

/// What one [`StopMatcher::push`] lets through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopStep {
    /// Text that is safe to show now.
    pub emit: String,
    /// A stop string was found: generation should end, and later pushes emit nothing.
    pub stopped: bool,
}

/// Finds stop strings in text that arrives piece by piece.
#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    /// Text received but not yet emitted: a suffix that is a proper prefix of a stop.
    held: String,
    stopped: bool,
}

impl StopMatcher {
    /// A matcher for `stops`; empty strings are ignored (they would stop at once).
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            held: String::new(),
            stopped: false,
        }
    }

    /// Whether a stop string has been found.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Feeds the next decoded text piece; returns what may be emitted now (text that
    /// cannot be the start of a stop string) and whether a stop string was hit (text from
    /// the stop on is dropped).
    pub fn push(&mut self, piece: &str) -> StopStep {
        if self.stopped {
            return StopStep {
                emit: String::new(),
                stopped: true,
            };
        }
        self.held.push_str(piece);
        if let Some(at) = self.first_stop() {
            self.held.truncate(at);
            self.stopped = true;
            return StopStep {
                emit: std::mem::take(&mut self.held),
                stopped: true,
            };
        }
        let keep_from = self.partial_stop_start();
        let rest = self.held.split_off(keep_from);
        StopStep {
            emit: std::mem::replace(&mut self.held, rest),
            stopped: false,
        }
    }

    /// At the end of generation, the held-back text (empty after a stop).
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    /// The byte offset of the earliest stop string in the held text.
    fn first_stop(&self) -> Option<usize> {
        self.stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
    }

    /// The start of the longest suffix of the held text that begins some stop string
    /// (the length of the held text when there is none).
    fn partial_stop_start(&self) -> usize {
        self.held
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| {
                let tail = &self.held[i..];
                self.stops.iter().any(|s| s.starts_with(tail))
            })
            .unwrap_or(self.held.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(stops: &[&str]) -> StopMatcher {
        StopMatcher::new(stops.iter().map(|s| s.to_string()).collect())
    }

    fn step(emit: &str, stopped: bool) -> StopStep {
        StopStep {
            emit: emit.to_string(),
            stopped,
        }
    }

    #[test]
    fn stop_split_across_pieces() {
        let mut m = matcher(&["<|im_end|>"]);
        assert_eq!(m.push("Hello"), step("Hello", false));
        assert_eq!(m.push(" world<|im"), step(" world", false));
        assert_eq!(m.push("_end|>ignored"), step("", true));
        assert!(m.stopped());
        assert_eq!(m.push("more"), step("", true));
        assert_eq!(m.flush(), "");
    }

    #[test]
    fn partial_prefix_is_released_when_it_turns_out_not_to_be_a_stop() {
        let mut m = matcher(&["<|im_end|>"]);
        assert_eq!(m.push("a <"), step("a ", false));
        assert_eq!(m.push("|i"), step("", false));
        assert_eq!(m.push("x"), step("<|ix", false));
        assert_eq!(m.push("<|im_e"), step("", false));
        assert_eq!(m.flush(), "<|im_e");
        assert!(!m.stopped());
    }

    #[test]
    fn text_before_the_stop_in_the_same_piece_is_emitted() {
        let mut m = matcher(&["STOP"]);
        assert_eq!(m.push("abcSTOPdef"), step("abc", true));
    }

    #[test]
    fn held_text_is_searched_again_with_the_new_piece() {
        // "ab" is held as a prefix of "abc"; then "d" reveals the stop "bd" inside it.
        let mut m = matcher(&["abc", "bd"]);
        assert_eq!(m.push("xab"), step("x", false));
        assert_eq!(m.push("d"), step("a", true));
    }

    #[test]
    fn multiple_stops_cut_at_the_earliest() {
        let mut m = matcher(&["\n\n", "User:", "</s>"]);
        assert_eq!(m.push("one User: two\n\n"), step("one ", true));
        let mut m = matcher(&["User:", "</s>"]);
        assert_eq!(m.push("x</"), step("x", false));
        assert_eq!(m.push("s>User:"), step("", true));
    }

    #[test]
    fn unicode_is_never_split() {
        let mut m = matcher(&["→ éfin", "日本"]);
        assert_eq!(m.push("café → é"), step("café ", false));
        assert_eq!(m.push("t"), step("→ ét", false));
        assert_eq!(m.push("語 日"), step("語 ", false));
        assert_eq!(m.push("本語"), step("", true));
    }

    #[test]
    fn no_stops_and_empty_stops_pass_everything() {
        let mut m = matcher(&["", ""]);
        assert_eq!(m.push("<|im_end|>"), step("<|im_end|>", false));
        assert_eq!(m.flush(), "");
    }
}
