//! NAME
//!     manifest: `manifest.json`, what a build published, for CI and for `cargo xtask image`.
//!
//! DESCRIPTION
//!     Written by hand (no serde: one small, flat document does not justify the compile time).
//!     Paths are relative to the output directory.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rpm,
    Srpm,
    Source,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rpm => "rpm",
            Kind::Srpm => "srpm",
            Kind::Source => "source",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub release: String,
    pub asterisk_version: String,
    pub source_date_epoch: i64,
    pub spec: String,
    pub builder: String,
    pub artifacts: Vec<Artifact>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\n");
        let field = |s: &mut String, k: &str, v: &str| {
            let _ = writeln!(s, "  {}: {},", quote(k), quote(v));
        };
        let _ = writeln!(s, "  \"schema\": 1,");
        field(&mut s, "name", &self.name);
        field(&mut s, "version", &self.version);
        field(&mut s, "release", &self.release);
        field(&mut s, "asterisk_version", &self.asterisk_version);
        let _ = writeln!(s, "  \"source_date_epoch\": {},", self.source_date_epoch);
        field(&mut s, "spec", &self.spec);
        field(&mut s, "builder", &self.builder);
        s.push_str("  \"artifacts\": [");
        for (i, a) in self.artifacts.iter().enumerate() {
            let _ = write!(
                s,
                "{}\n    {{\"path\": {}, \"kind\": {}, \"sha256\": {}, \"size\": {}}}",
                if i == 0 { "" } else { "," },
                quote(&a.path),
                quote(a.kind.as_str()),
                quote(&a.sha256),
                a.size
            );
        }
        s.push_str("\n  ]\n}\n");
        s
    }
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let cases = [
            ("plain", r#""plain""#),
            ("a \"b\"", r#""a \"b\"""#),
            ("back\\slash", r#""back\\slash""#),
            ("line\nfeed\u{1}", r#""line\nfeed\u0001""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), want);
        }
    }

    #[test]
    fn manifest_shape() {
        let m = Manifest {
            name: "asterisk".into(),
            version: "22.1.0".into(),
            release: "1".into(),
            asterisk_version: "22.1.0".into(),
            source_date_epoch: 42,
            spec: "contrib/rpm/asterisk.spec".into(),
            builder: "native".into(),
            artifacts: vec![Artifact {
                path: "SRPMS/a.src.rpm".into(),
                kind: Kind::Srpm,
                sha256: "ab".into(),
                size: 3,
            }],
        };
        let json = m.to_json();
        assert!(json.contains("\"source_date_epoch\": 42,"), "{json}");
        assert!(
            json.contains(
                r#"{"path": "SRPMS/a.src.rpm", "kind": "srpm", "sha256": "ab", "size": 3}"#
            ),
            "{json}"
        );
        assert!(json.ends_with("]\n}\n"));
    }
}
