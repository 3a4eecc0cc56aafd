//! Entering and leaving the dashboard's terminal mode (raw mode, alternate screen, hidden
//! cursor), with the way back guaranteed on return, on error and on panic.

use std::io::{Stdout, stdout};
use std::sync::Once;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use crate::error::TuiError;

/// Leaves raw mode and the alternate screen and shows the cursor; safe to call twice.
pub fn restore() -> std::io::Result<()> {
    let raw = disable_raw_mode();
    execute!(stdout(), LeaveAlternateScreen, Show)?;
    raw
}

/// Restores the terminal before the default panic message prints, so it stays readable.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}

/// The terminal in dashboard mode; restored when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Switches the terminal to dashboard mode.
    pub fn enter() -> Result<TerminalGuard, TuiError> {
        install_panic_hook();
        enable_raw_mode().map_err(TuiError::terminal("enabling raw mode"))?;
        let entered = execute!(stdout(), EnterAlternateScreen, Hide)
            .map_err(TuiError::terminal("entering the alternate screen"))
            .and_then(|()| {
                Terminal::new(CrosstermBackend::new(stdout()))
                    .map_err(TuiError::terminal("measuring the terminal"))
            });
        match entered {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(err) => {
                let _ = restore();
                Err(err)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// The terminal's size in columns and rows.
pub fn size() -> std::io::Result<(u16, u16)> {
    ratatui::crossterm::terminal::size()
}
