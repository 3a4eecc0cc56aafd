//! The sandbox of the `bash` tool: [`ouro_sandbox`] (re-exported), with the profile of a
//! command derived from the permission policy ([`policy_profile`]).

pub use ouro_sandbox::*;

use crate::permissions::{Action, Mode, Policy};

/// The profile for a command under `policy` (`network`: whether the call was granted
/// network access; full access always has it).
pub fn policy_profile(policy: &Policy, network: bool) -> Result<Profile, ScanError> {
    let patterns = |action| {
        policy
            .deny_path_patterns(action)
            .map(|rule| rule.pattern.as_str())
            .collect()
    };
    Profile::from_patterns(&PatternProfile {
        workspace: policy.workspace(),
        writes: match policy.mode() {
            Mode::FullAccess => WriteScope::Anywhere,
            Mode::WorkspaceWrite => WriteScope::WorkspaceAndTemp,
            Mode::ReadOnly => WriteScope::TempOnly,
        },
        deny_read: patterns(Action::Read),
        deny_write: patterns(Action::Write),
        network: network || policy.mode() == Mode::FullAccess,
    })
}
