//! JSON, as far as this tool needs it: a value (`Value`, objects with their keys sorted, so that
//! what is written is the same bytes for the same data), `json!` to make one, `parse` to read
//! one (RFC 8259, strictly: what serde_json refuses, this refuses), `pretty` to write one (two
//! spaces of indent, serde_json's bytes), and the
//! readers of what this tool wrote, field by field: a missing or mistyped field is an error that
//! names it, never a silent default.
//!
//! Our own rather than serde_json's: manifest.json, the SBOM and bench.json need no more, and
//! serde's crates were a third of a contributor's first `cargo xtask` (see xtask/Cargo.toml).
//! The end-to-end tests read what this writes with serde_json, an independent parser.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};

/// A JSON value. Whole numbers are kept whole (`Int`); an object's keys are sorted.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A whole number above `i64::MAX`.
    UInt(u64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Object(BTreeMap<String, Value>),
}

static NULL: Value = Value::Null;

impl Value {
    /// The field `key` of an object (None for another value or a missing key).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(n) => Some(n),
            Value::UInt(n) => i64::try_from(n).ok(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Int(n) => u64::try_from(n).ok(),
            Value::UInt(n) => Some(n),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The value as text: two spaces of indent per level, `"key": value`, a newline between
    /// items, `[]` and `{}` when empty (no newline at the end).
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        write_value(self, 0, &mut out);
        out
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;
    /// The field `key`, or null (as for a missing key).
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    /// Item `n` of an array, or null.
    fn index(&self, n: usize) -> &Value {
        match self {
            Value::Array(items) => items.get(n).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

#[cfg(test)]
impl std::fmt::Display for Value {
    /// `pretty`'s text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.pretty())
    }
}

#[cfg(test)]
impl std::ops::IndexMut<usize> for Value {
    /// Item `n` of an array, which must be there (a bug of the caller's otherwise: it panics).
    fn index_mut(&mut self, n: usize) -> &mut Value {
        match self {
            Value::Array(items) => match items.get_mut(n) {
                Some(item) => item,
                None => panic!("no item {n} in the array"),
            },
            other => panic!("indexing {other:?} with {n}"),
        }
    }
}

impl std::ops::IndexMut<&str> for Value {
    /// The field `key` of an object, made null when missing (a null becomes an empty object
    /// first). Indexing another kind of value is a bug of the caller's: it panics.
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if *self == Value::Null {
            *self = Value::Object(BTreeMap::new());
        }
        match self {
            Value::Object(map) => map.entry(key.to_string()).or_insert(Value::Null),
            other => panic!("indexing {other:?} with \"{key}\""),
        }
    }
}

// A value compared with a plain one, as tests say it: `v["name"] == "asterisk"`, `v["size"] == 3`.
#[cfg(test)]
impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

#[cfg(test)]
impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

#[cfg(test)]
impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

macro_rules! compared_with_numbers {
    ($($t:ty),*) => {$(
        #[cfg(test)]
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                *self == other.to_json()
            }
        }
    )*};
}
compared_with_numbers!(i32, i64, u32, u64, usize);

/// What `json!` takes as a value.
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Value::Float(*self)
    }
}

macro_rules! whole_numbers {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                match i64::try_from(*self) {
                    Ok(n) => Value::Int(n),
                    Err(_) => Value::UInt(*self as u64),
                }
            }
        }
    )*};
}
whole_numbers!(i32, i64, u32, u64, usize);

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

/// A `Value` written as JSON: `json!({"name": name, "sizes": [1, 2], "note": null})`. Keys are
/// string literals; values are `null`, `[...]`, `{...}` or any expression whose type is
/// `ToJson`.
macro_rules! json {
    (null) => { $crate::infra::json::Value::Null };
    ([]) => { $crate::infra::json::Value::Array(Vec::new()) };
    ([ $($items:tt)+ ]) => {
        $crate::infra::json::Value::Array($crate::infra::json::json!(@array [] $($items)+))
    };
    ({}) => { $crate::infra::json::Value::Object(::std::collections::BTreeMap::new()) };
    ({ $($fields:tt)+ }) => {{
        let mut object = ::std::collections::BTreeMap::new();
        $crate::infra::json::json!(@object object $($fields)+);
        $crate::infra::json::Value::Object(object)
    }};
    (@array [$($done:expr,)*]) => { vec![$($done),*] };
    (@array [$($done:expr,)*] null $(, $($rest:tt)*)?) => {
        $crate::infra::json::json!(@array [$($done,)* $crate::infra::json::Value::Null,] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::infra::json::json!(@array [$($done,)* $crate::infra::json::json!([$($inner)*]),] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $crate::infra::json::json!(@array [$($done,)* $crate::infra::json::json!({$($inner)*}),] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] $next:expr, $($rest:tt)*) => {
        $crate::infra::json::json!(@array [$($done,)* $crate::infra::json::ToJson::to_json(&$next),] $($rest)*)
    };
    (@array [$($done:expr,)*] $last:expr) => {
        $crate::infra::json::json!(@array [$($done,)* $crate::infra::json::ToJson::to_json(&$last),])
    };
    (@object $object:ident) => {};
    (@object $object:ident $key:literal : null $(, $($rest:tt)*)?) => {
        $object.insert($key.to_string(), $crate::infra::json::Value::Null);
        $crate::infra::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $object.insert($key.to_string(), $crate::infra::json::json!([$($inner)*]));
        $crate::infra::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $object.insert($key.to_string(), $crate::infra::json::json!({$($inner)*}));
        $crate::infra::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : $value:expr, $($rest:tt)*) => {
        $object.insert($key.to_string(), $crate::infra::json::ToJson::to_json(&$value));
        $crate::infra::json::json!(@object $object $($rest)*);
    };
    (@object $object:ident $key:literal : $value:expr) => {
        $object.insert($key.to_string(), $crate::infra::json::ToJson::to_json(&$value));
    };
    ($value:expr) => { $crate::infra::json::ToJson::to_json(&$value) };
}
pub(crate) use json;

fn write_value(v: &Value, depth: usize, out: &mut String) {
    let indent = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::UInt(n) => out.push_str(&n.to_string()),
        Value::Float(x) if !x.is_finite() => out.push_str("null"),
        Value::Float(x) => write_float(*x, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                write_value(item, depth + 1, out);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (n, (key, item)) in map.iter().enumerate() {
                if n > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                write_string(key, out);
                out.push_str(": ");
                write_value(item, depth + 1, out);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

/// A finite float as serde_json writes it: the shortest digits that read back the same; in full
/// from 1e-5 up to below 1e16 (with `.0` when whole), else with an exponent (`1.5e-6`, `1e+21`).
fn write_float(x: f64, out: &mut String) {
    let sci = format!("{x:e}");
    let (digits, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if x != 0.0 && !(-5..16).contains(&exponent) {
        out.push_str(digits);
        out.push('e');
        if exponent > 0 {
            out.push('+');
        }
        out.push_str(&exponent.to_string());
        return;
    }
    let text = x.to_string();
    out.push_str(&text);
    if !text.contains('.') {
        out.push_str(".0");
    }
}

/// A string in quotes: `"` and `\` escaped, control characters as `\n`, `\t`, ... or `\u00XX`;
/// everything else as it is (UTF-8).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a JSON text (RFC 8259): one value, whitespace around it; an error says what was
/// expected and at which byte.
pub fn parse(text: &str) -> Result<Value> {
    let mut p = Parser {
        b: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.space();
    if p.at != p.b.len() {
        bail!("text after the JSON value at byte {}", p.at);
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
    depth: usize,
}

/// Deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn space(&mut self) {
        while matches!(self.b.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expected(&self, what: &str) -> anyhow::Error {
        match self.b.get(self.at) {
            Some(c) if c.is_ascii() => anyhow::anyhow!(
                "expected {what} at byte {}, found {:?}",
                self.at,
                char::from(*c)
            ),
            Some(c) => anyhow::anyhow!("expected {what} at byte {}, found byte 0x{c:02x}", self.at),
            None => anyhow::anyhow!("expected {what} at byte {}, found the end", self.at),
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        let here = self.b.get(self.at) == Some(&c);
        if here {
            self.at += 1;
        }
        here
    }

    fn word(&mut self, word: &str, v: Value) -> Result<Value> {
        match self.b[self.at..].starts_with(word.as_bytes()) {
            true => {
                self.at += word.len();
                Ok(v)
            }
            false => Err(self.expected("a value")),
        }
    }

    fn value(&mut self) -> Result<Value> {
        self.space();
        match self.b.get(self.at) {
            Some(b'{') | Some(b'[') if self.depth >= MAX_DEPTH => {
                bail!("nested deeper than {MAX_DEPTH} at byte {}", self.at)
            }
            Some(b'{') => {
                self.at += 1;
                self.depth += 1;
                let mut map = BTreeMap::new();
                if !self.eat(b'}') {
                    loop {
                        self.space();
                        if self.b.get(self.at) != Some(&b'"') {
                            return Err(self.expected("a key in quotes"));
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.expected("':'"));
                        }
                        let v = self.value()?;
                        map.insert(key, v);
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.expected("',' or '}'"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Value::Object(map))
            }
            Some(b'[') => {
                self.at += 1;
                self.depth += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.expected("',' or ']'"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Value::Array(items))
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.expected("a value")),
        }
    }

    fn number(&mut self) -> Result<Value> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while matches!(p.b.get(p.at), Some(b'0'..=b'9')) {
                p.at += 1;
            }
            p.at > from
        };
        if self.b.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let leading_zero = self.b.get(self.at) == Some(&b'0');
        if !digits(self) {
            return Err(self.expected("a digit"));
        }
        if leading_zero && self.at - start > 1 + usize::from(self.b[start] == b'-') {
            bail!("a number with a leading zero at byte {start}");
        }
        let mut whole = true;
        if self.b.get(self.at) == Some(&b'.') {
            self.at += 1;
            whole = false;
            if !digits(self) {
                return Err(self.expected("a digit after '.'"));
            }
        }
        if matches!(self.b.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            whole = false;
            if matches!(self.b.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.at]).unwrap_or_default();
        if whole {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::Int(n));
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::UInt(n));
            }
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Float(x)),
            _ => bail!("the number {text} at byte {start} is out of range"),
        }
    }

    /// A string, the opening quote at `at`.
    fn string(&mut self) -> Result<String> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let run = self.at;
            while !matches!(self.b.get(self.at), None | Some(b'"' | b'\\' | 0..=0x1f)) {
                self.at += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.b[run..self.at])
                    .with_context(|| format!("the string at byte {start} is not UTF-8"))?,
            );
            match self.b.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.b.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                // A surrogate pair: `\uD83D\uDE00`.
                                if !self.b[self.at + 1..].starts_with(b"\\u") {
                                    bail!("a lone surrogate in the string at byte {start}");
                                }
                                self.at += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    bail!("a lone surrogate in the string at byte {start}");
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            char::from_u32(code).with_context(|| {
                                format!("a lone surrogate in the string at byte {start}")
                            })?
                        }
                        _ => return Err(self.expected("an escape")),
                    };
                    self.at += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.expected("a character (control characters are escaped)"))
                }
                None => bail!("the string at byte {start} does not end"),
            }
        }
    }

    /// The four hex digits after `\u` (at `u`); leaves `at` on the last.
    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .b
            .get(self.at + 1..self.at + 5)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.expected("four hex digits after \\u"))?;
        self.at += 4;
        Ok(digits)
    }
}

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
mod tests;
