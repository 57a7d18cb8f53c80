//! The one place external programs run, so that none can hang the xtask or outlive a Ctrl-C.
//!
//! A `Cmd` is data: program, arguments, environment, directory, and the `Shell` it came from. `run` prints it as a shell line
//! (`$ rpmbuild -ba ...`) and streams its merged output line by line to a callback; `read`
//! captures stdout of a query. Failure becomes an error that names the program, its exit status
//! and the last lines it printed. With `--dry-run`, `run` prints and returns.
//!
//! Nothing waits forever: a query that has not answered after `ASTERISK_XTASK_QUERY_SECS`
//! (default 120) is killed, and so is a run that printed nothing for `ASTERISK_XTASK_STALL_SECS`
//! (default 1800) or printed a line it was told means it is looping (`stop_on`). Both stop
//! within a fraction of a second of a Ctrl-C.

mod attach;
mod cmd;
mod failure;
mod stream;

pub use cmd::{alive, rpm_path, Cmd, Shell, LIMIT_SETTINGS};
pub use failure::{last_line, Failed, NotInstalled};
