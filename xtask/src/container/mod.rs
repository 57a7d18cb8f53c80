//! The container engine and what runs on it after the build: the runtime image, the smoke test.

pub mod checks;
pub mod image;
pub mod packages;
pub mod smoke;
pub mod unit_tests;
