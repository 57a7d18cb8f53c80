//! A concern's record in a JSON document (the manifest): the keys it writes and reads, how it
//! tells whether two records describe the same build, and what that comparison calls it. Each
//! concern implements it for its own record; the document's table composes them in one line
//! each.

use anyhow::Result;

use super::json::Value;

pub trait Record: Sized {
    /// What a comparison says when this record differs ("signing key").
    const LABEL: &'static str;
    /// The record's keys and values, at the document's top level.
    fn write(&self) -> Vec<(&'static str, Value)>;
    /// The record, read from the whole document; a missing key is an error that names it.
    fn read(doc: &Value) -> Result<Self>;
    /// Whether a build that would record `next` makes what this record describes.
    fn same(&self, next: &Self) -> bool;
}
