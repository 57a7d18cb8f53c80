//! The end-to-end tests, one binary: the real xtask, rpmbuild, container engine, git and rpm on
//! copies of the sample tree. `support` holds what every module shares.

mod adversarial;
mod bench;
mod doctor;
mod fetch;
mod history;
mod image_smoke;
mod incremental;
mod options;
mod overlay;
mod podman;
mod reproducible;
mod rpm_container;
mod rpm_errors;
mod rpm_native;
mod rpmlint;
mod run;
mod sbom;
mod signing;
mod support;
mod upgrade;
mod versions;
