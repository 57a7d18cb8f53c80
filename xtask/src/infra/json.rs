//! Reading JSON this tool wrote, field by field: a missing or mistyped field is an error that
//! names it, never a silent default.

use anyhow::{Context, Result};
use serde_json::Value;

/// The field `key` of an object, which must be there.
pub fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key).with_context(|| format!("no \"{key}\""))
}

/// A string field.
pub fn text(v: &Value, key: &str) -> Result<String> {
    field(v, key)?
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("\"{key}\" is not a string"))
}

/// A whole-number field.
pub fn int(v: &Value, key: &str) -> Result<i64> {
    field(v, key)?
        .as_i64()
        .with_context(|| format!("\"{key}\" is not a whole number"))
}

/// A non-negative whole-number field.
pub fn uint(v: &Value, key: &str) -> Result<u64> {
    field(v, key)?
        .as_u64()
        .with_context(|| format!("\"{key}\" is not a whole number"))
}

/// A true/false field.
pub fn flag(v: &Value, key: &str) -> Result<bool> {
    field(v, key)?
        .as_bool()
        .with_context(|| format!("\"{key}\" is not true or false"))
}

/// A list field, each item read by `item`.
pub fn list<T>(v: &Value, key: &str, item: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
    field(v, key)?
        .as_array()
        .with_context(|| format!("\"{key}\" is not a list"))?
        .iter()
        .enumerate()
        .map(|(n, x)| item(x).with_context(|| format!("item {} of \"{key}\"", n + 1)))
        .collect()
}

/// A list of strings.
pub fn texts(v: &Value, key: &str) -> Result<Vec<String>> {
    list(v, key, |x| {
        x.as_str().map(str::to_string).context("not a string")
    })
}

/// A field that may be `null` (written as such when there is nothing), read by `item`.
pub fn nullable<T>(v: &Value, key: &str, item: impl Fn(&Value) -> Result<T>) -> Result<Option<T>> {
    match field(v, key)? {
        Value::Null => Ok(None),
        x => item(x).map(Some).with_context(|| format!("in \"{key}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        let v: Value = serde_json::json!({"a": "x", "n": 3, "l": ["p", 4], "z": null});
        assert_eq!(text(&v, "a").unwrap(), "x");
        assert_eq!(int(&v, "n").unwrap(), 3);
        assert_eq!(text(&v, "b").unwrap_err().to_string(), "no \"b\"");
        assert_eq!(
            text(&v, "n").unwrap_err().to_string(),
            "\"n\" is not a string"
        );
        let e = texts(&v, "l").unwrap_err();
        assert_eq!(format!("{e:#}"), "item 2 of \"l\": not a string");
        assert_eq!(nullable(&v, "z", |x| text(x, "q")).unwrap(), None);
        assert_eq!(
            format!("{:#}", nullable(&v, "gone", |x| text(x, "q")).unwrap_err()),
            "no \"gone\""
        );
    }
}
