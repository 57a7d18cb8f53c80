//! What a concern is to the plan. A concern is a module of `plan/` with its flags: `type
//! Flags` and `fn flags() -> impl Parser<Flags>`, a bpaf parser the commands compose. One that
//! resolves something on this machine or from the environment has a part of the plan too:
//! `type Part` and `fn part(&Flags, &Cx) -> Result<Part>`, which it says in `--verbose`'s plan
//! (`const SAYS: &str`, its line's name, and `fn describe(&Flags, &Part) -> String`); one of
//! flags only says its flags (`SAYS`, `fn describe(&Flags) -> String`).
//! `plan/mod.rs` declares the module and lists
//! the concern in one line of its `concerns!` table, which gives it its field in `RpmFlags` and
//! in the parser, and its part in `Plan`; the compiler checks that the module has what the line
//! asks of it. A concern's record in the manifest is the manifest's table's, in one line too.

use camino::Utf8Path;

use crate::infra::exec::Shell;
use crate::infra::workspace::Workspace;

/// What a concern may read while it resolves its part: how programs run, the workspace, the
/// directories every build has, and the one choice of another concern that one reads (the
/// libraries a build goes without, which bundled sources leave out too).
#[derive(Debug, Clone, Copy)]
pub struct Cx<'a> {
    pub sh: Shell,
    pub ws: &'a Workspace,
    /// `--out`, or the default, checked.
    pub out: &'a Utf8Path,
    /// rpmbuild's directories.
    pub work: &'a Utf8Path,
    /// `--without-library NAME`, as given.
    pub without_libraries: &'a [String],
}
