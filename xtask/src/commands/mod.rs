//! The commands: each a short sequence of the stages. What several share is `steps`: a build's
//! beginning and rpm's build steps (`rpm`, and `image` when its RPMs are stale), the image
//! (`image`, `run`); no command is a library for another.

pub mod bench;
pub mod doctor;
pub mod fetch;
pub mod image;
pub mod rpm;
pub mod run;
pub mod smoke;
mod steps;
