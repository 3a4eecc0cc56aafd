//! The sandbox of the `bash` tool: [`ouro_sandbox`] (re-exported), with the profile of a
//! command derived from the permission policy ([`policy_profile`]): it writes the workspace
//! (unless read-only) and its own private temporary directory ([`PrivateTmp`]), never the
//! shared `/tmp` or `/var/tmp`; its `/dev/shm` is a private one ([`Profile::private_shm`]).

pub use ouro_sandbox::*;

use std::path::Path;

use crate::permissions::{Action, Mode, Policy};

/// The profile for a command under `policy` whose private temporary directory is `tmp`
/// (`network`: whether the call was granted network access; full access always has it).
pub fn policy_profile(policy: &Policy, tmp: &Path, network: bool) -> Result<Profile, ScanError> {
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
            Mode::WorkspaceWrite => {
                WriteScope::Only(vec![policy.workspace().to_path_buf(), tmp.to_path_buf()])
            }
            Mode::ReadOnly => WriteScope::Only(vec![tmp.to_path_buf()]),
        },
        deny_read: patterns(Action::Read),
        deny_write: patterns(Action::Write),
        network: network || policy.mode() == Mode::FullAccess,
    })
}
