//! The commands: each a short sequence of the stages. `image` runs `rpm`'s build steps when its
//! RPMs are stale, and `run` runs `image`'s; otherwise none is a library for another.

pub mod bench;
pub mod doctor;
pub mod fetch;
pub mod image;
pub mod rpm;
pub mod run;
pub mod smoke;
