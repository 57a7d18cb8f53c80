//! The build's SBOM, in the two formats consumers read: SPDX 2.3 JSON
//! (`<name>-<version>-<release>.spdx.json`) and CycloneDX 1.6 JSON (`....cdx.json`), both
//! rendered from one set of facts (`facts`), so that they say the same:
//! - every RPM and the SRPM: name, version, file, SHA-256, purl (`pkg:rpm/...`), CPE, supplier,
//!   the License tag the package carries, and for binary packages every regular file with its
//!   SHA-1 and SHA-256;
//! - the source archive (Asterisk as packed from the tree) and each bundled third-party source
//!   (pjproject, libjwt): version, download address, checksums, purl, CPE, originator, license;
//! - how they relate: each RPM GENERATED_FROM the SRPM, the SRPM GENERATED_FROM the archive and
//!   the bundled sources, the main package DEPENDS_ON what it bundles.
//!
//! `facts` is a pure function of plain data; `read_packages` asks rpm and unpacks the binary
//! packages (rpm2cpio | cpio) to hash their files.

pub(crate) mod cyclonedx;
pub(crate) mod facts;
pub(crate) mod ids;
pub(crate) mod spdx;

pub use facts::{facts, file_names, read_packages, SbomInputs};
