//! The infrastructure every stage stands on: the one place programs run, Ctrl-C, the container
//! engine, the workspace, digests, and what a run says about time and size.

pub mod digest;
pub mod engine;
pub mod exec;
pub mod interrupt;
pub mod json;
pub mod progress;
pub mod record;
pub mod regular;
pub mod workspace;
