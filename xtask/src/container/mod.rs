//! The container engine and what runs on it after the build: the runtime image, the smoke test and its SIP call.

pub mod boot_test;
pub mod call;
pub mod checks;
pub mod dev_container;
pub mod packages;
pub mod runtime_image;
