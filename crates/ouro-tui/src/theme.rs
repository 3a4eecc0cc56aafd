//! Colour themes; `t` cycles through [`THEMES`].

use ratatui::style::{Color, Modifier, Style};

/// The colours the panels draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    /// Panel text.
    pub text: Color,
    /// Labels and secondary text.
    pub dim: Color,
    /// Borders of unfocused panels.
    pub border: Color,
    /// The focused panel's border and titles.
    pub accent: Color,
    /// Low load, success.
    pub good: Color,
    /// Medium load, warnings.
    pub warn: Color,
    /// High load, failures.
    pub bad: Color,
    /// The status bar's background.
    pub bar: Color,
}

/// Every theme, the first the default.
pub const THEMES: [Theme; 4] = [
    Theme {
        name: "ocean",
        text: Color::White,
        dim: Color::Gray,
        border: Color::DarkGray,
        accent: Color::Cyan,
        good: Color::Green,
        warn: Color::Yellow,
        bad: Color::Red,
        bar: Color::Blue,
    },
    Theme {
        name: "ember",
        text: Color::Rgb(0xf0, 0xe6, 0xd8),
        dim: Color::Rgb(0xa8, 0x98, 0x84),
        border: Color::Rgb(0x6b, 0x4f, 0x3a),
        accent: Color::Rgb(0xff, 0x8c, 0x42),
        good: Color::Rgb(0x9c, 0xcc, 0x65),
        warn: Color::Rgb(0xff, 0xc1, 0x07),
        bad: Color::Rgb(0xff, 0x45, 0x45),
        bar: Color::Rgb(0x5a, 0x2e, 0x12),
    },
    Theme {
        name: "forest",
        text: Color::Rgb(0xe0, 0xf0, 0xe0),
        dim: Color::Rgb(0x90, 0xa8, 0x90),
        border: Color::Rgb(0x3a, 0x5a, 0x3a),
        accent: Color::Rgb(0x7c, 0xd9, 0x7c),
        good: Color::Rgb(0x4c, 0xaf, 0x50),
        warn: Color::Rgb(0xcd, 0xdc, 0x39),
        bad: Color::Rgb(0xe5, 0x73, 0x73),
        bar: Color::Rgb(0x1b, 0x3a, 0x1b),
    },
    Theme {
        name: "mono",
        text: Color::Reset,
        dim: Color::Reset,
        border: Color::Reset,
        accent: Color::Reset,
        good: Color::Reset,
        warn: Color::Reset,
        bad: Color::Reset,
        bar: Color::Reset,
    },
];

impl Theme {
    /// The theme at `index`, wrapping around.
    pub fn at(index: usize) -> &'static Theme {
        &THEMES[index % THEMES.len()]
    }

    /// The colour for a load percentage.
    pub fn load(&self, pct: f32) -> Color {
        if pct >= 85.0 {
            self.bad
        } else if pct >= 50.0 {
            self.warn
        } else {
            self.good
        }
    }

    /// Text in the colour for a load percentage.
    pub fn load_style(&self, pct: f32) -> Style {
        Style::default().fg(self.load(pct))
    }

    pub fn text_style(&self) -> Style {
        Style::default().fg(self.text)
    }

    pub fn dim_style(&self) -> Style {
        Style::default().fg(self.dim)
    }

    /// A panel title; bold and accented when focused.
    pub fn title_style(&self, focused: bool) -> Style {
        if focused {
            Style::default()
                .fg(self.accent)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(self.text)
        }
    }

    pub fn border_style(&self, focused: bool) -> Style {
        Style::default().fg(if focused { self.accent } else { self.border })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_wrap_and_have_distinct_names() {
        assert_eq!(Theme::at(THEMES.len()).name, THEMES[0].name);
        for (i, a) in THEMES.iter().enumerate() {
            for b in &THEMES[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(THEMES[0].load(90.0), THEMES[0].bad);
        assert_eq!(THEMES[0].load(10.0), THEMES[0].good);
    }
}
