//! The container engine and what runs on it after the build: the runtime image, the smoke test and its SIP call.

pub mod call;
pub mod checks;
pub mod image;
pub mod packages;
pub mod run;
pub mod smoke;
pub mod unit_tests;
