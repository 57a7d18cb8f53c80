//! The commands: each a short sequence of the stages, none a library for another.

pub mod bench;
pub mod doctor;
pub mod fetch;
pub mod image;
pub mod rpm;
pub mod smoke;
