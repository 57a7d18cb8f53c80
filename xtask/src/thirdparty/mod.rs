//! Third-party sources: what the tree bundles, and the download cache that holds it.

pub mod bundle;
pub mod cache;

/// The packages a build bundles: pjproject (Asterisk's SIP stack), unless the user builds
/// without it. jansson and libjwt come from the system (the spec does not bundle them).
pub const BUNDLED: &[&str] = &["pjproject"];
