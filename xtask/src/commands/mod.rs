//! The commands: each a short sequence of the stages, none a library for another.

pub mod fetch;
pub mod image;
pub mod rpm;
pub mod smoke;
